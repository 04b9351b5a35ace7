/**
 * Text helpers every outgoing message shares (Discord, email, push, logs): clipping to a limit,
 * Discord's self-updating timestamps, links to a Discord message. Pure: no I/O, no clock.
 * Discord's per-field limits and the escaping of external text belong here too.
 */

/**
 * Shortens `text` to at most `max` UTF-16 code units, ending in `…` when it was cut; never splits a
 * surrogate pair (an emoji cut in half renders as garbage and Discord may reject the body).
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Collapses runs of white space (newlines included) into single spaces, for one-line subjects and titles. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** How a Discord timestamp is shown: `R` relative ("5 minutes ago"), `f` date and time. */
export type DiscordTimeStyle = 'R' | 'f';

/** A Discord timestamp (`<t:UNIX:R>`) that every client renders in its own clock and zone, so time passing needs no edit. */
export function discordTime(ms: number, style: DiscordTimeStyle = 'R'): string {
  return `<t:${Math.floor(ms / 1000)}:${style}>`;
}

/** Where incident messages live in Discord. */
export interface DiscordChannelRef {
  guildId: string;
  channelId: string;
}

/** The web link to one message (email and push link back to the incident's message). */
export function discordMessageUrl(channel: DiscordChannelRef, messageId: string): string {
  return `https://discord.com/channels/${channel.guildId}/${channel.channelId}/${messageId}`;
}
