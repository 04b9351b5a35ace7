/** The `node_maintenance` table: each node's planned maintenance (core/maintenance.ts), kept across restarts. */
import type { Database } from 'better-sqlite3';
import type { Maintenance } from '../../core/maintenance.js';

/** Typed access to the maintenance records; synchronous. */
export interface MaintenanceRepo {
  /** Every node's maintenance record, by node name. */
  loadMaintenance(): Maintenance[];
  /** Replaces every record with `records` (the cycle's plan holds them all); call inside the cycle's transaction. */
  saveMaintenance(records: readonly Maintenance[]): void;
}

interface MaintenanceRow {
  node: string;
  since: number;
  cordoned_at: number | null;
  signals_json: string;
  targets_json: string;
  disrupted_at: number | null;
  down_at: number | null;
  not_ready_since: number | null;
  back_at: number | null;
  rang_at: number | null;
  ended_at: number | null;
}

function fromRow(row: MaintenanceRow): Maintenance {
  return {
    node: row.node,
    since: row.since,
    cordonedAt: row.cordoned_at,
    signals: JSON.parse(row.signals_json) as string[],
    targets: JSON.parse(row.targets_json) as string[],
    disruptedAt: row.disrupted_at,
    downAt: row.down_at,
    notReadySince: row.not_ready_since,
    backAt: row.back_at,
    rangAt: row.rang_at,
    endedAt: row.ended_at,
  };
}

/** Builds the maintenance repository over `db`. */
export function createMaintenanceRepo(db: Database): MaintenanceRepo {
  const all = db.prepare<[], MaintenanceRow>('SELECT * FROM node_maintenance ORDER BY node');
  const clear = db.prepare('DELETE FROM node_maintenance');
  const insert = db.prepare(`
    INSERT INTO node_maintenance (node, since, cordoned_at, signals_json, targets_json, disrupted_at, down_at, not_ready_since, back_at, rang_at, ended_at)
    VALUES (@node, @since, @cordoned_at, @signals_json, @targets_json, @disrupted_at, @down_at, @not_ready_since, @back_at, @rang_at, @ended_at)`);
  const replace = db.transaction((records: readonly Maintenance[]) => {
    clear.run();
    for (const m of records) {
      insert.run({
        node: m.node,
        since: m.since,
        cordoned_at: m.cordonedAt,
        signals_json: JSON.stringify(m.signals),
        targets_json: JSON.stringify(m.targets),
        disrupted_at: m.disruptedAt,
        down_at: m.downAt,
        not_ready_since: m.notReadySince,
        back_at: m.backAt,
        rang_at: m.rangAt,
        ended_at: m.endedAt,
      });
    }
  });
  return {
    loadMaintenance: () => all.all().map(fromRow),
    saveMaintenance(records) {
      replace(records);
    },
  };
}
