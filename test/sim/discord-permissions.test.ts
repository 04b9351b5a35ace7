/**
 * The Discord simulator's permissions: computed from @everyone, roles and the channel's overwrites as
 * Discord documents it, agreeing with discord.js's own computation, and enforced with Discord's
 * refusals (50001 Missing Access, 50013 Missing Permissions) and its rule for unmentionable roles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelType, DiscordAPIError, PermissionsBitField, type TextChannel } from 'discord.js';
import { PERMISSION, channelPermissions, type Overwrite } from '../../src/sim/discord/index.js';
import { CHANNEL_ID, GUILD_ID, ONCALL_ROLE_ID, OPERATOR_ROLE_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';

const { VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS, READ_MESSAGE_HISTORY, CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS, MANAGE_THREADS, MENTION_EVERYONE, ADMINISTRATOR } = PERMISSION;
const INVITE = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS | MANAGE_THREADS;
const BOT = '1100000000000000001';

let h: DiscordHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('channelPermissions (Discord docs: base, then @everyone, roles, member overwrites)', () => {
  const guild = { id: GUILD_ID, ownerId: '1', rolePermissions: new Map([[GUILD_ID, VIEW_CHANNEL], [OPERATOR_ROLE_ID, SEND_MESSAGES | EMBED_LINKS], [ONCALL_ROLE_ID, 0n]]) };
  const member = { id: BOT, roleIds: [OPERATOR_ROLE_ID, ONCALL_ROLE_ID] };
  const ow = (id: string, type: 0 | 1, allow: bigint, deny: bigint): Overwrite => ({ id, type, allow, deny });

  it.each([
    ['no overwrites: @everyone | roles', [], VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS],
    ['@everyone overwrite denies send, a role overwrite allows it back', [ow(GUILD_ID, 0, 0n, SEND_MESSAGES), ow(ONCALL_ROLE_ID, 0, SEND_MESSAGES, 0n)], VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS],
    ['role overwrites: one role allows what another denies, allow wins', [ow(OPERATOR_ROLE_ID, 0, 0n, EMBED_LINKS), ow(ONCALL_ROLE_ID, 0, EMBED_LINKS, 0n)], VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS],
    ['the member overwrite comes last and wins', [ow(ONCALL_ROLE_ID, 0, CREATE_PUBLIC_THREADS, 0n), ow(BOT, 1, 0n, CREATE_PUBLIC_THREADS)], VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS],
    ['no View Channel: nothing at all', [ow(GUILD_ID, 0, 0n, VIEW_CHANNEL)], 0n],
    ['no Send Messages: no Embed Links either', [ow(OPERATOR_ROLE_ID, 0, 0n, SEND_MESSAGES)], VIEW_CHANNEL],
  ] as Array<[string, Overwrite[], bigint]>)('%s', (_name, overwrites, expected) => {
    expect(channelPermissions(guild, member, overwrites)).toBe(expected);
  });

  it('Administrator and the owner get everything, overwrites notwithstanding', () => {
    const admin = { ...guild, rolePermissions: new Map([...guild.rolePermissions, [OPERATOR_ROLE_ID, ADMINISTRATOR]]) };
    const deny = [ow(BOT, 1, 0n, VIEW_CHANNEL | SEND_MESSAGES)];
    expect(channelPermissions(admin, member, deny) & INVITE).toBe(INVITE);
    expect(channelPermissions({ ...guild, ownerId: BOT }, member, deny) & INVITE).toBe(INVITE);
  });
});

describe('Discord simulator: permissions through discord.js', () => {
  it('agrees with discord.js permissionsFor, and refuses a thread without Create Public Threads (50013)', async () => {
    h = await startDiscordHarness({
      botPermissions: VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | CREATE_PUBLIC_THREADS,
      botRoleIds: [OPERATOR_ROLE_ID],
      channelOverwrites: [{ id: OPERATOR_ROLE_ID, type: 0, allow: 0n, deny: CREATE_PUBLIC_THREADS }],
    });
    const channel = h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
    expect(channel.type).toBe(ChannelType.GuildText);
    const seen = channel.permissionsFor(h.client.user)!;
    expect(seen.bitfield).toBe(VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY);
    expect(seen.has(PermissionsBitField.Flags.CreatePublicThreads)).toBe(false);

    const message = await channel.send({ content: 'hello' });
    const err = await message.startThread({ name: 'thread' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(50013);
    expect((err as DiscordAPIError).status).toBe(403);
  });

  it('answers 50001 Missing Access where the bot cannot see the channel', async () => {
    h = await startDiscordHarness({ botPermissions: INVITE, channelOverwrites: [{ id: GUILD_ID, type: 0, allow: 0n, deny: VIEW_CHANNEL }] });
    const channel = h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
    const err = await channel.send({ content: 'hello' }).catch((e: unknown) => e);
    expect((err as DiscordAPIError).code).toBe(50001);
  });

  it('rings an unmentionable role only when the bot may mention everyone', async () => {
    h = await startDiscordHarness({ botPermissions: INVITE, roles: [{ id: ONCALL_ROLE_ID, name: 'oncall', mentionable: false }] });
    const channel = h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
    await channel.send({ content: `<@&${ONCALL_ROLE_ID}> down`, allowedMentions: { roles: [ONCALL_ROLE_ID] } });
    expect(h.sim.allMentions()).toEqual([]);
    await h.close();

    h = await startDiscordHarness({ botPermissions: INVITE | MENTION_EVERYONE, roles: [{ id: ONCALL_ROLE_ID, name: 'oncall', mentionable: false }] });
    const again = h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
    await again.send({ content: `<@&${ONCALL_ROLE_ID}> down`, allowedMentions: { roles: [ONCALL_ROLE_ID] } });
    expect(h.sim.allMentions().map((r) => r.id)).toEqual([ONCALL_ROLE_ID]);
  });

  it('announces no guild to a bot that was not invited', async () => {
    h = await startDiscordHarness({ botInGuild: false });
    expect(h.client.guilds.cache.size).toBe(0);
    const err = await h.client.channels.fetch(CHANNEL_ID).catch((e: unknown) => e);
    expect((err as DiscordAPIError).code).toBe(50001);
  });
});
