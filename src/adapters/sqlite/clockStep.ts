/**
 * When the wall clock steps back, times stormguard recorded are "in the future". Whatever waits on them
 * (a cooldown, a backoff, the hourly limit, escalation, the reopen window, a silence) would wait the
 * size of the step on top of its own length. Everything recorded happened before now, so it is re-dated
 * to now, once: each wait then lasts its own length from now — never hours more, never less.
 */
import type { Database } from 'better-sqlite3';

/** What re-dating after a step back changed: how many rows, and how far ahead the furthest one was. */
export interface ClockStepReport {
  rows: number;
  /** The largest amount a recorded time lay after now (about the size of the step), 0 when none did. */
  aheadMs: number;
}

/** Settling the database after the wall clock stepped back; synchronous. */
export interface ClockStepRepo {
  /**
   * Re-dates every recorded time after `now` to `now` (restart attempts, incidents' times, silences);
   * a silence made "after" now is in force for its own length from now. A no-op unless the clock
   * stepped back.
   */
  settleClockStep(now: number): ClockStepReport;
}

/** Builds the clock-step repository over `db`. */
export function createClockStepRepo(db: Database): ClockStepRepo {
  const ahead = db.prepare<[{ now: number }], { ahead: number | null }>(`
    SELECT max(t) - @now AS ahead FROM (
      SELECT max(requested_at, coalesce(finished_at, 0)) AS t FROM restart_attempts
      UNION ALL SELECT max(opened_at, coalesce(resolved_at, 0), coalesce(acknowledged_at, 0), coalesce(notified_at, 0), coalesce(escalated_at, 0)) FROM incidents
      UNION ALL SELECT max(starts_at, coalesce(lifted_at, 0)) FROM silences
      UNION ALL SELECT max(starts_at, coalesce(ended_at, 0), coalesce(reported_at, 0)) FROM maintenance_windows
      UNION ALL SELECT max(since, coalesce(cordoned_at, 0), coalesce(disrupted_at, 0), coalesce(down_at, 0), coalesce(not_ready_since, 0), coalesce(back_at, 0), coalesce(rang_at, 0), coalesce(ended_at, 0)) FROM node_maintenance)`);
  const redate = [
    'UPDATE restart_attempts SET requested_at = min(requested_at, @now), finished_at = min(finished_at, @now) WHERE requested_at > @now OR finished_at > @now',
    `UPDATE incidents SET opened_at = min(opened_at, @now), resolved_at = min(resolved_at, @now), acknowledged_at = min(acknowledged_at, @now),
       notified_at = min(notified_at, @now), escalated_at = min(escalated_at, @now)
     WHERE opened_at > @now OR resolved_at > @now OR acknowledged_at > @now OR notified_at > @now OR escalated_at > @now`,
    // A silence made "after" now starts now and keeps its length (the right side reads the old start):
    // how much of it had passed before the step is unknown, and lifting it early would page people.
    'UPDATE silences SET ends_at = @now + (ends_at - starts_at), starts_at = @now WHERE starts_at > @now',
    'UPDATE silences SET lifted_at = @now WHERE lifted_at > @now',
    // A maintenance window likewise: in force for its own length from now, never stretched by the step.
    'UPDATE maintenance_windows SET ends_at = @now + (ends_at - starts_at), starts_at = @now WHERE starts_at > @now',
    'UPDATE maintenance_windows SET ended_at = min(ended_at, @now), reported_at = min(reported_at, @now) WHERE ended_at > @now OR reported_at > @now',
    // A maintenance's settle and overrun waits count from these: none may outlast its length from now.
    `UPDATE node_maintenance SET since = min(since, @now), cordoned_at = min(cordoned_at, @now), disrupted_at = min(disrupted_at, @now),
       down_at = min(down_at, @now), not_ready_since = min(not_ready_since, @now), back_at = min(back_at, @now), rang_at = min(rang_at, @now), ended_at = min(ended_at, @now)
     WHERE since > @now OR cordoned_at > @now OR disrupted_at > @now OR down_at > @now OR not_ready_since > @now OR back_at > @now OR rang_at > @now OR ended_at > @now`,
  ].map((sql) => db.prepare<[{ now: number }]>(sql));

  return {
    settleClockStep(now) {
      return db.transaction(() => {
        const aheadMs = ahead.get({ now })?.ahead ?? 0;
        if (aheadMs <= 0) return { rows: 0, aheadMs: 0 };
        const rows = redate.reduce((n, statement) => n + statement.run({ now }).changes, 0);
        return { rows, aheadMs };
      })();
    },
  };
}
