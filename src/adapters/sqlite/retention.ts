/**
 * Retention of incidents (SPEC §13): a resolved incident and every row that belongs to it are kept for
 * `retention`, then deleted in small batches, the rows that reference it first (foreign keys are on).
 */
import type { Database } from 'better-sqlite3';

/**
 * Every table with rows that belong to an incident (`incident_id REFERENCES incidents (id)`): they go
 * with it. A new such table is one line here; a test fails while one is missing.
 */
export const INCIDENT_CHILD_TABLES = ['audit_log', 'outbox', 'restart_attempts', 'alert_groups'] as const;

/** What one pruning batch removed. */
export interface PruneReport {
  incidents: number;
  /** Rows of `INCIDENT_CHILD_TABLES` removed with them. */
  rows: number;
}

/** Pruning of incidents past their retention; synchronous, may run inside `transaction()`. */
export interface RetentionRepo {
  /**
   * Deletes at most `limit` incidents resolved before `before` (ms), the longest-resolved first, with
   * every row that references them. An incident not resolved is never touched, however old; one with
   * an outbox effect still pending waits until it is delivered or given up.
   */
  pruneIncidents(before: number, limit: number): PruneReport;
}

/** Builds the retention repository over `db`. */
export function createRetentionRepo(db: Database): RetentionRepo {
  // The partial index incidents_by_resolved_at serves this; `state` is checked too, so a row that is
  // somehow open with a resolved_at (never written by stormguard) is still kept. An incident with an
  // effect still pending waits: what is owed is delivered first (and the delivery loop may hold it now).
  const expired = db.prepare<[number, number], { id: number }>(`
    SELECT i.id FROM incidents i
    WHERE i.resolved_at IS NOT NULL AND i.resolved_at < ? AND i.state = 'resolved'
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.incident_id = i.id AND o.status = 'pending')
    ORDER BY i.resolved_at, i.id LIMIT ?`);
  // One JSON array of ids per batch: a single prepared statement per table, whatever the batch size.
  const children = INCIDENT_CHILD_TABLES.map((table) => db.prepare<[string]>(`DELETE FROM ${table} WHERE incident_id IN (SELECT value FROM json_each(?))`));
  const parents = db.prepare<[string]>(`DELETE FROM incidents WHERE state = 'resolved' AND id IN (SELECT value FROM json_each(?))`);
  const batch = db.transaction((before: number, limit: number): PruneReport => {
    const ids = expired.all(before, limit).map((r) => r.id);
    if (ids.length === 0) return { incidents: 0, rows: 0 };
    const json = JSON.stringify(ids);
    let rows = 0;
    for (const statement of children) rows += statement.run(json).changes;
    return { incidents: parents.run(json).changes, rows };
  });

  return {
    pruneIncidents(before, limit) {
      return batch(before, limit);
    },
  };
}
