import type { Config } from '../config/types.js';
import { transition, transitionContext, type IncidentEvent, type Transition } from '../core/lifecycle.js';
import { activeSilenceFor } from '../core/silence.js';
import { incidentFigure, type IncidentFigure } from '../core/timeline.js';
import type { Incident, IncidentKind } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';

/** A restart recorded as pending in the database, to be carried out after commit. */
export interface RestartJob {
  attemptId: number;
  target: string;
  incidentId: number | null;
  automatic: boolean;
  requestedBy: string;
}

/** An incident's time to acknowledge or resolve, with the incident's kind: what the histograms observe after commit. */
export type IncidentFigureOf = IncidentFigure & { kind: IncidentKind };

/** What a persisted step leaves behind: the stored incident (with its id), the restarts to carry out and the figures to observe. */
export interface StepResult {
  incident: Incident | null;
  restartJobs: RestartJob[];
  figures: IncidentFigureOf[];
}

/**
 * Writes one transition: the incident's new state, its audit records, its effects (outbox rows) and
 * its restarts (pending attempt rows, written before any API call, because restarts are not idempotent).
 * Call inside `store.transaction` so they commit together; carry out `restartJobs` after commit.
 */
export function persistStep(store: Store, step: Transition, now: number): StepResult {
  const incident = step.incident === null ? null : step.incident.id === null ? store.insertIncident(step.incident) : (store.updateIncident(step.incident), step.incident);
  const incidentId = incident?.id ?? null;
  const restartJobs = step.restarts.map((r) => {
    const attempt = store.insertRestartAttempt({ target: r.target, incidentId, requestedBy: r.requestedBy, automatic: r.automatic, requestedAt: now });
    return { attemptId: attempt.id, target: r.target, incidentId, automatic: r.automatic, requestedBy: r.requestedBy };
  });
  for (const entry of step.audit) store.appendAudit({ ...entry, incidentId: entry.incidentId ?? incidentId, detail: withAttempt(entry, restartJobs) });
  for (const effect of step.effects) store.enqueueEffect(incidentId, effect, now);
  const figures = incident === null ? [] : step.audit.flatMap((entry) => {
    const figure = incidentFigure(entry, incident.openedAt);
    return figure ? [{ ...figure, kind: incident.kind }] : [];
  });
  return { incident, restartJobs, figures };
}

/** A restart request's record names its attempt (the timeline's reference to it); other records are kept as they are. */
function withAttempt(entry: Transition['audit'][number], jobs: RestartJob[]): Record<string, unknown> {
  if (entry.action !== 'restartRequested') return entry.detail;
  const target = entry.detail.target ?? entry.subject.replace(/^target:/, '');
  const job = jobs.find((j) => j.target === target);
  return job ? { ...entry.detail, attemptId: job.attemptId } : entry.detail;
}

/**
 * The shell's one step for a single incident: apply `event` to `incident` through the pure `transition`
 * (its context built here, the silence read from the store) and persist state, audit, effects and
 * restart attempts in one transaction. Used by the actions and by restart outcomes; the cycle plans many
 * events at once in the core and persists each result with `persistStep`.
 */
export function applyEvent(
  deps: { store: Store; config: Pick<Config, 'reopenWindow' | 'notify'> },
  incident: Incident | null,
  event: IncidentEvent,
  at: { actor: string; now: number },
): StepResult {
  const { store, config } = deps;
  return store.transaction(() => {
    const silenced = incident !== null && activeSilenceFor({ incident }, store.activeSilences(at.now), at.now) !== null;
    const step = transition(incident, event, transitionContext(config, { ...at, silenced }));
    return persistStep(store, step, at.now);
  });
}
