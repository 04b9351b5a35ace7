import { AttachmentBuilder, type Message, type SendableChannels } from 'discord.js';
import { clip, DISCORD_LIMITS } from '../../core/text.js';
import { NO_MENTIONS } from './payload.js';

/**
 * Discord's upload limits for a bot (docs "Uploading Files"): at most 10 files on a message, each at
 * most 10 MiB (the default limit for bots, webhooks and interaction responses since January 2025).
 */
export const DISCORD_FILE_LIMITS = { perMessage: 10, bytes: 10 * 1024 * 1024 } as const;

/** A file stormguard attaches to a message or an interaction answer (an incident export). */
export interface OutgoingFile {
  /** The file name people download, e.g. `incident-42.md`. */
  name: string;
  data: Buffer | string;
  /** Alt text shown with the file (Discord allows 1,024 characters). */
  description?: string;
}

/** The files that fit, as discord.js attachments, and the names of those left out (so the text can say why). */
export interface FitFiles {
  files: AttachmentBuilder[];
  left: string[];
}

/**
 * Turns files into discord.js attachments within Discord's limits: names reduced to what
 * `attachment://` accepts (ASCII letters, digits, `_`, `-`, `.`), files over 10 MiB or past the tenth
 * left out and named, so a too-large export becomes a sentence instead of a 413.
 */
export function fitFiles(files: readonly OutgoingFile[]): FitFiles {
  const out: FitFiles = { files: [], left: [] };
  for (const file of files) {
    const name = safeFileName(file.name);
    const size = typeof file.data === 'string' ? Buffer.byteLength(file.data) : file.data.length;
    if (size > DISCORD_FILE_LIMITS.bytes || out.files.length >= DISCORD_FILE_LIMITS.perMessage) {
      out.left.push(name);
      continue;
    }
    const data = typeof file.data === 'string' ? Buffer.from(file.data, 'utf8') : file.data;
    const attachment = new AttachmentBuilder(data, { name });
    if (file.description !== undefined) attachment.setDescription(clip(file.description, 1024));
    out.files.push(attachment);
  }
  return out;
}

/** A sentence naming the files Discord could not take, or '' when all fit. */
export function leftOutNote(left: readonly string[]): string {
  if (left.length === 0) return '';
  const mib = DISCORD_FILE_LIMITS.bytes / 1024 / 1024;
  return `(not attached, over Discord's ${DISCORD_FILE_LIMITS.perMessage} files of ${mib} MiB: ${left.join(', ')})`;
}

/** Text and files as one message body: the note about left-out files comes first, so clipping never hides it. */
export function withFiles(content: string, files: readonly OutgoingFile[]): { content: string; files: AttachmentBuilder[] } {
  const fit = fitFiles(files);
  const note = leftOutNote(fit.left);
  const text = note ? `${note}\n${content}` : content;
  return { content: clip(text, DISCORD_LIMITS.content), files: fit.files };
}

/** Posts a message with files in a channel or thread; it mentions nobody, whatever the text says. */
export async function sendWithFiles(channel: SendableChannels, content: string, files: readonly OutgoingFile[]): Promise<Message> {
  return channel.send({ ...withFiles(content, files), allowedMentions: NO_MENTIONS });
}

function safeFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100);
  return safe.replace(/^\.+/, '') || 'file';
}
