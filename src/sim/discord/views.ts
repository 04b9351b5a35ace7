/**
 * Read-only views of the simulated channel for assertions and the demo: what a person would see,
 * as data (`channelView`) or as plain text (`renderChannel`).
 */
import type { StoredAttachment } from './attachments.js';
import type { MentionSet } from './mentions.js';
import type { DiscordModel, StoredChannel, StoredMessage } from './model.js';

/** A message in a thread. */
export interface SimThreadMessageView {
  id: string;
  content: string;
  embeds: unknown[];
  flags: number;
  mentions: MentionSet;
  editCount: number;
  /** Files attached, bytes included. */
  attachments: StoredAttachment[];
}

/** A thread started from a message. */
export interface SimThreadView {
  id: string;
  name: string;
  archived: boolean;
  locked: boolean;
  messages: SimThreadMessageView[];
}

/** A top-level message with its thread, if one was started from it. */
export interface SimMessageView {
  id: string;
  content: string;
  embeds: unknown[];
  components: unknown[];
  editCount: number;
  nonce: string | number | null;
  flags: number;
  /** Who was pinged when the message was created (edits never ping). */
  mentions: MentionSet;
  /** Files attached, bytes included. */
  attachments: StoredAttachment[];
  thread: SimThreadView | null;
}

/** A channel (or thread) and its visible messages, oldest first. */
export interface SimChannelView {
  id: string;
  name: string;
  messages: SimMessageView[];
}

/** Builds the view of `channel`. */
export function channelView(model: DiscordModel, channel: StoredChannel): SimChannelView {
  return {
    id: channel.id,
    name: channel.name,
    messages: channel.messages.map((m) => {
      const thread = m.id !== channel.id ? model.channels.get(m.id) : undefined;
      return {
        id: m.id,
        content: m.content,
        embeds: m.embeds,
        components: m.components,
        editCount: m.editCount,
        nonce: m.nonce,
        flags: m.flags,
        mentions: m.mentions,
        attachments: m.attachments,
        thread: thread ? threadView(thread) : null,
      };
    }),
  };
}

function threadView(t: StoredChannel): SimThreadView {
  return {
    id: t.id,
    name: t.name,
    archived: t.archived,
    locked: t.locked,
    messages: t.messages.map((m: StoredMessage) => ({
      id: m.id,
      content: m.content,
      embeds: m.embeds,
      flags: m.flags,
      mentions: m.mentions,
      editCount: m.editCount,
      attachments: m.attachments,
    })),
  };
}

/** Plain text of a channel view, roughly as the Discord client shows it. */
export function renderChannel(view: SimChannelView): string {
  const lines = [`#${view.name}`];
  for (const m of view.messages) {
    lines.push(...renderMessage(m, ''));
    if (m.thread) {
      const state = [m.thread.archived ? 'archived' : 'open', m.thread.locked ? 'locked' : ''].filter(Boolean).join(', ');
      lines.push(`  └─ thread "${m.thread.name}" (${state}, ${m.thread.messages.length} messages)`);
      for (const t of m.thread.messages) lines.push(...renderMessage({ ...t, components: [] }, '       '));
    }
  }
  return lines.join('\n');
}

function renderMessage(m: Omit<SimMessageView, 'thread' | 'nonce'>, indent: string): string[] {
  const tags = [
    m.editCount > 0 ? `edited ${m.editCount}×` : '',
    (m.flags & 4096) !== 0 ? 'silent' : '',
    pings(m.mentions),
  ].filter(Boolean);
  const out = [`${indent}• ${m.content || '(no text)'}${tags.length ? `  [${tags.join('; ')}]` : ''}`];
  for (const embed of m.embeds as Array<Record<string, unknown>>) {
    if (typeof embed['title'] === 'string') out.push(`${indent}  ┃ ${embed['title']}`);
    if (typeof embed['description'] === 'string') out.push(...embed['description'].split('\n').map((l) => `${indent}  ┃ ${l}`));
    for (const f of (embed['fields'] ?? []) as Array<{ name: string; value: string }>) out.push(`${indent}  ┃ ${f.name}: ${f.value}`);
    const footer = embed['footer'] as { text?: string } | undefined;
    if (footer?.text) out.push(`${indent}  ┃ — ${footer.text}`);
  }
  const buttons = (m.components as Array<{ components?: Array<{ label?: string; disabled?: boolean }> }>)
    .flatMap((row) => row.components ?? [])
    .map((b) => `[${b.label ?? '?'}${b.disabled ? ' (disabled)' : ''}]`);
  if (buttons.length) out.push(`${indent}  ${buttons.join(' ')}`);
  for (const a of m.attachments) out.push(`${indent}  📎 ${a.filename} (${a.size} bytes)`);
  return out;
}

function pings(m: MentionSet): string {
  const who = [m.everyone ? '@everyone' : '', ...m.roles.map((r) => `@&${r}`), ...m.users.map((u) => `@${u}`)].filter(Boolean);
  if (who.length === 0) return '';
  return `${m.suppressed ? 'mentions (no push)' : 'pings'} ${who.join(' ')}`;
}
