/**
 * An incident's export for the post-mortem (SPEC §13): a Markdown skeleton to fill in and a JSON document
 * with a versioned schema (`stormguard.incident/v1`, documented in docs/incident-export.md). Pure and
 * deterministic: the same records, incident and time zone give the same bytes (golden-file tests).
 */
import { milestonesOf, timelineOf, durationText, type Milestones, type StoredAudit, type TimelineActor, type TimelineEntry } from './timeline.js';
import { redactSecrets } from './redact.js';
import { clip, escapeMarkdown, oneLine } from './text.js';
import { parseSubject } from './subject.js';
import type { Incident } from './types.js';

/** The JSON schema's name and version; a change that breaks readers gets a new version. */
export const EXPORT_SCHEMA = 'stormguard.incident/v1';

/** The formats an export comes in. */
export const EXPORT_FORMATS = ['md', 'json'] as const;

/** An export format: Markdown or JSON. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What an export is made from: all of it read from the database, so the CLI and Discord give the same file. */
export interface ExportInput {
  incident: Incident;
  /** The incident's human title (`incidentTitle`). */
  title: string;
  /** Its audit records with their timeline kind and source, in append order. */
  records: readonly StoredAudit[];
  /** The link to its Discord message, or null. */
  messageLink: string | null;
  /** The IANA time zone for local times (`timeZone` in the configuration). */
  timeZone: string;
  /** When the outage began where a source knows it before stormguard detected it (Alertmanager's `startsAt`); absent: the detection. */
  startedAt?: number | null;
}

/** The export as data: what both formats show. */
export interface IncidentReport {
  incident: Incident;
  title: string;
  nodes: string[];
  messageLink: string | null;
  timeZone: string;
  timeline: TimelineEntry[];
  milestones: Milestones;
}

/** Reads an export's input into the report both renderers draw. */
export function incidentReport(input: ExportInput): IncidentReport {
  const timeline = timelineOf(input.records);
  const parsed = parseSubject(input.incident.subject);
  return {
    incident: input.incident,
    title: input.title,
    nodes: parsed?.kind === 'node' ? [parsed.name] : [],
    messageLink: input.messageLink,
    timeZone: input.timeZone,
    timeline,
    milestones: milestonesOf(timeline, input.startedAt ?? null),
  };
}

/** Renders the export in `format` (Markdown or JSON); both end with a newline. */
export function renderExport(input: ExportInput, format: ExportFormat): string {
  const report = incidentReport(input);
  return format === 'md' ? renderMarkdown(report) : renderJson(report);
}

/** Whether a string names an export format. */
export function isExportFormat(text: string): text is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(text);
}

/** The file name an export is attached as: `incident-<id>.md` or `.json`. */
export function exportFileName(incidentId: number, format: ExportFormat): string {
  return `incident-${incidentId}.${format}`;
}

// ---------------------------------------------------------------------------------------------------
// JSON

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms / 1000);
}

function actorJson(actor: TimelineActor): Record<string, string> {
  return actor.type === 'user' ? { type: 'user', id: actor.id } : { type: actor.type };
}

function entryJson(e: TimelineEntry): Record<string, unknown> {
  return {
    at: iso(e.at),
    kind: e.kind,
    actor: actorJson(e.actor),
    source: e.source,
    text: safe(e.text),
    reason: e.reason,
    ...(e.where ? { where: e.where } : {}),
    refs: {
      ...(e.refs.discordMessageId ? { discordMessageId: e.refs.discordMessageId } : {}),
      ...(e.refs.restartAttemptId !== undefined ? { restartAttemptId: e.refs.restartAttemptId } : {}),
      ...(e.refs.alertmanagerSilenceIds ? { alertmanagerSilenceIds: e.refs.alertmanagerSilenceIds } : {}),
    },
  };
}

/** The JSON document of schema `stormguard.incident/v1` (docs/incident-export.md). */
export function renderJson(report: IncidentReport): string {
  const { incident, milestones: m } = report;
  const doc = {
    schema: EXPORT_SCHEMA,
    incident: {
      id: incident.id,
      title: report.title,
      subject: incident.subject,
      kind: incident.kind,
      state: incident.state,
      cause: safe(incident.cause),
      targets: incident.targets,
      nodes: report.nodes,
      reopenCount: incident.reopenCount,
      automaticRestarts: incident.restartCount,
      needsHuman: incident.needsHuman,
      discordMessage: report.messageLink,
    },
    impact: { from: iso(impactFrom(report)), to: iso(m.resolved), durationSeconds: seconds(m.mttrMs) },
    timeZone: report.timeZone,
    milestones: { started: iso(m.started), detected: iso(m.detected), acknowledged: iso(m.acknowledged), mitigated: iso(m.mitigated), resolved: iso(m.resolved) },
    mttaSeconds: seconds(m.mttaMs),
    mttrSeconds: seconds(m.mttrMs),
    diagnosis: diagnoses(incident).map(([target, d]) => ({ target, reason: d.reason, apiReason: d.apiReason, container: d.container, message: safe(d.message), hint: d.hint })),
    timeline: report.timeline.map(entryJson),
    did: did(report.timeline).map(entryJson),
    refused: refused(report.timeline).map(entryJson),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Markdown

/** Text from the cluster or from people, without secrets, as one line of at most `max` characters (unescaped). */
function safe(text: string, max = 2000): string {
  return clip(oneLine(redactSecrets(text)), max);
}

/** Text made literal for Markdown, one line: safe inside a table cell (pipes and newlines cannot break the row). */
export function markdownCell(text: string, max = 500): string {
  return escapeMarkdown(safe(text, max)).replaceAll('\n', ' ');
}

/** A time in the UTC column: `2026-12-07 19:05:00`. */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
}

/**
 * A time in `timeZone`, with its offset from UTC: `2026-12-07 20:05:00 +01:00`. The offset rather than
 * a zone abbreviation, which differs between ICU versions (CET or GMT+1) and would break golden files.
 */
export function localTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = part('timeZoneName').replace(/^GMT/, '') || '+00:00';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} ${offset}`;
}

function who(actor: TimelineActor): string {
  if (actor.type === 'user') return `Discord user ${actor.id}`;
  return actor.type;
}

const SOURCE_WORDS = { button: 'button', slashCommand: 'slash command', automatic: 'automatic', alertmanager: 'Alertmanager', api: 'API' } as const;

const MILESTONES: Array<[keyof Omit<Milestones, 'mttaMs' | 'mttrMs'>, string]> = [
  ['started', 'Started'],
  ['detected', 'Detected'],
  ['acknowledged', 'Acknowledged'],
  ['mitigated', 'Mitigated'],
  ['resolved', 'Resolved'],
];

function impactFrom(report: IncidentReport): number {
  return report.milestones.started ?? report.incident.openedAt;
}

function diagnoses(incident: Incident) {
  return Object.entries(incident.diagnoses ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/** What stormguard carried out: restarts, rings, escalations, the email fallback. */
function did(timeline: readonly TimelineEntry[]): TimelineEntry[] {
  return timeline.filter((e) => ['restartRequested', 'restartSucceeded', 'restartFailed', 'rung', 'escalated', 'emailFallbackSent'].includes(e.kind));
}

/** What stormguard refused, each with the gate's reason. */
function refused(timeline: readonly TimelineEntry[]): TimelineEntry[] {
  return timeline.filter((e) => e.kind === 'restartRefused' || e.kind === 'refused');
}

/** An entry's references beyond the incident's message, for the Markdown: the restart attempt, Alertmanager silences. */
function refsText(e: TimelineEntry): string {
  const refs: string[] = [];
  if (e.refs.restartAttemptId !== undefined) refs.push(`attempt #${e.refs.restartAttemptId}`);
  if (e.refs.alertmanagerSilenceIds) refs.push(`Alertmanager silence ${e.refs.alertmanagerSilenceIds.map((id) => markdownCell(id, 64)).join(', ')}`);
  return refs.length === 0 ? '' : ` (${refs.join('; ')})`;
}

/** The Markdown post-mortem skeleton. */
export function renderMarkdown(report: IncidentReport): string {
  const { incident, milestones: m, timeZone } = report;
  const both = (ms: number | null) => (ms === null ? ['—', '—'] : [localTime(ms, timeZone), `${utcTime(ms)} UTC`]);
  const lines: string[] = [];
  lines.push(`# Incident #${incident.id}: ${markdownCell(report.title, 256)}`, '');
  const to = m.resolved === null ? 'ongoing' : `${utcTime(m.resolved)} UTC`;
  lines.push('| | |', '|---|---|');
  lines.push(`| Subject | ${markdownCell(incident.subject)} |`);
  lines.push(`| State | ${incident.state}${incident.reopenCount > 0 ? ` (reopened ${incident.reopenCount}×)` : ''} |`);
  lines.push(`| Impact | ${utcTime(impactFrom(report))} UTC → ${to}${m.mttrMs === null ? '' : ` (${durationText(m.mttrMs)})`} |`);
  lines.push(`| Targets | ${incident.targets.length === 0 ? '—' : markdownCell(incident.targets.join(', '))} |`);
  lines.push(`| Nodes | ${report.nodes.length === 0 ? '—' : markdownCell(report.nodes.join(', '))} |`);
  lines.push(`| Cause | ${markdownCell(incident.cause)} |`);
  if (report.messageLink) lines.push(`| Discord | ${report.messageLink} |`);
  lines.push('');
  lines.push('## Milestones', '');
  lines.push(`| Milestone | Local (${markdownCell(timeZone, 64)}) | UTC |`, '|---|---|---|');
  for (const [key, label] of MILESTONES) lines.push(`| ${label} | ${both(m[key]).join(' | ')} |`);
  lines.push('', `**MTTA** (detected → acknowledged): ${durationText(m.mttaMs)} · **MTTR** (started → resolved): ${durationText(m.mttrMs)}`, '');
  lines.push('## Diagnosis', '');
  const found = diagnoses(incident);
  if (found.length === 0) lines.push('Kubernetes gave no reason of its own.');
  for (const [target, d] of found) {
    const where = d.container ? ` in container ${markdownCell(d.container, 100)}` : '';
    lines.push(`- ${markdownCell(target, 100)}: **${markdownCell(d.apiReason, 100)}**${where}: ${markdownCell(d.message)} → ${markdownCell(d.hint)}`);
  }
  lines.push('');
  lines.push('## Timeline', '');
  lines.push(`| Local (${markdownCell(timeZone, 64)}) | UTC | Kind | Who | Via | What |`, '|---|---|---|---|---|---|');
  for (const e of report.timeline) {
    const [local, utc] = both(e.at);
    lines.push(`| ${local} | ${utc} | ${e.kind} | ${markdownCell(who(e.actor), 100)} | ${SOURCE_WORDS[e.source]} | ${markdownCell(e.text)}${refsText(e)} |`);
  }
  lines.push('');
  lines.push('## What stormguard did', '');
  const done = did(report.timeline);
  if (done.length === 0) lines.push('Nothing.');
  for (const e of done) lines.push(`- ${utcTime(e.at)} UTC — ${markdownCell(e.text)}${refsText(e)}`);
  lines.push('');
  lines.push('## What stormguard refused, and why', '');
  const no = refused(report.timeline);
  if (no.length === 0) lines.push('Nothing.');
  for (const e of no) lines.push(`- ${utcTime(e.at)} UTC — ${markdownCell(e.text)} (${e.reason ? `reason: ${markdownCell(e.reason, 64)}` : 'no reason'}; ${markdownCell(who(e.actor), 100)}, ${SOURCE_WORDS[e.source]})`);
  lines.push('');
  lines.push('## Root cause', '', '_To be written._', '');
  lines.push('## Follow-ups', '', '- [ ] ', '');
  return lines.join('\n');
}
