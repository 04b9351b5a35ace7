/** The `silences` table: mutes with a scope and an expiry; whether one is active is derived from its times. */
import type { Database } from 'better-sqlite3';
import type { Silence, SilenceScope } from '../../core/types.js';

/** Typed access to silences; synchronous. */
export interface SilenceRepo {
  /** Stores a new silence and returns it with its id. */
  addSilence(s: Omit<Silence, 'id' | 'liftedAt'>): Silence;
  /** Lifts the given silences at `at` (those already ended or lifted are left alone); returns how many. */
  liftSilences(ids: number[], at: number, by: string): number;
  /** The silences still in force at `now` (not ended, not lifted), by id: all any decision needs. */
  activeSilences(now: number): Silence[];
}

interface SilenceRow {
  id: number;
  scope: SilenceScope['kind'];
  name: string | null;
  starts_at: number;
  ends_at: number;
  created_by: string;
  reason: string;
  lifted_at: number | null;
}

function scopeOf(row: SilenceRow): SilenceScope {
  // The CHECK constraints guarantee a name for target and node scopes.
  return row.scope === 'everything' ? { kind: 'everything' } : { kind: row.scope, name: row.name! };
}

function fromRow(row: SilenceRow): Silence {
  return {
    id: row.id,
    scope: scopeOf(row),
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
    'INSERT INTO silences (scope, name, starts_at, ends_at, created_by, reason) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const lift = db.prepare(
    'UPDATE silences SET lifted_at = @at, lifted_by = @by WHERE id = @id AND lifted_at IS NULL AND ends_at > @at',
  );
  const inForce = db.prepare<[{ now: number }], SilenceRow>(`
    SELECT id, scope, name, starts_at, ends_at, created_by, reason, lifted_at FROM silences
    WHERE ends_at > @now AND lifted_at IS NULL ORDER BY id`);

  return {
    addSilence(s) {
      const name = s.scope.kind === 'everything' ? null : s.scope.name;
      const { lastInsertRowid } = insert.run(s.scope.kind, name, s.startsAt, s.endsAt, s.createdBy, s.reason);
      return { ...s, id: Number(lastInsertRowid), liftedAt: null };
    },
    liftSilences(ids, at, by) {
      let lifted = 0;
      for (const id of ids) lifted += lift.run({ id, at, by }).changes;
      return lifted;
    },
    activeSilences(now) {
      return inForce.all({ now }).map(fromRow);
    },
  };
}
