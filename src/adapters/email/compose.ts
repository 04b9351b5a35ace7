/** Turns an incident into an email: subject, plain text and HTML, from the same rendering Discord shows. */
import { incidentTitle, renderIncident, type IncidentView } from '../../core/render.js';
import { clip, oneLine } from '../../core/text.js';
import type { Effect } from '../../core/types.js';
import { unescapeMarkdown } from '../../core/text.js';

/** Why an email is sent. */
export type EmailReason = Extract<Effect, { type: 'email' }>['reason'];

/** The parts of one email that depend on the incident. */
export interface ComposedEmail {
  subject: string;
  text: string;
  html: string;
}

/** What `composeEmail` needs besides the incident's view. */
export interface ComposeInput {
  view: IncidentView;
  reason: EmailReason;
  /** The thread's subject without prefix and reason, so every email of an incident groups together. */
  baseSubject: string;
  /** The incident's Discord message, when it has one. */
  discordLink: string | null;
}

/** The reason label in the subject; open and fallback mails need none (the first mail of a thread says it all). */
const SUBJECT_LABELS: Record<EmailReason, string> = {
  open: '',
  fallback: '',
  reopen: 'REOPENED: ',
  unmuted: 'SILENCE ENDED: ',
  escalation: 'ESCALATION: ',
  overrun: 'MAINTENANCE OVERRAN: ',
};

/** The first line of the body: why this email arrives now. */
const INTROS: Record<EmailReason, string> = {
  open: 'A new incident opened.',
  fallback: 'Discord cannot be reached, so this incident is reported by email.',
  reopen: 'The incident opened again.',
  unmuted: 'The silence ended and the incident is still not resolved.',
  escalation: 'Escalation: the incident is still open and nobody has acknowledged it.',
  overrun: 'A planned maintenance went wrong: it overran, or what it stopped did not come back.',
};

/** The subject every email of this incident shares: its title, fixed at the thread's first email (the title may change later). */
export function baseSubject(view: IncidentView): string {
  return clip(oneLine(incidentTitle(view)), 150);
}

/** Builds the email for one incident, converting Discord-only markup into text any mail client shows. */
export function composeEmail(input: ComposeInput): ComposedEmail {
  const discordRendering = renderIncident(input.view);
  const rendered = { ...discordRendering, title: plainMarkup(discordRendering.title), description: plainMarkup(discordRendering.description) };
  const facts = rendered.fields.map((f) => ({ name: f.name, value: plainMarkup(f.value) }));
  const subject = `[stormguard] ${SUBJECT_LABELS[input.reason]}${input.baseSubject}`;
  const intro = INTROS[input.reason];
  const footer = `stormguard incident #${input.view.incident.id}`;

  const text = [
    intro,
    '',
    rendered.title,
    rendered.description,
    '',
    ...facts.map((f) => (f.value.includes('\n') ? `${f.name}:\n${indent(f.value)}` : `${f.name}: ${f.value}`)),
    ...(input.discordLink ? ['', `Discord: ${input.discordLink}`] : []),
    '',
    '-- ',
    footer,
    '',
  ].join('\n');

  const color = `#${rendered.color.toString(16).padStart(6, '0')}`;
  const rows = facts
    .map((f) => `<tr><th align="left" valign="top" style="padding:2px 12px 2px 0">${escapeHtml(f.name)}</th><td style="padding:2px 0">${escapeHtml(f.value).replace(/\n/g, '<br>')}</td></tr>`)
    .join('\n');
  const html = [
    '<!doctype html>',
    '<html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    `<div style="border-left:4px solid ${color};padding-left:12px">`,
    `<h2 style="margin:0 0 8px">${escapeHtml(rendered.title)}</h2>`,
    `<p>${escapeHtml(rendered.description)}</p>`,
    `<table>\n${rows}\n</table>`,
    '</div>',
    ...(input.discordLink ? [`<p><a href="${escapeHtml(input.discordLink)}">Open in Discord</a></p>`] : []),
    `<p style="color:#888">${escapeHtml(footer)}</p>`,
    '</body></html>',
    '',
  ].join('\n');

  return { subject, text, html };
}

/**
 * Replaces Discord-only markup with plain text: `<t:UNIX:style>` timestamps become absolute UTC
 * times (mail clients cannot render them, and a relative "5 minutes ago" would be wrong by the time
 * the mail is read), user and role mentions become `@id`.
 */
export function plainMarkup(value: string): string {
  // Our own markup first: an escaped `\<t:…>` from a probe must stay text, not become a time.
  const ours = value
    .replace(/(?<!\\)<t:(-?\d+)(?::[tTdDfFR])?>/g, (_, unix: string) => utcTime(Number(unix) * 1000))
    .replace(/(?<!\\)<@!?(\d+)>/g, '@$1')
    .replace(/(?<!\\)<@&(\d+)>/g, '@role:$1');
  return unescapeMarkdown(ours);
}

/** `2024-05-01 12:00:00 UTC`: absolute, unambiguous in any time zone. */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Escapes text for HTML element content and quoted attribute values (causes come from probes). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
