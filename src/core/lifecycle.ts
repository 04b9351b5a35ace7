import { diagnosisLine, settleDiagnoses, type Diagnoses } from './diagnosis.js';
import { elapsedSince } from './clock.js';
import { formatDuration } from './duration.js';
import { isWaitingReason } from './gate.js';
import { targetSubject } from './subject.js';
import { clip, DISCORD_LIMITS, escapeMarkdown, listWithCount, oneLine } from './text.js';
import type { AuditEntry, Effect, Incident, IncidentKind, RestartRequest } from './types.js';

/** Something that happened to an incident's subject, as the pure lifecycle sees it. */
export type IncidentEvent =
  /**
   * The subject is confirmed down (after hysteresis); `targets` are the targets it affects now, and
   * `diagnoses` why, where Kubernetes says (absent: the caller does not know, so nothing changes).
   */
  | { type: 'fail'; subject: string; kind: IncidentKind; cause: string; targets: string[]; diagnoses?: Diagnoses }
  /** The subject is confirmed healthy again. */
  | { type: 'recover'; cause: string }
  /** A person acknowledges; `via` says how (the timeline's source), when the caller knows. */
  | { type: 'acknowledge'; by: string; via?: 'button' | 'slashCommand' }
  /** Time passed: a ring that a silence held back, or the escalation, may be due. */
  | { type: 'tick' }
  | { type: 'restartRequested'; target: string; automatic: boolean; by: string; reason: string | null }
  | { type: 'restartSkipped'; target: string; reason: string; message: string }
  | { type: 'restartFinished'; target: string; ok: boolean; error: string | null; attemptId?: number }
  | { type: 'circuitOpen'; target: string; message: string }
  /** A silence touching the incident began (`until`, its end) or was lifted; `text` is the thread's note. */
  | { type: 'silenceChanged'; by: string; text: string; lifted?: boolean; until?: number; reason?: string }
  /** Alertmanager alerts joined or resolved in this incident's group; `text` is the quiet note. */
  | { type: 'alertsChanged'; text: string }
  /**
   * A target this incident names but does not cover (an Alertmanager incident's) went down or came back
   * by stormguard's own checks, answered for by the incident that covers it; `text` is the quiet note.
   */
  | { type: 'namedTargetsChanged'; text: string }
  /** A person declared a maintenance window over this incident (or changed it); `text` is the quiet note. */
  | { type: 'maintenanceChanged'; text: string }
  /** A maintenance window over this incident ended: its summary as a quiet note, or as the ring it held back when `ring`. */
  | { type: 'maintenanceEnded'; text: string; ring: boolean }
  /** A person's note for the timeline (`/note`): `text` as they typed it; the thread note says who. */
  | { type: 'note'; by: string; text: string }

  /** A quiet planned maintenance went wrong (core/maintenance.ts): it rings once, `text` says how. */
  | { type: 'maintenanceOverran'; text: string };

/** What a transition needs to know besides the incident and the event. */
export interface TransitionContext {
  now: number;
  reopenWindow: number;
  escalateAfter: number;
  /** Whether an active silence covers this incident now (derived by the caller from `now`). */
  silenced: boolean;
  /** Whether the incident is a quiet planned maintenance now (core/maintenance.ts): muted like a silence. */
  maintenance?: boolean;
  /** Who causes the transition: a Discord user id or `scheduler`. */
  actor: string;
}

/**
 * Whether an incident resolved at `resolvedAt` reopens on a failure at `now` (SPEC §2: flapping folds in)
 * — the one owner of the reopen window, for the lifecycle, the plan and the query that loads candidates.
 */
export function withinReopenWindow(resolvedAt: number | null, now: number, reopenWindow: number): boolean {
  return resolvedAt !== null && now - resolvedAt <= reopenWindow;
}

/** The oldest resolution that can still reopen at `now`: what the shell loads besides the open incidents. */
export function reopenWindowStart(now: number, reopenWindow: number): number {
  return now - reopenWindow;
}

/** Builds a transition's context from the configuration and the moment — the one place that does. */
export function transitionContext(
  config: { reopenWindow: number; notify: { escalateAfter: number } },
  at: { now: number; actor: string; silenced: boolean; maintenance?: boolean },
): TransitionContext {
  const context: TransitionContext = { now: at.now, reopenWindow: config.reopenWindow, escalateAfter: config.notify.escalateAfter, silenced: at.silenced, actor: at.actor };
  return at.maintenance === true ? { ...context, maintenance: true } : context;
}

/** Whether rings are held back now: a silence, or a quiet planned maintenance. */
function muted(ctx: TransitionContext): boolean {
  return ctx.silenced || ctx.maintenance === true;
}

/** The next state of one incident plus the effects, restarts and audit records the shell must persist with it. */
export interface Transition {
  incident: Incident | null;
  effects: Effect[];
  audit: AuditEntry[];
  /** Restarts to record as attempts and carry out after commit (only `restartRequested` asks for one). */
  restarts: RestartRequest[];
}

/** What one event's handler returns: it names restarts only when it asks for one. */
type Step = Omit<Transition, 'restarts'> & { restarts?: RestartRequest[] };

/**
 * The incident lifecycle as a pure reducer (XState's contract, hand-written): it returns the next
 * state and the effects to carry out, and carries out none of them. A `fail` on a resolved incident
 * within the reopen window reopens it; after the window it starts a fresh incident (id null).
 */
export function transition(incident: Incident | null, event: IncidentEvent, ctx: TransitionContext): Transition {
  const step = react(incident, event, ctx);
  return { ...step, restarts: step.restarts ?? [] };
}

function react(incident: Incident | null, event: IncidentEvent, ctx: TransitionContext): Step {
  switch (event.type) {
    case 'fail':
      return onFail(incident, event, ctx);
    case 'recover':
      return onRecover(incident, event, ctx);
    case 'acknowledge':
      return onAcknowledge(incident, event, ctx);
    case 'tick':
      return onTick(incident, ctx);
    case 'restartRequested':
      return onRestartRequested(incident, event, ctx);
    case 'restartSkipped':
      return onRestartSkipped(incident, event, ctx);
    case 'restartFinished':
      return onRestartFinished(incident, event, ctx);
    case 'circuitOpen':
      return onCircuitOpen(incident, event, ctx);
    case 'silenceChanged':
      return onSilenceChanged(incident, event, ctx);
    case 'alertsChanged':
      return onAlertsChanged(incident, event, ctx);
    case 'namedTargetsChanged':
      return quietChange(incident, 'namedTargetsChanged', event.text, ctx);
    case 'maintenanceChanged':
      return quietChange(incident, 'maintenanceChanged', event.text, ctx);
    case 'maintenanceEnded':
      return onMaintenanceEnded(incident, event, ctx);
    case 'note':
      return onNote(incident, event, ctx);
    case 'maintenanceOverran':
      return onMaintenanceOverran(incident, event, ctx);
  }
}

/** A fresh, unsaved (id null) open incident with no history. */
export function newIncident(subject: string, kind: IncidentKind, cause: string, now: number): Incident {
  return {
    id: null,
    subject,
    kind,
    state: 'open',
    cause,
    targets: [],
    openedAt: now,
    resolvedAt: null,
    reopenCount: 0,
    acknowledgedBy: null,
    acknowledgedAt: null,
    notifiedAt: null,
    escalatedAt: null,
    restartCount: 0,
    needsHuman: false,
  };
}

/** The ids of the stored incidents among `incidents` that are still open. */
export function openIncidentIds(incidents: Incident[]): number[] {
  return incidents.filter((i) => isOpen(i) && i.id !== null).map((i) => i.id!);
}

/** Whether an incident is still open (acknowledged counts as open). */
export function isOpen(incident: Incident | null): incident is Incident {
  return incident !== null && incident.state !== 'resolved';
}

function unchanged(incident: Incident | null): Step {
  return { incident, effects: [], audit: [] };
}

function audit(ctx: TransitionContext, incident: Incident, action: string, reason: string | null, detail: Record<string, unknown> = {}): AuditEntry {
  return { at: ctx.now, actor: ctx.actor, action, subject: incident.subject, incidentId: incident.id, reason, detail };
}

/** The ring that goes with (re)opening: the mention and push now, or owed until the silence ends. */
function ringOnOpen(incident: Incident, ctx: TransitionContext, reopen: boolean): Step {
  const effects: Effect[] = [];
  const entries: AuditEntry[] = [];
  let next = incident;
  if (reopen) {
    effects.push({ type: 'editMessage' });
    effects.push({ type: 'threadNote', text: `Reopened: ${escapeMarkdown(incident.cause)}` });
  } else {
    effects.push({ type: 'postMessage', mention: !muted(ctx) });
  }
  if (muted(ctx)) {
    next = { ...next, notifiedAt: null };
    entries.push(audit(ctx, next, 'notificationMuted', ctx.silenced ? 'silenced' : 'maintenance'));
  } else {
    next = { ...next, notifiedAt: ctx.now };
    if (reopen) effects.push({ type: 'ring', reason: 'reopen', text: `Reopened: ${escapeMarkdown(incident.cause)}` });
    effects.push({ type: 'push', reason: reopen ? 'reopen' : 'open' });
    entries.push(audit(ctx, next, 'notified', reopen ? 'reopen' : 'open'));
  }
  return { incident: next, effects, audit: entries };
}

function onFail(incident: Incident | null, event: Extract<IncidentEvent, { type: 'fail' }>, ctx: TransitionContext): Step {
  if (incident && incident.state !== 'resolved') {
    const targets = union(incident.targets, event.targets);
    const added = targets.filter((t) => !incident.targets.includes(t));
    // A target incident keeps the cause it opened with: probe details vary and must not cause edits.
    const cause = incident.kind === 'target' ? incident.cause : event.cause;
    const settled = event.diagnoses ? settleDiagnoses(incident.diagnoses ?? {}, event.diagnoses) : { diagnoses: incident.diagnoses, changed: [] };
    if (added.length === 0 && cause === incident.cause && settled.changed.length === 0) return unchanged(incident);
    const next: Incident = { ...withoutDiagnoses(incident), targets, cause, ...withDiagnoses(settled.diagnoses) };
    const effects: Effect[] = [{ type: 'editMessage' }];
    const entries: AuditEntry[] = [];
    if (added.length > 0) {
      // A planned maintenance's sentence names what waits for it: its cause note says it.
      if (ctx.maintenance !== true) effects.push({ type: 'threadNote', text: `Also affected: ${listWithCount(added, 1500)}` });
      entries.push(audit(ctx, next, 'targetsAdded', null, { targets: added }));
    }
    for (const target of settled.changed) {
      const found = next.diagnoses?.[target] ?? null;
      effects.push({ type: 'threadNote', text: whyNote(target, found) });
      entries.push(audit(ctx, next, 'diagnosisChanged', found?.reason ?? null, { target, apiReason: found?.apiReason ?? null, container: found?.container ?? null, message: found?.message ?? null }));
    }
    if (cause !== incident.cause) {
      effects.push({ type: 'threadNote', text: escapeMarkdown(cause) });
      entries.push(audit(ctx, next, 'causeChanged', null, { cause }));
    }
    return { incident: next, effects, audit: entries };
  }

  if (incident && withinReopenWindow(incident.resolvedAt, ctx.now, ctx.reopenWindow)) {
    const reopened: Incident = {
      ...(event.diagnoses ? { ...withoutDiagnoses(incident), ...withDiagnoses(event.diagnoses) } : incident),
      state: 'open',
      cause: event.cause,
      targets: union(incident.targets, event.targets),
      resolvedAt: null,
      reopenCount: incident.reopenCount + 1,
      acknowledgedBy: null,
      acknowledgedAt: null,
      escalatedAt: null,
    };
    const ring = ringOnOpen(reopened, ctx, true);
    return { ...ring, audit: [audit(ctx, reopened, 'reopened', null, { cause: event.cause }), ...ring.audit] };
  }

  const opened: Incident = { ...newIncident(event.subject, event.kind, event.cause, ctx.now), targets: [...event.targets].sort(), ...withDiagnoses(event.diagnoses) };
  const ring = ringOnOpen(opened, ctx, false);
  return { ...ring, audit: [audit(ctx, opened, 'opened', null, { cause: event.cause, targets: opened.targets }), ...ring.audit] };
}

/** The thread's note about a changed diagnosis: the API's reason and words, and what to do. */
function whyNote(target: string, diagnosis: Diagnoses[string] | null): string {
  if (diagnosis === null) return `Why ${target} is down: Kubernetes no longer reports a reason`;
  return clip(`Why ${target} is down: ${escapeMarkdown(oneLine(diagnosisLine(diagnosis)))} — ${escapeMarkdown(diagnosis.hint)}`, 1800);
}

function withoutDiagnoses(incident: Incident): Incident {
  const { diagnoses: _dropped, ...rest } = incident;
  return rest;
}

/** The `diagnoses` of an incident that opens or reopens with these, or nothing when there are none. */
function withDiagnoses(diagnoses: Diagnoses | undefined): { diagnoses?: Diagnoses } {
  return diagnoses && Object.keys(diagnoses).length > 0 ? { diagnoses } : {};
}

function onRecover(incident: Incident | null, event: Extract<IncidentEvent, { type: 'recover' }>, ctx: TransitionContext): Step {
  if (!isOpen(incident)) return unchanged(incident);
  // The message now says why it is over; the thread keeps the history of causes.
  const next: Incident = { ...incident, state: 'resolved', resolvedAt: ctx.now, cause: event.cause };
  return {
    incident: next,
    effects: [{ type: 'editMessage' }, { type: 'threadNote', text: `Resolved: ${escapeMarkdown(event.cause)}` }, { type: 'archiveThread' }],
    audit: [audit(ctx, next, 'resolved', null, { cause: event.cause, openFor: ctx.now - incident.openedAt })],
  };
}

function onAcknowledge(incident: Incident | null, event: Extract<IncidentEvent, { type: 'acknowledge' }>, ctx: TransitionContext): Step {
  if (!incident || incident.state !== 'open') return unchanged(incident);
  const next: Incident = { ...incident, state: 'acknowledged', acknowledgedBy: event.by, acknowledgedAt: ctx.now };
  return {
    incident: next,
    effects: [{ type: 'editMessage' }, { type: 'threadNote', text: `Acknowledged by <@${event.by}>` }],
    audit: [audit(ctx, next, 'acknowledged', null, event.via ? { via: event.via } : {})],
  };
}

function onTick(incident: Incident | null, ctx: TransitionContext): Step {
  if (!incident || incident.state !== 'open' || muted(ctx)) return unchanged(incident);
  if (incident.notifiedAt === null) {
    // A silence held the ring back and has ended while the incident is still open: ring now.
    const next = { ...incident, notifiedAt: ctx.now };
    return {
      incident: next,
      effects: [
        { type: 'ring', reason: 'unmuted', text: `Silence ended and this is still open: ${escapeMarkdown(incident.cause)}` },
        { type: 'push', reason: 'unmuted' },
      ],
      audit: [audit(ctx, next, 'notified', 'unmuted')],
    };
  }
  const unacknowledgedFor = elapsedSince(incident.notifiedAt, ctx.now);
  if (incident.escalatedAt === null && unacknowledgedFor >= ctx.escalateAfter) {
    return escalate(incident, ctx, `Still open and unacknowledged after ${wholeMinutes(unacknowledgedFor)}: ${escapeMarkdown(incident.cause)}`, 'unacknowledged');
  }
  return unchanged(incident);
}

function escalate(incident: Incident, ctx: TransitionContext, text: string, reason: string): Step {
  const next = { ...incident, escalatedAt: ctx.now };
  return {
    incident: next,
    effects: [
      { type: 'ring', reason: 'escalation', text },
      { type: 'email', reason: 'escalation' },
      { type: 'push', reason: 'escalation' },
    ],
    audit: [audit(ctx, next, 'escalated', reason)],
  };
}

function onRestartRequested(
  incident: Incident | null,
  event: Extract<IncidentEvent, { type: 'restartRequested' }>,
  ctx: TransitionContext,
): Step {
  const restarts: RestartRequest[] = [{ target: event.target, automatic: event.automatic, requestedBy: event.by }];
  if (!incident) {
    // A person may restart a target that has no incident; the restart is still carried out and audited.
    return {
      incident: null,
      restarts,
      effects: [],
      audit: [{ at: ctx.now, actor: ctx.actor, action: 'restartRequested', subject: targetSubject(event.target), incidentId: null, reason: event.reason, detail: { automatic: event.automatic } }],
    };
  }
  const next = event.automatic ? { ...incident, restartCount: incident.restartCount + 1 } : incident;
  const who = event.automatic ? `automatically (attempt ${next.restartCount})` : `by <@${event.by}>`;
  const why = event.reason ? `: ${escapeMarkdown(event.reason)}` : '';
  return {
    incident: next,
    restarts,
    effects: [{ type: 'threadNote', text: `Restarting ${event.target} ${who}${why}` }, { type: 'editMessage' }],
    audit: [audit(ctx, next, 'restartRequested', event.reason, { target: event.target, automatic: event.automatic })],
  };
}

function onRestartSkipped(
  incident: Incident | null,
  event: Extract<IncidentEvent, { type: 'restartSkipped' }>,
  ctx: TransitionContext,
): Step {
  if (!incident) return unchanged(incident);
  // Waiting out our own restart is expected; only refusals that tell people something go to the thread.
  // The observer incident's message already says that automatic restarts hold: one note per target would repeat it.
  // A planned maintenance's card already says that its targets wait for it.
  const noteworthy = !isWaitingReason(event.reason) && incident.kind !== 'observer' && event.reason !== 'nodeMaintenance';
  return {
    incident,
    effects: noteworthy ? [{ type: 'threadNote', text: `Not restarting ${event.target}: ${escapeMarkdown(event.message)}` }] : [],
    audit: [audit(ctx, incident, 'restartSkipped', event.reason, { target: event.target, message: event.message })],
  };
}

function onRestartFinished(
  incident: Incident | null,
  event: Extract<IncidentEvent, { type: 'restartFinished' }>,
  ctx: TransitionContext,
): Step {
  const subject = incident?.subject ?? targetSubject(event.target);
  const entry: AuditEntry = {
    at: ctx.now,
    actor: ctx.actor,
    action: event.ok ? 'restartSucceeded' : 'restartFailed',
    subject,
    incidentId: incident?.id ?? null,
    reason: event.error,
    detail: { target: event.target, ...(event.attemptId !== undefined ? { attemptId: event.attemptId } : {}) },
  };
  if (event.ok || !incident) return { incident, effects: [], audit: [entry] };
  return { incident, effects: [{ type: 'threadNote', text: `Restart of ${event.target} failed: ${escapeMarkdown(event.error ?? 'unknown error')}` }], audit: [entry] };
}

function onCircuitOpen(incident: Incident | null, event: Extract<IncidentEvent, { type: 'circuitOpen' }>, ctx: TransitionContext): Step {
  if (!isOpen(incident) || incident.needsHuman) return unchanged(incident);
  const next = { ...incident, needsHuman: true };
  const note: Effect = { type: 'threadNote', text: `Needs a human: ${event.message}` };
  const entry = audit(ctx, next, 'circuitOpen', 'circuitOpen', { target: event.target });
  if (next.state === 'acknowledged' || next.escalatedAt !== null || muted(ctx)) {
    return { incident: next, effects: [note, { type: 'editMessage' }], audit: [entry] };
  }
  const escalation = escalate(next, ctx, `Needs a human: ${event.message}`, 'circuitOpen');
  return { incident: escalation.incident, effects: [note, { type: 'editMessage' }, ...escalation.effects], audit: [entry, ...escalation.audit] };
}

function onSilenceChanged(incident: Incident | null, event: Extract<IncidentEvent, { type: 'silenceChanged' }>, ctx: TransitionContext): Step {
  if (!isOpen(incident)) return unchanged(incident);
  return {
    incident,
    effects: [{ type: 'editMessage' }, { type: 'threadNote', text: event.text }],
    audit: [audit(ctx, incident, 'silenceChanged', event.reason || null, { text: event.text, ...(event.lifted !== undefined ? { lifted: event.lifted } : {}), ...(event.until !== undefined ? { until: event.until } : {}) })],
  };
}

/**
 * A planned maintenance overran: the quiet card becomes an ordinary incident. It rings once now (unless
 * a silence holds it back, which then owes it), and escalation counts from here.
 */
function onMaintenanceOverran(incident: Incident | null, event: Extract<IncidentEvent, { type: 'maintenanceOverran' }>, ctx: TransitionContext): Step {
  if (!isOpen(incident)) return unchanged(incident);
  const text = escapeMarkdown(event.text);
  const effects: Effect[] = [{ type: 'editMessage' }];
  if (ctx.silenced) {
    return { incident, effects: [...effects, { type: 'threadNote', text }], audit: [audit(ctx, incident, 'maintenanceOverran', 'silenced', { text: event.text })] };
  }
  const next: Incident = { ...incident, notifiedAt: ctx.now };
  return {
    incident: next,
    effects: [...effects, { type: 'ring', reason: 'overrun', text }, { type: 'push', reason: 'overrun' }],
    audit: [audit(ctx, next, 'maintenanceOverran', null, { text: event.text }), audit(ctx, next, 'notified', 'overrun')],
  };
}

function onAlertsChanged(incident: Incident | null, event: Extract<IncidentEvent, { type: 'alertsChanged' }>, ctx: TransitionContext): Step {
  return quietChange(incident, 'alertsChanged', event.text, ctx);
}

/** The end of a maintenance window: rings once for what is still down (the ring it held back), or notes it quietly. */
function onMaintenanceEnded(incident: Incident | null, event: Extract<IncidentEvent, { type: 'maintenanceEnded' }>, ctx: TransitionContext): Step {
  if (incident !== null && !isOpen(incident)) {
    // Everything came back: the summary goes to the thread of what came back last, which is archived again.
    return {
      incident,
      effects: [{ type: 'threadNote', text: event.text }, { type: 'archiveThread' }],
      audit: [audit(ctx, incident, 'maintenanceEnded', null, { text: event.text })],
    };
  }
  if (!event.ring || !isOpen(incident)) return quietChange(incident, 'maintenanceEnded', event.text, ctx);
  const next = { ...incident, notifiedAt: ctx.now };
  return {
    incident: next,
    effects: [{ type: 'editMessage' }, { type: 'ring', reason: 'unmuted', text: event.text }, { type: 'push', reason: 'unmuted' }],
    audit: [audit(ctx, next, 'maintenanceEnded', null, { text: event.text }), audit(ctx, next, 'notified', 'maintenanceEnded')],
  };
}

/** An open incident's message is edited (what it shows changed) and a quiet note says why; audited as `action`. */
function quietChange(incident: Incident | null, action: string, text: string, ctx: TransitionContext): Step {
  if (!isOpen(incident)) return unchanged(incident);
  return {
    incident,
    effects: [{ type: 'editMessage' }, { type: 'threadNote', text }],
    audit: [audit(ctx, incident, action, null, { text })],
  };
}

/** The most of a person's note the timeline keeps: the thread note, its author and escaping stay within a message. */
export const NOTE_MAX = 1500;

/**
 * A person's note: one timeline entry, and a quiet thread note that says who wrote it (a user mention
 * shows the name and, with no allowed mentions, pings nobody). A resolved incident's thread is archived
 * again after the note.
 */
function onNote(incident: Incident | null, event: Extract<IncidentEvent, { type: 'note' }>, ctx: TransitionContext): Step {
  if (!incident) return unchanged(incident);
  const text = clip(event.text.trim(), NOTE_MAX);
  // Escaping can double the text's length: the note is clipped to a Discord message, the timeline keeps it all.
  const effects: Effect[] = [{ type: 'threadNote', text: clip(`📝 Note from <@${event.by}>: ${escapeMarkdown(text)}`, DISCORD_LIMITS.content) }];
  if (incident.state === 'resolved') effects.push({ type: 'archiveThread' });
  return { incident, effects, audit: [audit(ctx, incident, 'note', null, { text })] };
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/** A wait in whole minutes ("15m"): cycles land a few seconds after the threshold, which nobody needs to read. */
function wholeMinutes(ms: number): string {
  return formatDuration(Math.max(60_000, Math.round(ms / 60_000) * 60_000));
}
