/** What `/readyz` says, from its checks: the database (open, writable, ours alone), Discord, the scheduler. */
import type { Readiness } from '../../adapters/http/server.js';
import { OTHER_WRITER_WINDOW_MS, otherWriterFix } from '../../adapters/sqlite/health.js';
import type { Store } from '../../adapters/sqlite/store.js';
import { discordSetupProblem } from '../reachability.js';

/**
 * Readiness from its checks; with the store, a database that cannot be written, or that another process
 * wrote to within `OTHER_WRITER_WINDOW_MS` of `now`, fails `database` and says why.
 */
export function readinessOf(checks: Readiness['checks'], db?: { store: Store; now: number; file: string }): Readiness {
  const reasons: Record<string, string> = {};
  if (db && checks['database']) {
    const { store, now, file } = db;
    const health = store.health();
    if (!health.writable) {
      checks['database'] = false;
      reasons['database'] = `cannot be written: ${health.fix}`;
    } else if (health.otherWriterAt !== null && now - health.otherWriterAt < OTHER_WRITER_WINDOW_MS) {
      checks['database'] = false;
      reasons['database'] = otherWriterFix(file);
    }
  }
  const ready = Object.values(checks).every(Boolean);
  return Object.keys(reasons).length > 0 ? { ready, checks, reasons } : { ready, checks };
}

/** Whether Discord refuses stormguard for a setup problem; a closed database is the database check's to report. */
export function refusedForSetup(store: Store): boolean {
  try {
    return discordSetupProblem(store) !== null;
  } catch {
    return false;
  }
}

/** Whether the database still answers a query (closed during shutdown, or its file went away). */
export function databaseAnswers(store: Store): boolean {
  try {
    store.getMeta('readiness.probe');
    return true;
  } catch {
    return false;
  }
}
