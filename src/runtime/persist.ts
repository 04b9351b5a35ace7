import type { IncidentPlan } from '../core/plan.js';
import type { Incident } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';

/** A restart recorded as pending in the database, to be carried out after commit. */
export interface RestartJob {
  attemptId: number;
  target: string;
  incidentId: number | null;
  automatic: boolean;
  requestedBy: string;
}

/**
 * Writes one incident's new state, its audit records and its effects (outbox rows, or pending
 * restart attempts) — call inside `store.transaction` so they commit together. Returns the stored
 * incident (with its id) and the restarts to carry out once the transaction has committed.
 */
export function persistIncidentPlan(store: Store, plan: IncidentPlan, now: number): { incident: Incident; restartJobs: RestartJob[] } {
  const incident = plan.incident.id === null ? store.insertIncident(plan.incident) : (store.updateIncident(plan.incident), plan.incident);
  for (const entry of plan.audit) store.appendAudit({ ...entry, incidentId: entry.incidentId ?? incident.id });
  const restartJobs: RestartJob[] = [];
  for (const effect of plan.effects) {
    if (effect.type === 'restart') {
      // Restarts are not idempotent: the attempt row is their record, written before the API call.
      const attempt = store.insertRestartAttempt({
        target: effect.target,
        incidentId: incident.id,
        requestedBy: effect.requestedBy,
        automatic: effect.automatic,
        requestedAt: now,
      });
      restartJobs.push({ attemptId: attempt.id, target: effect.target, incidentId: incident.id, automatic: effect.automatic, requestedBy: effect.requestedBy });
    } else {
      store.enqueueEffect(incident.id, effect, now);
    }
  }
  return { incident, restartJobs };
}
