/** The `restart_attempts` table: each restart is written `pending` before the API call is made. */
import type { Database } from 'better-sqlite3';
import type { RestartRecord, RestartStatus } from '../../core/types.js';

/** How a restart attempt ended. */
export type FinishedRestartStatus = Exclude<RestartStatus, 'pending'>;

/** Typed access to restart attempts; synchronous. */
export interface RestartRepo {
  /** Records a restart about to be attempted (status `pending`) and returns it with its id. */
  insertRestartAttempt(r: Omit<RestartRecord, 'id' | 'status' | 'error'>): RestartRecord;
  /** Records how a pending attempt ended; throws when `id` is not a pending attempt. */
  finishRestartAttempt(id: number, status: FinishedRestartStatus, error: string | null, at: number): void;
  /**
   * What the gate counts: every attempt requested at or after `since` (the hourly limit, the cooldown)
   * plus every attempt of the given incidents however old (backoff within a long incident), oldest first.
   */
  restartsFor(query: RestartQuery): RestartRecord[];
  /** Attempts whose outcome was never recorded. */
  pendingRestartAttempts(): RestartRecord[];
  /**
   * Marks every pending attempt `unknown` (crash recovery at start-up: the call may or may not have
   * reached Kubernetes, so it is never re-sent); returns how many.
   */
  markPendingRestartsUnknown(at: number): number;
}

/** Which restart attempts to read: those of these incidents, and all since this time. */
export interface RestartQuery {
  incidentIds: number[];
  since: number;
}

interface RestartRow {
  id: number;
  target: string;
  incident_id: number | null;
  requested_by: string;
  automatic: number;
  requested_at: number;
  status: RestartStatus;
  error: string | null;
}

const COLUMNS = 'id, target, incident_id, requested_by, automatic, requested_at, status, error';

function fromRow(row: RestartRow): RestartRecord {
  return {
    id: row.id,
    target: row.target,
    incidentId: row.incident_id,
    requestedBy: row.requested_by,
    automatic: row.automatic === 1,
    requestedAt: row.requested_at,
    status: row.status,
    error: row.error,
  };
}

/** Builds the restart-attempt repository over `db`. */
export function createRestartRepo(db: Database): RestartRepo {
  const insert = db.prepare(
    'INSERT INTO restart_attempts (target, incident_id, requested_by, automatic, requested_at) VALUES (?, ?, ?, ?, ?)',
  );
  const finish = db.prepare(
    "UPDATE restart_attempts SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status = 'pending'",
  );
  const forQuery = db.prepare<[{ since: number; ids: string }], RestartRow>(`
    SELECT ${COLUMNS} FROM restart_attempts
    WHERE requested_at >= @since OR incident_id IN (SELECT value FROM json_each(@ids))
    ORDER BY requested_at, id`);
  const pending = db.prepare<[], RestartRow>(
    `SELECT ${COLUMNS} FROM restart_attempts WHERE status = 'pending' ORDER BY id`,
  );
  const markUnknown = db.prepare(`
    UPDATE restart_attempts SET status = 'unknown', finished_at = ?,
      error = 'stormguard stopped before the outcome of this restart was known'
    WHERE status = 'pending'`);

  return {
    insertRestartAttempt(r) {
      const { lastInsertRowid } = insert.run(r.target, r.incidentId, r.requestedBy, r.automatic ? 1 : 0, r.requestedAt);
      return { ...r, id: Number(lastInsertRowid), status: 'pending', error: null };
    },
    finishRestartAttempt(id, status, error, at) {
      const { changes } = finish.run(status, error, at, id);
      if (changes !== 1) throw new Error(`finishRestartAttempt: no pending restart attempt with id ${id}`);
    },
    restartsFor({ incidentIds, since }) {
      return forQuery.all({ since, ids: JSON.stringify(incidentIds) }).map(fromRow);
    },
    pendingRestartAttempts() {
      return pending.all().map(fromRow);
    },
    markPendingRestartsUnknown(at) {
      return markUnknown.run(at).changes;
    },
  };
}
