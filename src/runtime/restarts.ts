import type { Config } from '../config/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import { applyEvent, type RestartJob } from './step.js';
import type { Metrics } from './metrics.js';
import type { Clock, Restarter } from './ports.js';

/** How one restart attempt ended. */
export interface RestartOutcome {
  attemptId: number;
  target: string;
  ok: boolean;
  error: string | null;
}

/** What carrying out restarts needs. */
export interface RestartDeps {
  config: Config;
  store: Store;
  restarter: Restarter;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * Carries out restarts already recorded as pending (after their transaction committed), then records
 * each outcome. A failed API call is recorded on the attempt, audited and noted in the incident's
 * thread — never thrown away, never retried automatically (the gate decides about the next one).
 */
export async function carryOutRestarts(jobs: RestartJob[], deps: RestartDeps): Promise<RestartOutcome[]> {
  const outcomes: RestartOutcome[] = [];
  for (const job of jobs) {
    const target = deps.config.targets.find((t) => t.name === job.target);
    let error: string | null = null;
    try {
      if (!target) throw new Error(`target ${job.target} is no longer configured`);
      await deps.restarter.restart(target, deps.clock());
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    recordOutcome(job, error, deps);
    deps.metrics?.restarts.inc({ result: error === null ? 'succeeded' : 'failed', trigger: job.automatic ? 'automatic' : 'manual' });
    outcomes.push({ attemptId: job.attemptId, target: job.target, ok: error === null, error });
    if (error) deps.logger.warn({ target: job.target, attemptId: job.attemptId, err: error }, 'restart failed');
    else deps.logger.info({ target: job.target, attemptId: job.attemptId, automatic: job.automatic, by: job.requestedBy }, 'restarted');
  }
  return outcomes;
}

function recordOutcome(job: RestartJob, error: string | null, deps: RestartDeps): void {
  const now = deps.clock();
  deps.store.transaction(() => {
    deps.store.finishRestartAttempt(job.attemptId, error === null ? 'succeeded' : 'failed', error, now);
    const incident = job.incidentId === null ? null : deps.store.getIncident(job.incidentId);
    applyEvent(deps, incident, { type: 'restartFinished', target: job.target, ok: error === null, error, attemptId: job.attemptId }, { actor: job.requestedBy, now });
  });
}
