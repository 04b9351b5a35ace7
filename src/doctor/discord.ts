/**
 * The doctor's Discord checks: logs in the way `run` does (REST + gateway, the Guilds intent), then
 * reads what the gateway announced — the guild, the channel, the roles and overwrites — and asks
 * discord.js what the bot may do in the channel (its implementation of Discord's permission order).
 */
import { ChannelType, MessageFlags, PermissionFlagsBits, Routes, type Client, type Guild, type GuildBasedChannel } from 'discord.js';
import type { DiscordConfig } from '../config/types.js';
import { createDiscordClient, loginAndWaitReady } from '../adapters/discord/client.js';
import { REQUIRED_CHANNEL_PERMISSIONS, REQUIRED_PERMISSION_NAMES, inviteUrl } from '../adapters/discord/permissions.js';
import { discordTime, oneLine, plural } from '../core/text.js';
import { fail, ok, warn, type Check } from './checklist.js';

/** Options of {@link checkDiscord}. */
export interface DiscordCheckOptions {
  /** The definitions this version registers (`register-commands`), compared with what the guild has. */
  commandDefinitions: readonly unknown[];
  /** Post one quiet test message in the channel. */
  sendTest: boolean;
  /** How long to wait for the login (default 20s). */
  timeoutMs?: number;
  /** Time for the test message. */
  now: number;
}

const REGISTER = 'run `stormguard register-commands --config …` (after every upgrade)';

/** Runs the Discord checks in order; a check that makes the rest meaningless (a bad token) ends the list. */
export async function checkDiscord(discord: DiscordConfig, options: DiscordCheckOptions): Promise<Check[]> {
  const client = createDiscordClient(discord);
  const checks: Check[] = [];
  try {
    const login = await logIn(client, discord, options.timeoutMs ?? 20_000);
    checks.push(login);
    if (login.status === 'fail') return checks;

    const guild = client.guilds.cache.get(discord.guildId);
    if (!guild) {
      checks.push(
        fail(
          `the bot is not in the server ${discord.guildId} (it is in ${plural(client.guilds.cache.size, 'server')})`,
          `invite it with ${inviteUrl(client.application?.id ?? 'APP_ID')} — or correct discord.guildId (Developer Mode → right-click the server → Copy Server ID)`,
        ),
      );
      return checks;
    }
    checks.push(ok(`the bot is in the server “${guild.name}”`));

    const channel = checkChannel(client, guild, discord.channelId);
    checks.push(channel.check);
    if (channel.found) {
      checks.push(checkPermissions(guild, channel.found));
      checks.push(checkMentionRole(guild, channel.found, discord.mentionRoleId));
    }
    checks.push(...checkOperatorRoles(guild, discord.operatorRoleIds));
    checks.push(await checkCommands(client, discord.guildId, options.commandDefinitions));
    if (options.sendTest && channel.found && channel.check.status === 'ok') checks.push(await sendTestMessage(channel.found, options.now));
    return checks;
  } finally {
    await client.destroy();
  }
}

async function logIn(client: Client, discord: DiscordConfig, timeoutMs: number): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      loginAndWaitReady(client, discord.token),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000}s`)), timeoutMs);
      }),
    ]);
    return ok(`Discord accepted the token (logged in as ${client.user?.tag ?? 'the bot'})`);
  } catch (err) {
    const e = err as { code?: string | number; status?: number; message?: string };
    if (e.code === 'TokenInvalid' || e.status === 401 || /401|invalid token|authentication failed/i.test(e.message ?? '')) {
      return fail('Discord rejected the token', 'copy the token from the Developer Portal (your application → Bot → Reset Token) into the secret behind discord.token');
    }
    return fail(`Discord cannot be reached at ${discord.apiUrl}: ${describeError(e.message ?? String(err), discord.token)}`, 'check the network path to Discord (DNS, proxy, firewall) and discord.apiUrl');
  } finally {
    clearTimeout(timer);
  }
}

function checkChannel(client: Client, guild: Guild, channelId: string): { check: Check; found?: GuildBasedChannel } {
  const copyId = 'Developer Mode → right-click the channel → Copy Channel ID, into discord.channelId';
  const channel = guild.channels.cache.get(channelId);
  if (!channel) {
    const elsewhere = client.channels.cache.get(channelId);
    const where = elsewhere && 'guild' in elsewhere ? ` (it is in the server “${elsewhere.guild.name}”)` : '';
    return { check: fail(`no channel ${channelId} in “${guild.name}”${where}`, copyId) };
  }
  if (channel.type !== ChannelType.GuildText) {
    return { check: fail(`#${channel.name} is a ${describeChannelType(channel.type)}, not a text channel`, `choose a text channel for incidents: ${copyId}`), found: channel };
  }
  return { check: ok(`#${channel.name} exists and is a text channel`), found: channel };
}

function checkPermissions(guild: Guild, channel: GuildBasedChannel): Check {
  const me = guild.members.me;
  if (!me) return fail('the bot’s own membership was not announced by Discord', 'try again; if it persists, re-invite the bot');
  const inChannel = channel.permissionsFor(me);
  const missing = REQUIRED_CHANNEL_PERMISSIONS.filter((p) => !inChannel.has(p.bit, true));
  if (missing.length === 0) return ok(`the bot has every permission it needs in #${channel.name} (${REQUIRED_PERMISSION_NAMES})`);
  // Say where the fix goes: the bot's roles lack it, or this channel's overwrites take it away.
  const serverWide = me.permissions;
  const deniedHere = missing.filter((p) => serverWide.has(p.bit, true));
  const notGranted = missing.filter((p) => !serverWide.has(p.bit, true));
  const fixes: string[] = [];
  if (notGranted.length > 0) fixes.push(`give the bot’s role ${names(notGranted)} (Server Settings → Roles → ${me.roles.botRole?.name ?? 'the bot’s role'})`);
  if (deniedHere.length > 0) fixes.push(`allow ${names(deniedHere)} for the bot in #${channel.name} (Edit Channel → Permissions: an overwrite denies ${deniedHere.length === 1 ? 'it' : 'them'})`);
  return fail(`the bot lacks ${names(missing)} in #${channel.name} (${missing.map((p) => p.why).join('; ')})`, fixes.join('; and '));
}

function checkMentionRole(guild: Guild, channel: GuildBasedChannel, roleId: string | undefined): Check {
  if (!roleId) return warn('no discord.mentionRoleId: new incidents ring nobody’s phone', 'set discord.mentionRoleId to the on-call role');
  const role = guild.roles.cache.get(roleId);
  if (!role) return fail(`discord.mentionRoleId ${roleId} is not a role in “${guild.name}”`, 'Server Settings → Roles → right-click the role → Copy Role ID, into discord.mentionRoleId');
  if (role.mentionable) return ok(`@${role.name} exists and can be mentioned`);
  const me = guild.members.me;
  if (me && channel.permissionsFor(me).has(PermissionFlagsBits.MentionEveryone, true)) return ok(`@${role.name} exists; the bot may mention it (Mention @everyone, @here and All Roles)`);
  return fail(`@${role.name} is not mentionable, so opening an incident rings nobody`, `Server Settings → Roles → ${role.name} → turn on “Allow anyone to @mention this role”`);
}

function checkOperatorRoles(guild: Guild, roleIds: readonly string[]): Check[] {
  if (roleIds.length === 0) return [warn('discord.operatorRoleIds is empty: nobody may /restart, /ack or /silence, nor press the buttons', 'list the roles allowed to act in discord.operatorRoleIds')];
  const missing = roleIds.filter((id) => !guild.roles.cache.has(id));
  if (missing.length > 0) return [fail(`discord.operatorRoleIds names no role in “${guild.name}”: ${missing.join(', ')}`, 'Server Settings → Roles → right-click the role → Copy Role ID')];
  const list = roleIds.map((id) => `@${guild.roles.cache.get(id)!.name}`).join(', ');
  return [ok(roleIds.length === 1 ? `operator role ${list} exists` : `operator roles ${list} exist`)];
}

async function checkCommands(client: Client, guildId: string, definitions: readonly unknown[]): Promise<Check> {
  let registered: unknown[];
  try {
    registered = (await client.rest.get(Routes.applicationGuildCommands(client.application!.id, guildId))) as unknown[];
  } catch (err) {
    return fail(`cannot read the server’s slash commands: ${describeError((err as Error).message)}`, 'invite the bot with the applications.commands scope (see README), then register them');
  }
  const differences = compareCommands(definitions, registered);
  if (differences.length === 0) return ok(`the slash commands are registered and match this version (${definitions.map((d) => `/${commandName(d)}`).join(', ')})`);
  return fail(`the slash commands in the server differ from this version: ${differences.join('; ')}`, REGISTER);
}

/** What differs between this version's command definitions and the registered ones, in words (empty: identical). */
export function compareCommands(definitions: readonly unknown[], registered: readonly unknown[]): string[] {
  const byName = new Map(registered.map((c) => [commandName(c), c]));
  const wanted = new Set(definitions.map(commandName));
  const out: string[] = [];
  for (const definition of definitions) {
    const name = commandName(definition);
    const current = byName.get(name);
    if (!current) out.push(`/${name} is not registered`);
    else if (JSON.stringify(comparable(definition)) !== JSON.stringify(comparable(current))) out.push(`/${name} has changed`);
  }
  for (const name of byName.keys()) if (!wanted.has(name)) out.push(`/${name} is registered but not part of this version`);
  return out;
}

function commandName(c: unknown): string {
  return String((c as { name?: unknown }).name);
}

type Json = Record<string, unknown>;

/** The fields a person would notice, with Discord's defaults filled in so a GET compares equal to a PUT body. */
function comparable(c: unknown): unknown {
  const command = c as Json;
  return {
    name: command.name,
    description: command.description ?? '',
    type: command.type ?? 1,
    default_member_permissions: command.default_member_permissions === undefined || command.default_member_permissions === null ? null : String(command.default_member_permissions),
    options: ((command.options as Json[] | undefined) ?? []).map(comparableOption),
  };
}

function comparableOption(o: Json): unknown {
  return {
    type: o.type,
    name: o.name,
    description: o.description ?? '',
    required: o.required ?? false,
    autocomplete: o.autocomplete ?? false,
    choices: ((o.choices as Json[] | undefined) ?? []).map((choice) => ({ name: choice.name, value: choice.value })),
    min_value: o.min_value ?? null,
    max_value: o.max_value ?? null,
    min_length: o.min_length ?? null,
    max_length: o.max_length ?? null,
    options: ((o.options as Json[] | undefined) ?? []).map(comparableOption),
  };
}

async function sendTestMessage(channel: GuildBasedChannel, now: number): Promise<Check> {
  if (!channel.isTextBased()) return fail('no test message: the channel is not a text channel', 'see above');
  try {
    const message = await channel.send({
      content: `🧪 stormguard doctor: a test message, sent ${discordTime(now, 'f')}. Incidents will be posted in this channel. Nothing is wrong.`,
      flags: MessageFlags.SuppressNotifications,
      allowedMentions: { parse: [] },
    });
    return ok(`posted a quiet test message: ${message.url}`);
  } catch (err) {
    return fail(`the test message was refused: ${describeError((err as Error).message)}`, 'fix the permissions above, then try again');
  }
}

function describeChannelType(type: ChannelType): string {
  switch (type) {
    case ChannelType.GuildVoice:
      return 'voice channel';
    case ChannelType.GuildCategory:
      return 'category';
    case ChannelType.GuildAnnouncement:
      return 'announcement channel';
    case ChannelType.GuildForum:
      return 'forum';
    case ChannelType.GuildStageVoice:
      return 'stage channel';
    default:
      return `channel of type ${type}`;
  }
}

function names(list: ReadonlyArray<{ name: string }>): string {
  const all = list.map((p) => p.name);
  return all.length <= 1 ? (all[0] ?? '') : `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`;
}

/** An error message on one line, with the token (should it ever appear) masked. */
function describeError(message: string, secret?: string): string {
  const line = oneLine(message);
  return secret ? line.split(secret).join('***') : line;
}
