/** The `maintenance_windows` table: windows declared by people and occurrences of recurring ones. */
import type { Database } from 'better-sqlite3';
import type { MaintenanceWindow } from '../../core/windows.js';

/** Typed access to maintenance windows; synchronous. */
export interface WindowRepo {
  /** Stores a new window and returns it with its id. */
  addWindow(w: Omit<MaintenanceWindow, 'id' | 'endedAt' | 'reportedAt'>): MaintenanceWindow;
  /**
   * Stores an occurrence of a recurring window unless that occurrence (name and start) is already
   * stored; returns whether it was added.
   */
  addOccurrence(w: Omit<MaintenanceWindow, 'id' | 'endedAt' | 'reportedAt' | 'createdBy' | 'createdByName'> & { recurring: string }): boolean;
  /** Ends the given windows early at `at` (those already over are left alone); returns how many. */
  endWindows(ids: number[], at: number, by: string): number;
  /** The windows whose end is not reported yet — those in force and those whose report is owed — by id. */
  unreportedWindows(): MaintenanceWindow[];
  /** Marks windows' end reports as written. */
  markWindowsReported(ids: number[], at: number): void;
}

interface WindowRow {
  id: number;
  nodes_json: string;
  targets_json: string;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string;
  created_by_name: string;
  recurring: string | null;
  ended_at: number | null;
  reported_at: number | null;
}

function fromRow(row: WindowRow): MaintenanceWindow {
  return {
    id: row.id,
    nodes: JSON.parse(row.nodes_json) as string[],
    targets: JSON.parse(row.targets_json) as string[],
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    reason: row.reason,
    createdBy: row.created_by,
    createdByName: row.created_by_name,
    recurring: row.recurring,
    endedAt: row.ended_at,
    reportedAt: row.reported_at,
  };
}

/** Builds the window repository over `db`. */
export function createWindowRepo(db: Database): WindowRepo {
  const insert = db.prepare(`
    INSERT INTO maintenance_windows (nodes_json, targets_json, starts_at, ends_at, reason, created_by, created_by_name, recurring)
    VALUES (@nodes, @targets, @startsAt, @endsAt, @reason, @createdBy, @createdByName, @recurring)
    ON CONFLICT (recurring, starts_at) WHERE recurring IS NOT NULL DO NOTHING`);
  const end = db.prepare('UPDATE maintenance_windows SET ended_at = @at, ended_by = @by WHERE id = @id AND ended_at IS NULL AND ends_at > @at');
  const unreported = db.prepare<[], WindowRow>(`
    SELECT id, nodes_json, targets_json, starts_at, ends_at, reason, created_by, created_by_name, recurring, ended_at, reported_at
    FROM maintenance_windows WHERE reported_at IS NULL ORDER BY id`);
  const reported = db.prepare('UPDATE maintenance_windows SET reported_at = @at WHERE id = @id AND reported_at IS NULL');
  const row = (w: Omit<MaintenanceWindow, 'id' | 'endedAt' | 'reportedAt'>) => ({
    nodes: JSON.stringify(w.nodes),
    targets: JSON.stringify(w.targets),
    startsAt: w.startsAt,
    endsAt: w.endsAt,
    reason: w.reason,
    createdBy: w.createdBy,
    createdByName: w.createdByName,
    recurring: w.recurring,
  });

  return {
    addWindow(w) {
      const { lastInsertRowid } = insert.run(row(w));
      return { ...w, id: Number(lastInsertRowid), endedAt: null, reportedAt: null };
    },
    addOccurrence(w) {
      return insert.run(row({ ...w, createdBy: 'config', createdByName: '' })).changes === 1;
    },
    endWindows(ids, at, by) {
      let ended = 0;
      for (const id of ids) ended += end.run({ id, at, by }).changes;
      return ended;
    },
    unreportedWindows() {
      return unreported.all().map(fromRow);
    },
    markWindowsReported(ids, at) {
      for (const id of ids) reported.run({ id, at });
    },
  };
}
