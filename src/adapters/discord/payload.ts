import { createHash } from 'node:crypto';
import { renderIncident, type IncidentView, type RenderedMessage } from '../../core/render.js';
import { clip, discordMessageUrl, DISCORD_LIMITS, plural, type DiscordChannelRef } from '../../core/text.js';
import type { DiscordRefs } from '../sqlite/store.js';

/** Suppress-notifications message flag: the message is shown but pushes nobody's phone. */
export const SUPPRESS_NOTIFICATIONS = 4096;
/** Ephemeral message flag: only the person who used the command sees the reply. */
export const EPHEMERAL = 64;

/** An `allowed_mentions` that pings nobody, whatever the text contains (set on every message). */
export const NO_MENTIONS = { parse: [] as never[] };

/** The embed and buttons of an incident message in Discord's JSON shape. */
export interface IncidentPayload {
  embeds: Array<{ title: string; description: string; color: number; fields: Array<{ name: string; value: string; inline: boolean }> }>;
  components: Array<{ type: 1; components: Array<ActionButton | LinkButton> }>;
}

type ActionButton = { type: 2; custom_id: string; label: string; style: 1 | 2 | 4; disabled: boolean };
/** A link button (style 5): opens its URL, sends no interaction. */
type LinkButton = { type: 2; style: 5; label: string; url: string };

const BUTTON_STYLES = { primary: 1, secondary: 2, danger: 4 } as const;

/** Turns a rendered incident into Discord's embed and button rows: the actions (none once resolved), then the links. */
export function incidentPayload(message: RenderedMessage): IncidentPayload {
  const rows: IncidentPayload['components'] = [];
  if (message.buttons.length > 0) {
    rows.push({ type: 1, components: message.buttons.map((b) => ({ type: 2, custom_id: b.id, label: b.label, style: BUTTON_STYLES[b.style], disabled: b.disabled })) });
  }
  const links = message.links ?? [];
  if (links.length > 0) rows.push({ type: 1, components: links.slice(0, 5).map((l) => ({ type: 2, style: 5, label: clip(l.label, DISCORD_LIMITS.buttonLabel), url: l.url })) });
  return {
    embeds: [{ title: message.title, description: message.description || '—', color: message.color, fields: message.fields }],
    components: rows,
  };
}

/**
 * The fallback when Discord refused the full message: title, state and counts only, short enough
 * for any limit, with the same buttons, so the incident is visible and can be acted on.
 */
export function minimalIncidentPayload(view: IncidentView): IncidentPayload {
  const full = renderIncident(view);
  const down = view.targets.filter((t) => t.health === 'down').length;
  const n = view.targets.length;
  const counts = n > 0 ? ` · ${plural(n, 'target')}, ${down} down` : '';
  const minimal: RenderedMessage = {
    ...full,
    title: clip(full.title, DISCORD_LIMITS.embedTitle),
    description: `State: ${view.incident.state}${counts}. Details did not fit in Discord; see the thread and /status.`,
    fields: [],
  };
  return incidentPayload(minimal);
}

/** A stable fingerprint of what the message shows, to edit only when it changed. */
export function payloadHash(payload: IncidentPayload): string {
  return createHash('sha256').update(JSON.stringify(payload)).digest('hex');
}

/** The role mention that makes phones ring; only ever sent with an `allowed_mentions` naming that role. */
export function roleMention(roleId: string): string {
  return `<@&${roleId}>`;
}

/** A nonce for a Discord message, at most 25 characters as Discord requires. */
export function nonceFor(kind: 'incident' | 'effect', id: number): string {
  return `${kind === 'incident' ? 'sg-i' : 'sg-e'}${id}`;
}
