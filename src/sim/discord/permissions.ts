/**
 * Discord's permission computation, as the simulated server applies it (Discord developer docs,
 * "Permissions": compute_base_permissions, then compute_overwrites, then implicit permissions).
 * Written independently of discord.js's `permissionsFor`, which the bot's side uses, so a test
 * where both agree checks two implementations against each other. Pure.
 */

/** The permission bits the simulator reasons about (Discord's values). */
export const PERMISSION = {
  ADMINISTRATOR: 1n << 3n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  SEND_TTS_MESSAGES: 1n << 12n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
} as const;

/** Every permission bit Discord defines today (bits 0–50), what "all permissions" means. */
const ALL = (1n << 51n) - 1n;

/** A channel permission overwrite: type 0 = role (the guild id is @everyone), 1 = member. */
export interface Overwrite {
  id: string;
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

/** What the computation needs to know about the guild. */
export interface PermissionGuild {
  id: string;
  ownerId: string;
  /** Role id → permissions; includes @everyone under the guild's id. */
  rolePermissions: ReadonlyMap<string, bigint>;
}

/** The member's permissions in a channel with these overwrites (a thread uses its parent's). */
export function channelPermissions(guild: PermissionGuild, member: { id: string; roleIds: readonly string[] }, overwrites: readonly Overwrite[]): bigint {
  // compute_base_permissions
  if (member.id === guild.ownerId) return ALL;
  let base = guild.rolePermissions.get(guild.id) ?? 0n;
  for (const id of member.roleIds) base |= guild.rolePermissions.get(id) ?? 0n;
  if ((base & PERMISSION.ADMINISTRATOR) !== 0n) return ALL;

  // compute_overwrites: @everyone, then all of the member's roles together, then the member.
  let permissions = base;
  const everyone = overwrites.find((o) => o.type === 0 && o.id === guild.id);
  if (everyone) permissions = (permissions & ~everyone.deny) | everyone.allow;
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && o.id !== guild.id && member.roleIds.includes(o.id)) {
      allow |= o.allow;
      deny |= o.deny;
    }
  }
  permissions = (permissions & ~deny) | allow;
  const own = overwrites.find((o) => o.type === 1 && o.id === member.id);
  if (own) permissions = (permissions & ~own.deny) | own.allow;

  // Implicit permissions: what cannot be seen grants nothing; who cannot send cannot embed or ping @everyone.
  if ((permissions & PERMISSION.VIEW_CHANNEL) === 0n) return 0n;
  if ((permissions & PERMISSION.SEND_MESSAGES) === 0n) {
    permissions &= ~(PERMISSION.SEND_TTS_MESSAGES | PERMISSION.EMBED_LINKS | PERMISSION.ATTACH_FILES | PERMISSION.MENTION_EVERYONE);
  }
  return permissions;
}
