import { Events, type Client } from 'discord.js';

/**
 * Calls `listener` when Discord says something changed that may fix a refusal in the incidents
 * channel: CHANNEL_UPDATE of it (its overwrites), THREAD_UPDATE of one of its threads, GUILD_ROLE_UPDATE
 * of `@everyone` or a role the bot has, GUILD_MEMBER_UPDATE of the bot itself (its roles). All arrive
 * with the GUILDS intent; the bot's own member update needs no privileged intent.
 */
export function onPermissionChange(client: Client, where: { guildId: string; channelId: string }, listener: (event: string) => void): void {
  // A channel that becomes visible to the bot may arrive as a CHANNEL_CREATE rather than an update.
  client.on(Events.ChannelCreate, (channel) => {
    if (channel.id === where.channelId) listener('channelCreate');
  });
  client.on(Events.ChannelUpdate, (_old, channel) => {
    if (channel.id === where.channelId) listener('channelUpdate');
  });
  client.on(Events.ThreadUpdate, (_old, thread) => {
    if (thread.parentId === where.channelId) listener('threadUpdate');
  });
  client.on(Events.GuildRoleUpdate, (_old, role) => {
    if (role.guild.id !== where.guildId) return;
    if (role.id === role.guild.id || role.guild.members.me?.roles.cache.has(role.id)) listener('roleUpdate');
  });
  client.on(Events.GuildMemberUpdate, (_old, member) => {
    if (member.guild.id === where.guildId && member.id === client.user?.id) listener('guildMemberUpdate');
  });
}
