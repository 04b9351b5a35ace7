/**
 * The doctor's Discord checks against the Discord simulator, with the real discord.js logging in:
 * each check passing on a healthy setup and failing, with its fix, when one thing is wrong.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { createRest, registerGuildCommands } from '../../src/adapters/discord/client.js';
import { INVITE_PERMISSIONS } from '../../src/adapters/discord/permissions.js';
import type { DiscordConfig } from '../../src/config/types.js';
import { checkDiscord, compareCommands } from '../../src/doctor/discord.js';
import type { Check } from '../../src/doctor/index.js';
import { PERMISSION, createDiscordSimulator, type DiscordSimulator, type DiscordSimulatorOptions } from '../../src/sim/discord/index.js';

const IDS = { guild: '300000000000000001', channel: '300000000000000002', oncall: '300000000000000003', operator: '300000000000000004', voice: '300000000000000005' };
const TOKEN = 'doctor-bot-token';
const DEFINITIONS = [...COMMANDS.values()].map((c) => c.definition);
const NOW = Date.parse('2026-03-01T12:00:00Z');

let sim: DiscordSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/** A simulator where the bot was invited with exactly the README's permissions, unless `options` say otherwise. */
async function start(options: Partial<DiscordSimulatorOptions> = {}, register = true): Promise<DiscordConfig> {
  sim = createDiscordSimulator({
    guildId: IDS.guild,
    channelId: IDS.channel,
    botToken: TOKEN,
    botPermissions: INVITE_PERMISSIONS,
    roles: [
      { id: IDS.oncall, name: 'oncall' },
      { id: IDS.operator, name: 'operators' },
    ],
    extraChannels: [{ id: IDS.voice, name: 'voice', type: 2 }],
    ...options,
  });
  const { apiUrl } = await sim.start();
  const discord: DiscordConfig = { token: TOKEN, guildId: IDS.guild, channelId: IDS.channel, mentionRoleId: IDS.oncall, operatorRoleIds: [IDS.operator], apiUrl };
  if (register) await registerGuildCommands(createRest(discord), IDS.guild, DEFINITIONS);
  return discord;
}

const run = (discord: DiscordConfig, sendTest = false) => checkDiscord(discord, { commandDefinitions: DEFINITIONS, sendTest, now: NOW, timeoutMs: 5000 });
const failures = (checks: Check[]) => checks.filter((c) => c.status === 'fail');
const line = (checks: Check[], pattern: RegExp) => {
  const found = checks.find((c) => pattern.test(c.title));
  if (!found) throw new Error(`no check matching ${pattern}: ${checks.map((c) => c.title).join(' | ')}`);
  return found;
};

describe('doctor: Discord', () => {
  it('passes every check when the bot was invited as the README says', async () => {
    const checks = await run(await start());
    expect(checks.map((c) => `${c.status} ${c.title}`)).toEqual([
      'ok Discord accepted the token (logged in as stormguard)',
      'ok the bot is in the server “homelab”',
      'ok #incidents exists and is a text channel',
      'ok the bot has every permission it needs in #incidents (View Channel, Send Messages, Embed Links, Read Message History, Create Public Threads, Send Messages in Threads, Manage Threads)',
      'ok @oncall exists and can be mentioned',
      'ok operator role @operators exists',
      `ok the slash commands are registered and match this version (${DEFINITIONS.map((d) => `/${d.name}`).join(', ')})`,
    ]);
  });

  it('fails on a token Discord rejects, and stops there', async () => {
    const discord = await start();
    const checks = await run({ ...discord, token: 'not-the-token' });
    expect(checks).toEqual([expect.objectContaining({ status: 'fail', title: 'Discord rejected the token', fix: expect.stringContaining('Reset Token') })]);
  });

  it('fails when the bot is not in the server, with the invite link', async () => {
    const checks = await run(await start({ botInGuild: false }, false));
    const check = line(checks, /not in the server/);
    expect(check.status).toBe('fail');
    expect(check.fix).toContain(`permissions=${INVITE_PERMISSIONS}`);
    expect(checks).toHaveLength(2);
  });

  it('fails on a channel id that is not in the server, and on a voice channel', async () => {
    const discord = await start();
    expect(line(await run({ ...discord, channelId: '300000000000000099' }), /no channel/)).toMatchObject({ status: 'fail', fix: expect.stringContaining('Copy Channel ID') });
    expect(line(await run({ ...discord, channelId: IDS.voice }), /#voice/)).toMatchObject({ status: 'fail', title: '#voice is a voice channel, not a text channel' });
  });

  it('names each missing permission and where to fix it: the role, or the channel overwrite', async () => {
    const discord = await start({
      botPermissions: INVITE_PERMISSIONS & ~PERMISSION.MANAGE_THREADS,
      channelOverwrites: [{ id: IDS.guild, type: 0, allow: 0n, deny: PERMISSION.CREATE_PUBLIC_THREADS }],
    });
    const check = line(await run(discord), /lacks/);
    expect(check).toMatchObject({
      status: 'fail',
      title: "the bot lacks Create Public Threads and Manage Threads in #incidents (for each incident's thread; to archive and unarchive incident threads)",
    });
    expect(check.fix).toContain('give the bot’s role Manage Threads (Server Settings → Roles');
    expect(check.fix).toContain('allow Create Public Threads for the bot in #incidents (Edit Channel → Permissions');
  });

  it('counts a member overwrite after role overwrites, as Discord does', async () => {
    const botUser = '1100000000000000001';
    const discord = await start({
      botRoleIds: [IDS.operator],
      channelOverwrites: [
        { id: IDS.guild, type: 0, allow: 0n, deny: PERMISSION.SEND_MESSAGES },
        { id: IDS.operator, type: 0, allow: PERMISSION.SEND_MESSAGES, deny: 0n },
        { id: botUser, type: 1, allow: 0n, deny: PERMISSION.EMBED_LINKS },
      ],
    });
    const check = line(await run(discord), /lacks|every permission/);
    expect(check.title).toMatch(/^the bot lacks Embed Links in #incidents/);
  });

  it('fails on an unmentionable on-call role unless the bot may mention everyone', async () => {
    const role = [{ id: IDS.oncall, name: 'oncall', mentionable: false }, { id: IDS.operator, name: 'operators' }];
    expect(line(await run(await start({ roles: role })), /oncall/)).toMatchObject({ status: 'fail', fix: expect.stringContaining('Allow anyone to @mention this role') });
    await sim?.stop();
    expect(line(await run(await start({ roles: role, botPermissions: INVITE_PERMISSIONS | PERMISSION.MENTION_EVERYONE })), /oncall/).status).toBe('ok');
  });

  it('fails on a mention role or operator role that does not exist, and warns when nobody may act', async () => {
    const discord = await start();
    const checks = await run({ ...discord, mentionRoleId: '300000000000000077', operatorRoleIds: [] });
    expect(line(checks, /mentionRoleId/).status).toBe('fail');
    expect(line(checks, /operatorRoleIds is empty/).status).toBe('warn');
    expect(line(await run({ ...discord, operatorRoleIds: ['300000000000000078'] }), /operatorRoleIds names no role/).status).toBe('fail');
  });

  it('fails when the commands are not registered, or differ from this version', async () => {
    const discord = await start({}, false);
    expect(line(await run(discord), /slash commands/)).toMatchObject({ status: 'fail', fix: expect.stringContaining('stormguard register-commands') });
    const old = DEFINITIONS.map((d) => (d.name === 'silence' ? { ...d, description: 'an older wording' } : d)).filter((d) => d.name !== 'status');
    await registerGuildCommands(createRest(discord), IDS.guild, [...old, { name: 'legacy', description: 'gone', type: 1 }]);
    expect(line(await run(discord), /slash commands/).title).toBe(
      'the slash commands in the server differ from this version: /status is not registered; /silence has changed; /legacy is registered but not part of this version',
    );
  });

  it('--send-test posts one quiet message that says it is a test and pings nobody', async () => {
    const checks = await run(await start(), true);
    expect(failures(checks)).toEqual([]);
    expect(line(checks, /test message/).title).toMatch(/^posted a quiet test message: https:\/\/discord.com\/channels\//);
    const messages = sim!.channel().messages;
    expect(messages).toHaveLength(1);
    expect(messages[0]!.content).toContain('stormguard doctor: a test message');
    expect(messages[0]!.flags & 4096).toBe(4096);
    expect(sim!.allMentions()).toEqual([]);
    expect(sim!.violations).toEqual([]);
  });

  it('compares commands by what people see, with Discord defaults filled in', () => {
    const registered = DEFINITIONS.map((d) => ({ ...JSON.parse(JSON.stringify(d)), id: '1', version: '2', application_id: '3', nsfw: false }));
    expect(compareCommands(DEFINITIONS, registered)).toEqual([]);
  });
});

describe('the README invite', () => {
  it('asks for exactly the permissions the doctor checks', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`\`${INVITE_PERMISSIONS}\``);
    expect(readme).toContain(`&permissions=${INVITE_PERMISSIONS}`);
  });
});
