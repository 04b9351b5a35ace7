/**
 * Who a new message actually pings, by Discord's rules: mentions are parsed from the content only
 * (never from embeds), `allowed_mentions` narrows them, and only message creation pings — edits
 * never do. Pure: no state, no clock.
 */

/** Who a message pinged when it was created. */
export interface MentionSet {
  roles: string[];
  users: string[];
  /** `@everyone` or `@here` took effect. */
  everyone: boolean;
  /** Sent with SUPPRESS_NOTIFICATIONS (4096): still a mention, but no push or sound. */
  suppressed: boolean;
}

/** The `allowed_mentions` request object (already validated). */
export interface AllowedMentions {
  parse?: Array<string | null> | null;
  users?: Array<string | null> | null;
  roles?: Array<string | null> | null;
  replied_user?: boolean | null;
}

const SUPPRESS_NOTIFICATIONS = 4096;

/** Computes the pings of a message created with `content`, `allowedMentions` and `flags`. */
export function resolveMentions(
  content: string,
  allowedMentions: AllowedMentions | null | undefined,
  flags: number,
): MentionSet {
  const users = unique([...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1] as string));
  const roles = unique([...content.matchAll(/<@&(\d+)>/g)].map((m) => m[1] as string));
  const everyone = /@(everyone|here)/.test(content);
  const suppressed = (flags & SUPPRESS_NOTIFICATIONS) !== 0;
  if (allowedMentions === null || allowedMentions === undefined) {
    return { users, roles, everyone, suppressed };
  }
  const parse = new Set(allowedMentions.parse ?? []);
  const allowedUsers = new Set(allowedMentions.users ?? []);
  const allowedRoles = new Set(allowedMentions.roles ?? []);
  return {
    users: users.filter((id) => parse.has('users') || allowedUsers.has(id)),
    roles: roles.filter((id) => parse.has('roles') || allowedRoles.has(id)),
    everyone: everyone && parse.has('everyone'),
    suppressed,
  };
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}
