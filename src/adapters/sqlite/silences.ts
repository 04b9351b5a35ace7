/** The `silences` table: mutes with an expiry; whether one is active is derived from its times. */
import type { Database } from 'better-sqlite3';
import type { Silence } from '../../core/types.js';

/** Typed access to silences; synchronous. */
export interface SilenceRepo {
  /** Stores a new silence and returns it with its id. */
  addSilence(s: Omit<Silence, 'id' | 'liftedAt'>): Silence;
  /**
   * Lifts every silence of `target` that has not ended by `at` (pending ones too); `target` null lifts
   * every silence, global or per target, as `/silence off` for everything should. Returns how many.
   */
  liftSilences(target: string | null, at: number, by: string): number;
  /** Silences not ended before `since` (active, pending, or ended/lifted at or after `since`), by id. */
  silencesActiveOrEndedSince(since: number): Silence[];
}

interface SilenceRow {
  id: number;
  target: string | null;
  starts_at: number;
  ends_at: number;
  created_by: string;
  reason: string;
  lifted_at: number | null;
}

function fromRow(row: SilenceRow): Silence {
  return {
    id: row.id,
    target: row.target,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    createdBy: row.created_by,
    reason: row.reason,
    liftedAt: row.lifted_at,
  };
}

/** Builds the silence repository over `db`. */
export function createSilenceRepo(db: Database): SilenceRepo {
  const insert = db.prepare(
    'INSERT INTO silences (target, starts_at, ends_at, created_by, reason) VALUES (?, ?, ?, ?, ?)',
  );
  const liftOne = db.prepare(
    'UPDATE silences SET lifted_at = ?, lifted_by = ? WHERE lifted_at IS NULL AND ends_at > ? AND target = ?',
  );
  const liftAll = db.prepare(
    'UPDATE silences SET lifted_at = ?, lifted_by = ? WHERE lifted_at IS NULL AND ends_at > ?',
  );
  // A silence ends at the earlier of its expiry and its lifting.
  const since = db.prepare<[number], SilenceRow>(`
    SELECT id, target, starts_at, ends_at, created_by, reason, lifted_at FROM silences
    WHERE min(ends_at, coalesce(lifted_at, ends_at)) >= ? ORDER BY id`);

  return {
    addSilence(s) {
      const { lastInsertRowid } = insert.run(s.target, s.startsAt, s.endsAt, s.createdBy, s.reason);
      return { ...s, id: Number(lastInsertRowid), liftedAt: null };
    },
    liftSilences(target, at, by) {
      const result = target === null ? liftAll.run(at, by, at) : liftOne.run(at, by, at, target);
      return result.changes;
    },
    silencesActiveOrEndedSince(from) {
      return since.all(from).map(fromRow);
    },
  };
}
