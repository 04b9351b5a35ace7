/** The `audit_log` table: an append-only record of every transition and action, with who and when. */
import type { Database } from 'better-sqlite3';
import { timelineKind, timelineSource, type StoredAudit, type TimelineKind, type TimelineSource } from '../../core/timeline.js';
import type { AuditEntry } from '../../core/types.js';

/** Which audit entries to read; every given field must match. */
export interface AuditFilter {
  incidentId?: number;
  subject?: string;
  action?: string;
}

/** Typed access to the audit log; synchronous. */
export interface AuditRepo {
  /** Appends one entry and returns its id. */
  appendAudit(e: AuditEntry): number;
  /** Entries matching `filter`, in the order they were appended. */
  auditFor(filter: AuditFilter): AuditEntry[];
  /** An incident's records with their timeline kind and source, in the order they were appended (the timeline's input). */
  timelineRecords(incidentId: number): StoredAudit[];
  /**
   * Deletes at most `limit` entries from before `before` (ms), oldest first, and returns how many; an
   * incident still open keeps its whole record. Small batches keep each cycle's write short.
   */
  pruneAudit(before: number, limit: number): number;
}

interface AuditRow {
  at: number;
  actor: string;
  action: string;
  subject: string;
  incident_id: number | null;
  reason: string | null;
  detail_json: string;
}

interface TimelineRow extends AuditRow {
  kind: TimelineKind | null;
  source: TimelineSource;
}

function fromRow(row: AuditRow): AuditEntry {
  return {
    at: row.at,
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    incidentId: row.incident_id,
    reason: row.reason,
    detail: JSON.parse(row.detail_json) as Record<string, unknown>,
  };
}

/** Builds the audit repository over `db`. */
export function createAuditRepo(db: Database): AuditRepo {
  const insert = db.prepare(
    'INSERT INTO audit_log (at, actor, action, subject, incident_id, reason, detail_json, kind, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const timeline = db.prepare<[number], TimelineRow>(
    'SELECT at, actor, action, subject, incident_id, reason, detail_json, kind, source FROM audit_log WHERE incident_id = ? ORDER BY id',
  );
  // A NULL parameter means "any", so one statement serves every combination of filters.
  const select = db.prepare<[{ incident_id: number | null; subject: string | null; action: string | null }], AuditRow>(`
    SELECT at, actor, action, subject, incident_id, reason, detail_json FROM audit_log
    WHERE (@incident_id IS NULL OR incident_id = @incident_id) AND (@subject IS NULL OR subject = @subject)
      AND (@action IS NULL OR action = @action)
    ORDER BY id`);
  const prune = db.prepare<[number, number]>(`
    DELETE FROM audit_log WHERE id IN (
      SELECT a.id FROM audit_log a
      WHERE a.at < ? AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = a.incident_id AND i.state <> 'resolved')
      ORDER BY a.at LIMIT ?)`);

  return {
    appendAudit(e) {
      const { lastInsertRowid } = insert.run(
        e.at, e.actor, e.action, e.subject, e.incidentId, e.reason, JSON.stringify(e.detail),
        // Typed as it is written, by the core's one mapping: the timeline is a reading of this log.
        timelineKind(e.action, e.reason, e.detail), timelineSource(e.actor, e.action, e.reason, e.detail),
      );
      return Number(lastInsertRowid);
    },
    auditFor(filter) {
      return select
        .all({ incident_id: filter.incidentId ?? null, subject: filter.subject ?? null, action: filter.action ?? null })
        .map(fromRow);
    },
    timelineRecords(incidentId) {
      return timeline.all(incidentId).map((row) => ({ ...fromRow(row), kind: row.kind, source: row.source }));
    },
    pruneAudit(before, limit) {
      return prune.run(before, limit).changes;
    },
  };
}
