/**
 * An incident's typed timeline, read from its audit records: the audit log is the one record of what
 * happened (SPEC §2), and this module is the one owner of how each record reads as a timeline entry —
 * its kind, where it came from, its sentence and its references — and of the milestones and MTTA/MTTR
 * derived from the entries. Pure: no I/O, no clock.
 */
import { formatDuration } from './duration.js';
import type { AuditEntry } from './types.js';

/** What a timeline entry records. */
export const TIMELINE_KINDS = [
  'detected',
  'opened',
  'rung',
  'acknowledged',
  'silenced',
  'silenceLifted',
  'maintenanceStarted',
  'maintenanceEnded',
  'restartRequested',
  'restartRefused',
  'restartSucceeded',
  'restartFailed',
  'diagnosisChanged',
  'escalated',
  'emailFallbackSent',
  'reopened',
  'resolved',
  'note',
  'changed',
  'refused',
] as const;

/** What a timeline entry records (see {@link TIMELINE_KINDS}). */
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/** Where an entry came from: a button, a slash command, stormguard's own checks, Alertmanager, or the HTTP API. */
export const TIMELINE_SOURCES = ['button', 'slashCommand', 'automatic', 'alertmanager', 'api'] as const;

/** Where an entry came from (see {@link TIMELINE_SOURCES}). */
export type TimelineSource = (typeof TIMELINE_SOURCES)[number];

/** Who did it: a Discord user, stormguard itself, or Alertmanager. */
export type TimelineActor = { type: 'user'; id: string } | { type: 'stormguard' } | { type: 'alertmanager' };

/** Where a ring reached people. */
export type RingWhere = 'discordRole' | 'email' | 'ntfy';

/** What an entry points at, where it knows: the Discord message, a restart attempt, Alertmanager silences. */
export interface TimelineRefs {
  discordMessageId?: string;
  restartAttemptId?: number;
  alertmanagerSilenceIds?: string[];
}

/** One typed timeline entry. `text` is plain (unescaped): each renderer escapes it for its format. */
export interface TimelineEntry {
  at: number;
  kind: TimelineKind;
  actor: TimelineActor;
  source: TimelineSource;
  text: string;
  /** The stable identifier of why (the gate's refusal id, the ring's reason…), or null. */
  reason: string | null;
  /** Where a ring went (`rung` only). */
  where?: RingWhere;
  refs: TimelineRefs;
}

/** Audit actions that are bookkeeping, not history: the ring decision (the delivered ring is its own record) and a queued email (its sending is). */
const NOT_IN_TIMELINE = new Set(['notified', 'notificationMuted', 'fallbackEmailQueued']);

/** The kinds read from actions of another name (`opened` → detected, `posted` → opened…); every other kind is its action's own name. */
const RENAMED: ReadonlySet<TimelineKind> = new Set<TimelineKind>(['detected', 'opened', 'emailFallbackSent', 'changed', 'refused']);

/** The actions whose kind is the action's own name. */
const SAME_NAME: ReadonlySet<string> = new Set(TIMELINE_KINDS.filter((kind) => !RENAMED.has(kind)));

/** The actions that change what the incident covers or shows, read as `changed`. */
const CHANGES = new Set(['targetsAdded', 'causeChanged', 'alertsChanged', 'namedTargetsChanged', 'circuitOpen', 'maintenanceOverran']);

/** A maintenance window declared (over an incident, or on its own). */
const MAINTENANCE_STARTS = new Set(['maintenanceChanged', 'maintenanceDeclared']);

/** A maintenance window over (its end reported, or ended early by a person). */
const MAINTENANCE_ENDS = new Set(['maintenanceWindowEnded', 'maintenanceEndedEarly']);

/**
 * The timeline kind of an audit record, or null for bookkeeping that is not history. The one owner of
 * the mapping: the store writes it beside each record and migration 011 backfilled older records with it.
 */
export function timelineKind(action: string, reason: string | null, detail: Record<string, unknown>): TimelineKind | null {
  // An incident opened quietly because its node is in planned maintenance: that is when the maintenance began for it.
  if (action === 'notificationMuted' && reason === 'maintenance') return 'maintenanceStarted';
  if (NOT_IN_TIMELINE.has(action)) return null;
  if (MAINTENANCE_STARTS.has(action)) return 'maintenanceStarted';
  if (MAINTENANCE_ENDS.has(action)) return 'maintenanceEnded';
  if (SAME_NAME.has(action)) return action as TimelineKind;
  if (action === 'opened') return 'detected';
  if (action === 'posted') return 'opened';
  if (action === 'restartSkipped') return 'restartRefused';
  if (action === 'emailSent') return reason === 'fallback' ? 'emailFallbackSent' : 'rung';
  if (action === 'silenceChanged') return isLift(detail) ? 'silenceLifted' : 'silenced';
  if (CHANGES.has(action)) return 'changed';
  if (action.endsWith('Refused')) return 'refused';
  return null;
}

/** Whether a `silenceChanged` record lifted a silence: said by `lifted`, or (records before it was) by its note. */
function isLift(detail: Record<string, unknown>): boolean {
  if (typeof detail.lifted === 'boolean') return detail.lifted;
  return typeof detail.text === 'string' && / lifted by /.test(detail.text);
}

/** Outcomes stormguard carries out whoever asked: their source is automatic. */
const OUTCOMES = new Set(['posted', 'rung', 'emailSent', 'restartSucceeded', 'restartFailed']);

/**
 * Where an audit record came from: stormguard's scheduler and the outcomes it carries out are
 * automatic, Alertmanager's are Alertmanager's; a person's action says `via` (button or slash command),
 * and records from before `via` existed are read from their reason ("Restart button").
 */
export function timelineSource(actor: string, action: string, reason: string | null, detail: Record<string, unknown>): TimelineSource {
  if (actor === 'alertmanager') return 'alertmanager';
  if (actor === 'scheduler' || OUTCOMES.has(action)) return 'automatic';
  if (detail.via === 'button' || detail.via === 'slashCommand' || detail.via === 'api') return detail.via;
  if (reason !== null && / button$/.test(reason)) return 'button';
  return 'slashCommand';
}

/** The actor of a record: `scheduler` is stormguard, `alertmanager` Alertmanager, anything else a Discord user id. */
export function timelineActor(actor: string): TimelineActor {
  if (actor === 'scheduler') return { type: 'stormguard' };
  if (actor === 'alertmanager') return { type: 'alertmanager' };
  return { type: 'user', id: actor };
}

/** An audit record as the store reads it back, with the kind and source written beside it. */
export type StoredAudit = AuditEntry & { kind: TimelineKind | null; source: TimelineSource };

/** The timeline of one incident from its audit records (in the order they were appended; bookkeeping left out). */
export function timelineOf(records: readonly StoredAudit[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  // A silence of an Alertmanager incident is recorded as the person's action (with Alertmanager's silence
  // ids) and as the incident's note of it, at the same moment: one entry, the one with the references.
  const silenceActions = new Set(records.filter((r) => r.action === 'silenced' || r.action === 'silenceLifted').map((r) => `${r.at}|${r.actor}|${r.kind}`));
  for (const record of records) {
    if (record.kind === null) continue;
    if (record.action === 'silenceChanged' && silenceActions.has(`${record.at}|${record.actor}|${record.kind}`)) continue;
    entries.push(entryOf(record, record.kind));
  }
  // Stable: records of one moment keep the order they were written in.
  return entries.map((e, i) => [e, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([e]) => e);
}

function entryOf(record: StoredAudit, kind: TimelineKind): TimelineEntry {
  const d = record.detail;
  const refs: TimelineRefs = {};
  if (typeof d.messageId === 'string' && kind !== 'rung' && kind !== 'emailFallbackSent') refs.discordMessageId = d.messageId;
  if (typeof d.attemptId === 'number') refs.restartAttemptId = d.attemptId;
  const silences = Array.isArray(d.alertmanagerSilences) ? d.alertmanagerSilences.filter((s): s is string => typeof s === 'string') : [];
  if (silences.length > 0) refs.alertmanagerSilenceIds = silences;
  const entry: TimelineEntry = { at: record.at, kind, actor: timelineActor(record.actor), source: record.source, text: entryText(record, kind), reason: record.reason, refs };
  const where = ringWhere(record, kind);
  if (where) entry.where = where;
  return entry;
}

function ringWhere(record: StoredAudit, kind: TimelineKind): RingWhere | undefined {
  if (kind !== 'rung') return undefined;
  if (record.action === 'emailSent') return 'email';
  return record.detail.where === 'ntfy' ? 'ntfy' : 'discordRole';
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

const WHERE_WORDS: Record<RingWhere, string> = { discordRole: 'the Discord role', email: 'email', ntfy: 'ntfy' };

/** The sentence of an entry, in plain text; what people or the cluster wrote is quoted as it was. */
function entryText(record: StoredAudit, kind: TimelineKind): string {
  const d = record.detail;
  // A person's refused restart names its target only by the record's subject (`target:frigate`).
  const target = str(d.target) ?? str(record.subject.startsWith('target:') ? record.subject.slice('target:'.length) : null);
  const why = record.reason ? ` (${record.reason})` : '';
  switch (kind) {
    case 'detected':
      return `Confirmed down: ${str(d.cause) ?? record.subject}`;
    case 'opened':
      return 'Incident message posted in Discord';
    case 'rung': {
      const where = ringWhere(record, kind)!;
      return `Rang ${WHERE_WORDS[where]}${why}`;
    }
    case 'acknowledged':
      return 'Acknowledged';
    case 'silenced':
      // Records before `until` was kept on the incident's note say it in the note's words.
      if (typeof d.until !== 'number') return str(d.text) ?? 'Silenced';
      return `Silenced until ${new Date(d.until).toISOString().slice(0, 16).replace('T', ' ')} UTC${record.reason ? `: ${record.reason}` : ''}`;
    case 'silenceLifted':
      return record.action === 'silenceChanged' && typeof d.lifted !== 'boolean' ? (str(d.text) ?? 'Silence lifted') : 'Silence lifted';
    case 'maintenanceStarted':
      return str(d.text) ?? (record.action === 'notificationMuted' ? 'Planned maintenance: nobody is rung while it lasts' : 'Maintenance started');
    case 'maintenanceEnded':
      return str(d.text) ?? 'Maintenance ended';
    case 'restartRequested':
      return `Restart of ${target ?? record.subject} requested${d.automatic === true ? ' automatically' : ''}${record.reason ? `: ${record.reason}` : ''}`;
    case 'restartRefused':
      return `Restart of ${target ?? record.subject} refused: ${str(d.message) ?? record.reason ?? 'no reason given'}`;
    case 'restartSucceeded':
      return `Restart of ${target ?? record.subject} carried out`;
    case 'restartFailed':
      return `Restart of ${target ?? record.subject} failed: ${record.reason ?? 'unknown error'}`;
    case 'diagnosisChanged':
      return d.apiReason ? `Why ${target ?? '?'} is down: ${String(d.apiReason)}${str(d.container) ? ` in container ${String(d.container)}` : ''}${str(d.message) ? `: ${String(d.message)}` : ''}` : `Kubernetes no longer reports why ${target ?? '?'} is down`;
    case 'escalated':
      return `Escalated${why}`;
    case 'emailFallbackSent':
      return 'Fallback email sent: Discord could not be told';
    case 'reopened':
      return `Reopened: ${str(d.cause) ?? ''}`.trimEnd();
    case 'resolved':
      return `Resolved: ${str(d.cause) ?? ''}`.trimEnd();
    case 'note':
      return str(d.text) ?? '';
    case 'changed':
      return changedText(record);
    case 'refused':
      return `${record.action.replace(/Refused$/, '')} refused${why}`;
  }
}

function changedText(record: StoredAudit): string {
  const d = record.detail;
  switch (record.action) {
    case 'targetsAdded':
      return `Also affected: ${Array.isArray(d.targets) ? d.targets.join(', ') : ''}`;
    case 'causeChanged':
      return `Cause: ${str(d.cause) ?? ''}`;
    case 'circuitOpen':
      return `Automatic restarts of ${str(d.target) ?? record.subject} stopped: needs a human`;
    default:
      return str(d.text) ?? record.action;
  }
}

/** The moments a post-mortem is built around; null where the timeline has none. */
export interface Milestones {
  /** When the outage began, as far as stormguard knows (`startedAt` of its detection, else the detection). */
  started: number | null;
  /** When stormguard confirmed it (the incident opened). */
  detected: number | null;
  /** The first acknowledgement. */
  acknowledged: number | null;
  /** The first restart that worked: carried out, with no other restart requested before the resolution. */
  mitigated: number | null;
  /** The last resolution (after a reopen, the final one); null while open. */
  resolved: number | null;
  /** Time to acknowledge: acknowledged − detected, in ms. */
  mttaMs: number | null;
  /** Time to resolve: resolved − started, in ms. */
  mttrMs: number | null;
}

/** The milestones and MTTA/MTTR of a timeline (entries in order, as {@link timelineOf} returns them). */
export function milestonesOf(entries: readonly TimelineEntry[], startedAt: number | null = null): Milestones {
  const first = (kind: TimelineKind) => entries.find((e) => e.kind === kind)?.at ?? null;
  const detected = first('detected');
  const started = startedAt !== null && detected !== null ? Math.min(startedAt, detected) : (startedAt ?? detected);
  const acknowledged = first('acknowledged');
  const last = entries.at(-1);
  const resolved = last?.kind === 'resolved' ? last.at : null;
  return {
    started,
    detected,
    acknowledged,
    mitigated: mitigation(entries),
    resolved,
    mttaMs: acknowledged !== null && detected !== null ? acknowledged - detected : null,
    mttrMs: resolved !== null && started !== null ? resolved - started : null,
  };
}

/** The first restart carried out after which no other restart was asked for before the incident resolved. */
function mitigation(entries: readonly TimelineEntry[]): number | null {
  let candidate: number | null = null;
  for (const entry of entries) {
    if (entry.kind === 'restartSucceeded' && candidate === null) candidate = entry.at;
    else if (entry.kind === 'restartRequested' && candidate !== null && entry.at > candidate) candidate = null;
    else if (entry.kind === 'reopened') candidate = null;
    else if (entry.kind === 'resolved' && candidate !== null) return candidate;
  }
  return null;
}

/** What the two incident histograms observe: one figure when an incident is acknowledged or resolved, by its kind. */
export interface IncidentFigure {
  metric: 'acknowledge' | 'resolve';
  seconds: number;
}

/**
 * The figure one audit record gives the histograms, or null: an acknowledgement measures from the
 * incident's opening, a resolution its whole time open (the record's `openFor`). Seconds, never negative.
 */
export function incidentFigure(entry: Pick<AuditEntry, 'action' | 'at' | 'detail'>, openedAt: number): IncidentFigure | null {
  if (entry.action === 'acknowledged') return { metric: 'acknowledge', seconds: Math.max(0, entry.at - openedAt) / 1000 };
  if (entry.action === 'resolved') {
    const openFor = typeof entry.detail.openFor === 'number' ? entry.detail.openFor : entry.at - openedAt;
    return { metric: 'resolve', seconds: Math.max(0, openFor) / 1000 };
  }
  return null;
}

/** A duration for people ("1h5m"), or "—" when unknown. */
export function durationText(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return '0s';
  return formatDuration(Math.floor(ms / 1000) * 1000);
}
