/** The `target_state` table: each target's remembered health and hysteresis counters. */
import type { Database } from 'better-sqlite3';
import type { TargetState } from '../../core/types.js';

/** Typed access to target health; synchronous. */
export interface TargetStateRepo {
  /** Every remembered target state, keyed by target name. */
  loadTargetStates(): Record<string, TargetState>;
  /** Inserts or replaces the state of `s.target`. */
  saveTargetState(s: TargetState): void;
}

interface TargetStateRow {
  target: string;
  health: 'up' | 'down';
  consecutive_failures: number;
  consecutive_successes: number;
  last_detail: string;
  last_observed_at: number | null;
  last_gate_reason: string | null;
  consecutive_missing: number;
}

function fromRow(row: TargetStateRow): TargetState {
  return {
    target: row.target,
    health: row.health,
    consecutiveFailures: row.consecutive_failures,
    consecutiveSuccesses: row.consecutive_successes,
    lastDetail: row.last_detail,
    lastObservedAt: row.last_observed_at,
    lastGateReason: row.last_gate_reason,
    consecutiveMissing: row.consecutive_missing,
  };
}

/** Builds the target-state repository over `db`. */
export function createTargetStateRepo(db: Database): TargetStateRepo {
  const all = db.prepare<[], TargetStateRow>('SELECT * FROM target_state ORDER BY target');
  const upsert = db.prepare(`
    INSERT INTO target_state (target, health, consecutive_failures, consecutive_successes, last_detail,
      last_observed_at, last_gate_reason, consecutive_missing)
    VALUES (@target, @health, @consecutive_failures, @consecutive_successes, @last_detail,
      @last_observed_at, @last_gate_reason, @consecutive_missing)
    ON CONFLICT (target) DO UPDATE SET health = excluded.health,
      consecutive_failures = excluded.consecutive_failures, consecutive_successes = excluded.consecutive_successes,
      last_detail = excluded.last_detail, last_observed_at = excluded.last_observed_at,
      last_gate_reason = excluded.last_gate_reason, consecutive_missing = excluded.consecutive_missing`);

  return {
    loadTargetStates() {
      const states: Record<string, TargetState> = {};
      for (const row of all.all()) states[row.target] = fromRow(row);
      return states;
    },
    saveTargetState(s) {
      upsert.run({
        target: s.target,
        health: s.health,
        consecutive_failures: s.consecutiveFailures,
        consecutive_successes: s.consecutiveSuccesses,
        last_detail: s.lastDetail,
        last_observed_at: s.lastObservedAt,
        last_gate_reason: s.lastGateReason,
        consecutive_missing: s.consecutiveMissing,
      });
    },
  };
}
