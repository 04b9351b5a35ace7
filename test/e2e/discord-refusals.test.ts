/**
 * Discord answers, but refuses: a body it will not take (400 50035) and a bot without permission
 * (403 50013). Each is seen as a person sees it: the channel, the rings, the emails, the log lines,
 * /readyz and the metric — with the real bot, discord.js, the Discord simulator and a real SMTP server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PERMISSION } from '../../src/sim/discord/index.js';
import type { SimMessageView } from '../../src/sim/discord/index.js';
import { captureLogs } from '../helpers/logs.js';
import { emailNotify, startSmtpServer, type SmtpServer } from '../helpers/smtp.js';
import { IDS, OPERATOR, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
let smtp: SmtpServer | undefined;

afterEach(async () => {
  const violations = world?.discord.violations ?? [];
  await world?.close();
  await smtp?.close();
  world = smtp = undefined;
  expect(violations).toEqual([]);
});

/** The simulator's bot user (its application id by default). */
const BOT_USER = '1100000000000000001';

function embed(message: SimMessageView): { description: string; fields?: Array<{ name: string; value: string }> } {
  return message.embeds[0] as { description: string; fields?: Array<{ name: string; value: string }> };
}

describe('Discord refuses', () => {
  it('a body it will not take: the minimal message rings, the refused field is logged, one fallback email, the next edit is whole again', async () => {
    const logs = captureLogs();
    smtp = await startSmtpServer();
    world = await startWorld({ notify: { escalateAfter: '3h', email: emailNotify(smtp.port) } }, {}, { logger: logs.logger });
    const w = world;
    w.discord.refuseFieldBodies(1);
    w.probe.setStatus(503, 'down');
    await w.cycles(2);
    await w.app.cycles.deliver();

    expect(topLevel(w)).toHaveLength(1);
    const [message] = topLevel(w);
    expect(embed(message!).description).toBe('State: open · 1 target, 1 down. Details did not fit in Discord; see the thread and /status.');
    expect(w.discord.allMentions().filter((r) => !r.suppressed)).toEqual([expect.objectContaining({ kind: 'role', id: IDS.mentionRole })]);
    const refused = logs.lines().filter((l) => l.level === 50 && l.msg.startsWith('discord refused incident #1'));
    expect(refused).toHaveLength(1);
    expect(String(refused[0]!['refused'])).toContain('embeds[0].fields[0].value[BASE_TYPE_MAX_LENGTH]: Must be 1024 or fewer in length.');

    await expect.poll(() => smtp!.mails.length).toBe(1);
    expect(smtp.mails[0]!.subject).toContain('frigate is down');
    expect(w.app.store.auditFor({ action: 'fallbackEmailQueued' }).map((a) => a.reason)).toEqual(['discordRefusedMessage']);

    // The next change edits the same message with everything it shows.
    await w.discord.slashCommand({ name: 'ack', user: OPERATOR });
    await w.cycles(1);
    expect(topLevel(w)).toHaveLength(1);
    expect(embed(topLevel(w)[0]!).fields?.map((f) => f.name)).toContain('Acknowledged by');
    expect(smtp.mails).toHaveLength(1);
  });

  it('a bot without Send Messages: email fallback, the log says what to grant, /readyz and the metric show it, and granting it heals without a restart', async () => {
    const logs = captureLogs();
    smtp = await startSmtpServer();
    world = await startWorld(
      { notify: { escalateAfter: '3h', email: emailNotify(smtp.port) } },
      {},
      { logger: logs.logger, discordSim: { botPermissions: PERMISSION.VIEW_CHANNEL | PERMISSION.SEND_MESSAGES | PERMISSION.EMBED_LINKS | PERMISSION.READ_MESSAGE_HISTORY | PERMISSION.CREATE_PUBLIC_THREADS | PERMISSION.SEND_MESSAGES_IN_THREADS | PERMISSION.MANAGE_THREADS | PERMISSION.MENTION_EVERYONE, channelOverwrites: [{ id: BOT_USER, type: 1, allow: 0n, deny: PERMISSION.SEND_MESSAGES }] } },
    );
    const w = world;
    w.probe.setStatus(503, 'down');
    await w.cycles(2);

    expect(topLevel(w)).toEqual([]);
    expect(w.app.readiness()).toMatchObject({ ready: false, checks: { discord: false } });
    const problem = logs.lines().filter((l) => l.level === 50 && l.msg.startsWith('Discord refuses stormguard'));
    expect(problem.map((l) => l.msg)).toEqual([
      `Discord refuses stormguard: the bot lacks a permission in channel ${IDS.channel}: grant View Channel, Send Messages, Embed Links, Read Message History, Create Public Threads, Send Messages in Threads, Manage Threads (README, Setting up Discord); retrying every few minutes, email fallback covers it meanwhile`,
    ]);
    expect(await w.app.metrics.registry.getSingleMetricAsString('stormguard_discord_setup_problem')).toContain('stormguard_discord_setup_problem{problem="missingPermissions"} 1');

    // Discord cannot be told for longer than fallbackAfter (2m): the incident is emailed, once.
    await w.cycles(5);
    await expect.poll(() => smtp!.mails.length).toBe(1);
    expect(smtp.mails[0]!.subject).toContain('frigate is down');
    const posts = () => w.discord.countRequests({ method: 'POST', path: `/channels/${IDS.channel}/messages`, status: 403 });
    // Retried every few minutes, not every cycle: 3.5 minutes of cycles asked at most twice.
    expect(posts()).toBeLessThanOrEqual(2);

    // Someone grants the permission; within the retry interval the incident appears, ringing once.
    w.discord.setChannelOverwrites([]);
    await w.cycles(7);
    expect(topLevel(w)).toHaveLength(1);
    expect(w.discord.allMentions().filter((r) => !r.suppressed)).toEqual([expect.objectContaining({ kind: 'role', id: IDS.mentionRole })]);
    expect(w.app.readiness().checks.discord).toBe(true);
    expect(logs.lines().some((l) => l.msg === 'Discord accepts stormguard again; delivering what it owes')).toBe(true);
    expect(await w.app.metrics.registry.getSingleMetricAsString('stormguard_discord_setup_problem')).not.toContain('} 1');
    expect(smtp.mails).toHaveLength(1);
  });

  it('nothing at all, from before the start: the bot runs its cycles, emails the incident, keeps logging in, and posts what it owes once Discord is back', async () => {
    const logs = captureLogs();
    smtp = await startSmtpServer();
    world = await startWorld(
      { notify: { escalateAfter: '3h', email: emailNotify(smtp.port) } },
      {},
      {
        logger: logs.logger,
        beforeStart: (discord) => {
          discord.setRestDown(true);
          discord.setGatewayDown(true);
        },
        discordLogin: { timeoutMs: 2_000, baseDelayMs: 100, maxDelayMs: 500 },
      },
    );
    const w = world;
    expect(w.app.readiness().checks.discord).toBe(false);
    await expect.poll(() => logs.lines().some((l) => l.msg === 'Discord login failed; checks and the email fallback go on, retrying')).toBe(true);

    w.probe.setStatus(503, 'down');
    await w.cycles(2);
    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
    // Discord has not been told for fallbackAfter (2m): one email.
    await w.cycles(5);
    await expect.poll(() => smtp!.mails.length).toBe(1);

    w.discord.setRestDown(false);
    w.discord.setGatewayDown(false);
    await expect.poll(() => w.app.readiness().checks.discord, { timeout: 10_000 }).toBe(true);
    await w.cycles(8);
    expect(topLevel(w)).toHaveLength(1);
    expect(w.discord.allMentions().filter((r) => !r.suppressed)).toEqual([expect.objectContaining({ kind: 'role', id: IDS.mentionRole })]);
    expect(w.discord.gateway.identifies).toBe(1);
    expect(smtp.mails).toHaveLength(1);
  });
});

/** The bot's server-wide permissions in the tests that take one away: what the README asks for, not Administrator. */
const INVITED = PERMISSION.VIEW_CHANNEL | PERMISSION.SEND_MESSAGES | PERMISSION.EMBED_LINKS | PERMISSION.READ_MESSAGE_HISTORY | PERMISSION.CREATE_PUBLIC_THREADS | PERMISSION.SEND_MESSAGES_IN_THREADS | PERMISSION.MANAGE_THREADS | PERMISSION.MENTION_EVERYONE;

describe('Discord never stops the checks, whichever setup refusal it is (SPEC §9)', () => {
  const cases = [
    { problem: 'tokenRefused', status: 401, says: 'Discord refuses the bot token: put a valid token in discord.token', discord: { token: 'not-the-bot-token' }, sim: {} },
    { problem: 'missingAccess', status: 403, says: `the bot cannot see channel ${IDS.channel}: invite it to the server and allow View Channel there`, discord: {}, sim: { botPermissions: INVITED, channelOverwrites: [{ id: BOT_USER, type: 1 as const, allow: 0n, deny: PERMISSION.VIEW_CHANNEL }] } },
    { problem: 'unknownChannel', status: 404, says: 'channel 100000000000000077 does not exist or the bot is not in its server: check discord.channelId and discord.guildId', discord: { channelId: '100000000000000077' }, sim: {} },
  ];

  it.each(cases)('$problem ($status): cycles go on, the incident is emailed once, the log, /readyz and the metric say what to fix', async ({ problem, status, says, discord, sim }) => {
    const logs = captureLogs();
    smtp = await startSmtpServer();
    world = await startWorld({ notify: { escalateAfter: '3h', email: emailNotify(smtp.port) } }, discord, {
      logger: logs.logger,
      discordSim: sim,
      discordLogin: { timeoutMs: 2_000, baseDelayMs: 100, maxDelayMs: 500 },
    });
    const w = world;
    w.probe.setStatus(503, 'down');
    await w.cycles(2);

    // The checks ran and opened the incident; Discord refused to show it, with this status.
    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
    expect(topLevel(w)).toEqual([]);
    expect(w.discord.countRequests({ method: 'POST', status })).toBeGreaterThan(0);
    expect(w.app.readiness()).toMatchObject({ ready: false, checks: { discord: false } });
    const refusal = logs.lines().filter((l) => l.level === 50 && l.msg.startsWith('Discord refuses stormguard'));
    expect(refusal).toHaveLength(1);
    expect(refusal[0]!.msg).toContain(says);
    expect(refusal[0]!['problem']).toBe(problem);
    expect(await w.app.metrics.registry.getSingleMetricAsString('stormguard_discord_setup_problem')).toContain(`stormguard_discord_setup_problem{problem="${problem}"} 1`);

    // Past fallbackAfter (2m) the incident is emailed, once; the cycles keep observing the target.
    const checksBefore = w.app.store.loadTargetStates()['frigate']!.lastObservedAt!;
    await w.cycles(5);
    await expect.poll(() => smtp!.mails.length).toBe(1);
    expect(smtp.mails[0]!.subject).toBe('[stormguard] frigate is down (HTTP 503)');
    expect(w.app.store.loadTargetStates()['frigate']!.lastObservedAt).toBeGreaterThan(checksBefore);
    await w.cycles(2);
    expect(smtp.mails).toHaveLength(1);
    expect(logs.lines().filter((l) => l.level === 50 && l.msg.startsWith('Discord refuses stormguard'))).toHaveLength(1);
  });
});

describe('every other permanent refusal of our channel falls back to email (issue 21 item 12)', () => {
  const cases = [
    { problem: 'forbidden', status: 403, code: 40004, message: 'Send messages has been temporarily disabled' },
    { problem: 'forbidden', status: 403, code: 20001, message: 'Bots cannot use this endpoint' },
    { problem: 'notFound', status: 404, code: 0, message: '404: Not Found' },
  ];

  it.each(cases)('$status $code: the incident is emailed once, /readyz and the log say it, lifting it posts what is owed', async ({ problem, status, code, message }) => {
    const logs = captureLogs();
    smtp = await startSmtpServer();
    world = await startWorld({ notify: { escalateAfter: '3h', email: emailNotify(smtp.port) } }, {}, { logger: logs.logger });
    const w = world;
    w.discord.refuseChannel({ status, code, message });
    w.probe.setStatus(503, 'down');
    await w.cycles(2);

    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
    expect(w.discord.countRequests({ method: 'POST', path: `/channels/${IDS.channel}/messages`, status })).toBeGreaterThan(0);
    expect(topLevel(w)).toEqual([]);
    expect(w.app.readiness()).toMatchObject({ ready: false, checks: { discord: false } });
    const refusal = logs.lines().filter((l) => l.level === 50 && l.msg.startsWith('Discord refuses stormguard'));
    expect(refusal.map((l) => l['problem'])).toEqual([problem]);
    expect(refusal[0]!.msg).toContain(code === 0 ? `HTTP ${status}` : `HTTP ${status} code ${code}`);

    // Past fallbackAfter (2m) the incident is emailed, once, and retried every few minutes, not every cycle.
    await w.cycles(5);
    await expect.poll(() => smtp!.mails.length).toBe(1);
    expect(smtp.mails[0]!.subject).toBe('[stormguard] frigate is down (HTTP 503)');
    await w.cycles(2);
    expect(smtp.mails).toHaveLength(1);
    expect(w.discord.countRequests({ method: 'POST', path: `/channels/${IDS.channel}/messages`, status })).toBeLessThanOrEqual(3);

    // Discord takes the bot back: the incident appears once and rings once.
    w.discord.refuseChannel(null);
    await w.cycles(7);
    expect(topLevel(w)).toHaveLength(1);
    expect(w.discord.allMentions().filter((r) => !r.suppressed)).toEqual([expect.objectContaining({ kind: 'role', id: IDS.mentionRole })]);
    expect(w.app.readiness().checks.discord).toBe(true);
  });
});
