/**
 * Text helpers every outgoing message shares (Discord, email, push, logs): clipping to a limit,
 * Discord's self-updating timestamps, links to a Discord message. Pure: no I/O, no clock.
 * Also Discord's limits, lists summarised with counts, and escaping of text we did not write (probe
 * errors, Kubernetes messages, what people type) so it can neither format nor ping.
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

/** A count and its noun, plural unless the count is one: "1 service", "3 services", "0 alerts". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
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

/** Discord's limits for what a bot sends (SPEC §9); the simulator enforces the same numbers. */
export const DISCORD_LIMITS = {
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  embedsTotal: 6000,
  threadName: 100,
  buttonLabel: 80,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
  reply: 2000,
} as const;

const ZERO_WIDTH_SPACE = '\u200b';

/**
 * Text we did not write, made literal for Discord: markdown characters are backslash-escaped,
 * `<@…>`/`<#…>`/`<t:…>` tags cannot form, and `@everyone`/`@here` are broken by a zero-width space
 * (belt and braces: every message also sets `allowed_mentions`).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\*_~`|<>[\]]/g, '\\$&')
    .replace(/^(\s*)([#-])/gm, '$1\\$2')
    .replace(/@(everyone|here)/g, `@${ZERO_WIDTH_SPACE}$1`);
}

/** Undoes `escapeMarkdown`, for channels that show plain text (email). */
export function unescapeMarkdown(text: string): string {
  return text.replace(/\\([\\*_~`|<>[\]#-])/g, '$1').replaceAll(`@${ZERO_WIDTH_SPACE}`, '@');
}

/**
 * The items joined with `separator` (", ") within `max` characters, the rest counted:
 * "frigate, jellyfin, … and 37 more". Items are kept whole, never cut.
 */
export function listWithCount(items: readonly string[], max: number, separator = ', '): string {
  const all = items.join(separator);
  if (all.length <= max) return all;
  const shown: string[] = [];
  let length = 0;
  for (let i = 0; i < items.length; i++) {
    const tail = `${separator}… and ${items.length - i - 1} more`;
    const next = (shown.length === 0 ? 0 : separator.length) + items[i]!.length;
    if (length + next + tail.length > max) break;
    shown.push(items[i]!);
    length += next;
  }
  const more = `… and ${items.length - shown.length} more`;
  return shown.length === 0 ? clip(more, max) : `${shown.join(separator)}${separator}${more}`;
}

/**
 * Lines joined by newlines within `max` characters; lines that do not fit are replaced by one last
 * line from `rest(count)` ("… and 37 more"). Each line is clipped to `max` first.
 */
export function fitLines(lines: readonly string[], max: number, rest: (count: number) => string): string {
  const out: string[] = [];
  let length = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = clip(lines[i]!, max);
    const sep = out.length === 0 ? 0 : 1;
    const remaining = lines.length - i - 1;
    const tail = remaining === 0 ? 0 : 1 + rest(remaining).length;
    if (length + sep + line.length + tail > max) {
      out.push(rest(lines.length - i));
      break;
    }
    out.push(line);
    length += sep + line.length;
  }
  return clip(out.join('\n'), max);
}
