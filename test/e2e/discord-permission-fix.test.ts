/**
 * A fix made in Discord is seen at once (issue 24 item 3, SPEC §14): the bot lacks Send Messages in
 * the incidents channel, a person grants it — by the channel's overwrites, a role the bot has, or a
 * role given to the bot — and the incident appears within seconds, from the gateway's event, not the
 * retry timer (the test clock stands still, so the timer never comes due); one message, no duplicate;
 * /readyz and the metric clear with it. The real bot, discord.js and the Discord simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PERMISSION, type DiscordSimulator } from '../../src/sim/discord/index.js';
import { captureLogs } from '../helpers/logs.js';
import { closeWorldChecked, IDS, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

const BOT_USER = '1100000000000000001';
const { VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, READ_MESSAGE_HISTORY, CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS, MANAGE_THREADS, MENTION_EVERYONE } = PERMISSION;
/** What the README's invite asks for, without Send Messages. */
const WITHOUT_SEND = VIEW_CHANNEL | EMBED_LINKS | READ_MESSAGE_HISTORY | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS | MANAGE_THREADS | MENTION_EVERYONE;

let world: World | undefined;
afterEach(async () => {
  await closeWorldChecked(world);
  world = undefined;
});

/** The three ways a person fixes it, each with how the bot starts out lacking Send Messages. */
const FIXES: Array<{ how: string; sim: Record<string, unknown>; fix(discord: DiscordSimulator): void }> = [
  {
    how: "the channel's overwrites (CHANNEL_UPDATE)",
    sim: { botPermissions: WITHOUT_SEND | SEND_MESSAGES, channelOverwrites: [{ id: BOT_USER, type: 1, allow: 0n, deny: SEND_MESSAGES }] },
    fix: (discord) => discord.setChannelOverwrites([]),
  },
  {
    how: 'a role the bot has (GUILD_ROLE_UPDATE)',
    sim: { botPermissions: WITHOUT_SEND, botRoleIds: [IDS.operatorRole] },
    fix: (discord) => discord.setRolePermissions(IDS.operatorRole, SEND_MESSAGES),
  },
  {
    how: 'a role given to the bot (GUILD_MEMBER_UPDATE of the bot itself)',
    sim: { botPermissions: WITHOUT_SEND },
    fix: (discord) => {
      // A role the bot does not have changes first: nothing the bot can post depends on it.
      discord.setRolePermissions(IDS.operatorRole, SEND_MESSAGES);
      discord.setBotRoles([IDS.operatorRole]);
    },
  },
];

describe.each(FIXES)('a permission granted through $how', ({ sim, fix }) => {
  it('delivers the refused incident within seconds, once, and /readyz and the metric clear', async () => {
    const logs = captureLogs();
    world = await startWorld({}, {}, { logger: logs.logger, discordSim: sim });
    const w = world;
    w.probe.setStatus(503, 'down');
    await w.cycles(2);
    const refused = () => w.discord.countRequests({ method: 'POST', path: `/channels/${IDS.channel}/messages`, status: 403 });
    expect(refused()).toBe(1);
    expect(topLevel(w)).toEqual([]);
    expect(w.app.readiness()).toMatchObject({ ready: false, checks: { discord: false } });

    let postedAt: number | null = null;
    w.discord.onAnswered((r) => {
      if (postedAt === null && r.method === 'POST' && r.path === `/channels/${IDS.channel}/messages` && r.status === 200) postedAt = performance.now();
    });
    const fixedAt = performance.now();
    fix(w.discord);
    // The test clock does not move: the retry (minutes away) never comes due; only the gateway's event can do this.
    await expect.poll(() => topLevel(w).length, { timeout: 5_000 }).toBe(1);
    const ms = postedAt! - fixedAt;
    expect(ms).toBeLessThan(5_000);

    // Cleared as soon as that delivery returns (its thread is created first), not at a later retry.
    await expect.poll(() => w.app.readiness().checks['discord'], { timeout: 2_000 }).toBe(true);
    expect(await w.app.metrics.registry.getSingleMetricAsString('stormguard_discord_setup_problem')).not.toContain('} 1');
    expect(logs.lines().filter((l) => l.msg === 'Discord permissions changed: delivering what it refused now')).toHaveLength(1);
    // Later cycles and passes post nothing more: one message, one ring, no second attempt refused.
    await w.cycles(3);
    expect(topLevel(w)).toHaveLength(1);
    expect(w.discord.countRequests({ method: 'POST', path: `/channels/${IDS.channel}/messages`, status: 200 })).toBe(1);
    expect(roleRings(w)).toBe(1);
    expect(refused()).toBe(1);
  });
});
