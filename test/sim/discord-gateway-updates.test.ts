/**
 * The Discord simulator tells the bot of permission changes through the gateway as Discord does
 * (issue 24 item 3): CHANNEL_UPDATE and GUILD_ROLE_UPDATE under the GUILDS intent only, and
 * GUILD_MEMBER_UPDATE of the bot itself without the privileged GUILD_MEMBERS intent — seen by the real
 * discord.js client, whose caches (and `permissionsFor`) follow.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Events, GatewayDispatchEvents, GatewayIntentBits, PermissionFlagsBits, type TextChannel } from 'discord.js';
import { PERMISSION } from '../../src/sim/discord/index.js';
import { CHANNEL_ID, GUILD_ID, OPERATOR_ROLE_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';

const { VIEW_CHANNEL, SEND_MESSAGES } = PERMISSION;

let h: DiscordHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Discord simulator: permission changes reach the gateway', () => {
  it('CHANNEL_UPDATE carries the new overwrites; permissionsFor follows', async () => {
    h = await startDiscordHarness({ botPermissions: VIEW_CHANNEL | SEND_MESSAGES, channelOverwrites: [{ id: GUILD_ID, type: 0, allow: 0n, deny: SEND_MESSAGES }] });
    const channel = h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
    const me = h.client.guilds.cache.get(GUILD_ID)!.members.me!;
    expect(channel.permissionsFor(me).has(PermissionFlagsBits.SendMessages)).toBe(false);
    const updated = once(h.client, Events.ChannelUpdate);
    h.sim.setChannelOverwrites([]);
    const [, after] = (await updated) as [TextChannel, TextChannel];
    expect(after.id).toBe(CHANNEL_ID);
    expect(channel.permissionsFor(me).has(PermissionFlagsBits.SendMessages)).toBe(true);
  });

  it("GUILD_ROLE_UPDATE of a role's permissions, and GUILD_MEMBER_UPDATE of the bot's roles without GUILD_MEMBERS", async () => {
    h = await startDiscordHarness({ botPermissions: 0n, everyonePermissions: VIEW_CHANNEL });
    const channel = h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
    const me = () => h!.client.guilds.cache.get(GUILD_ID)!.members.me!;
    const memberUpdated = once(h.client, Events.GuildMemberUpdate);
    h.sim.setBotRoles([OPERATOR_ROLE_ID]);
    await memberUpdated;
    expect(me().roles.cache.has(OPERATOR_ROLE_ID)).toBe(true);
    expect(channel.permissionsFor(me()).has(PermissionFlagsBits.SendMessages)).toBe(false);
    const roleUpdated = once(h.client, Events.GuildRoleUpdate);
    h.sim.setRolePermissions(OPERATOR_ROLE_ID, VIEW_CHANNEL | SEND_MESSAGES);
    await roleUpdated;
    expect(channel.permissionsFor(me()).has(PermissionFlagsBits.SendMessages)).toBe(true);
  });

  it('a session without the GUILDS intent gets no channel or role updates, yet the update of the bot itself', async () => {
    h = await startDiscordHarness({}, { intents: [GatewayIntentBits.GuildMessages] });
    const seen: string[] = [];
    for (const t of ['CHANNEL_UPDATE', 'GUILD_ROLE_UPDATE', 'GUILD_MEMBER_UPDATE'] as const) h.client.ws.on(GatewayDispatchEvents[camel(t)], () => seen.push(t));
    h.sim.setChannelOverwrites([]);
    h.sim.setRolePermissions(OPERATOR_ROLE_ID, SEND_MESSAGES);
    const member = new Promise<void>((resolve) => h!.client.ws.once(GatewayDispatchEvents.GuildMemberUpdate, () => resolve()));
    h.sim.setBotRoles([OPERATOR_ROLE_ID]);
    // One ordered socket: what was sent before the member update has arrived by the time it does.
    await member;
    expect(seen).toEqual(['GUILD_MEMBER_UPDATE']);
  });
});

/** `CHANNEL_UPDATE` → `ChannelUpdate`, the enum's key. */
function camel(t: 'CHANNEL_UPDATE' | 'GUILD_ROLE_UPDATE' | 'GUILD_MEMBER_UPDATE'): 'ChannelUpdate' | 'GuildRoleUpdate' | 'GuildMemberUpdate' {
  return t.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase()) as 'ChannelUpdate' | 'GuildRoleUpdate' | 'GuildMemberUpdate';
}
