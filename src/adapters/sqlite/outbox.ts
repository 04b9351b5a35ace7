/** The `outbox` table: effects committed with the state that caused them, delivered after commit. */
import type { Database } from 'better-sqlite3';
import type { PendingEffect } from '../../core/delivery.js';
import { effectChannel, type Effect, type EffectChannel } from '../../core/types.js';

/** Delivery status of an outbox row. */
export type OutboxStatus = 'pending' | 'done' | 'failed';

export type { PendingEffect } from '../../core/delivery.js';

/** Which outbox rows to count; every given field must match. */
export interface OutboxFilter {
  status?: OutboxStatus;
  incidentId?: number;
  type?: Effect['type'];
}

/** Typed access to the outbox; synchronous. */
export interface OutboxRepo {
  /** Queues `effect` for delivery from `at` on and returns its stable id. */
  enqueueEffect(incidentId: number | null, effect: Effect, at: number): number;
  /**
   * Pending effects due at `now`, by id; an effect waits while an earlier effect of the same incident
   * and channel (Discord, email, push) is still backing off, so their order within a channel holds.
   * A retry never waits longer than its own delay from `now`: one planned further away (the wall clock
   * stepped back) is moved to that delay from `now` first.
   */
  pendingEffects(now: number, limit?: number): PendingEffect[];
  /**
   * Records that delivering `id` begins at `at` (a real write): when the database cannot take it, the
   * caller sends nothing, so nothing is ever sent that could not be recorded. Throws when `id` is not pending.
   */
  beginDelivery(id: number, at: number): void;
  /** Records a delivery; throws when `id` is not pending. */
  markEffectDone(id: number, at: number): void;
  /** Records a failed attempt at `at`, to be retried `delayMs` later; throws when `id` is not pending. */
  markEffectRetry(id: number, error: string, at: number, delayMs: number): void;
  /**
   * Makes every pending effect of `channel` that waits for a later attempt due at `now` (a person fixed
   * what Discord refused: the wait is pointless); returns how many. Order within a channel is kept.
   */
  hurryPending(channel: EffectChannel, now: number): number;
  /** Gives up on an effect for good; throws when `id` is not pending. */
  markEffectFailed(id: number, error: string, at: number): void;
  /** How many outbox rows match `filter` (all rows without one). */
  countEffects(filter?: OutboxFilter): number;
  /** Incidents with effects still pending in one channel (e.g. what Discord has not been told yet). */
  incidentsWithPending(channel: EffectChannel): number[];
  /** Pending effects per channel; every channel is present, 0 when nothing waits. */
  pendingByChannel(): Record<EffectChannel, number>;
}

interface OutboxRow {
  id: number;
  incident_id: number | null;
  payload_json: string;
  attempts: number;
}

/** Builds the outbox repository over `db`. */
export function createOutboxRepo(db: Database): OutboxRepo {
  const insert = db.prepare(
    'INSERT INTO outbox (incident_id, channel, type, payload_json, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const due = db.prepare<[{ now: number; limit: number }], OutboxRow>(`
    SELECT o.id, o.incident_id, o.payload_json, o.attempts FROM outbox AS o
    WHERE o.status = 'pending' AND o.next_attempt_at <= @now
      AND NOT EXISTS (
        SELECT 1 FROM outbox AS earlier
        WHERE earlier.status = 'pending' AND earlier.incident_id = o.incident_id
          -- Order is kept per incident AND channel: an email never waits behind a Discord edit that
          -- is backing off during a Discord outage.
          AND earlier.channel = o.channel
          AND earlier.id < o.id AND earlier.next_attempt_at > @now)
    ORDER BY o.id LIMIT @limit`);
  // The one place a retry's wait is bounded: a planned time beyond its delay from now cannot be right.
  const clampToDelay = db.prepare<[{ now: number }]>(`
    UPDATE outbox SET next_attempt_at = @now + retry_delay_ms
    WHERE status = 'pending' AND next_attempt_at > @now + retry_delay_ms`);
  // A due row's next attempt is now: setting it so changes no order or wait, and proves the write path.
  const begin = db.prepare("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending'");
  const done = db.prepare(
    "UPDATE outbox SET status = 'done', attempts = attempts + 1, done_at = ? WHERE id = ? AND status = 'pending'",
  );
  const retry = db.prepare(`
    UPDATE outbox SET attempts = attempts + 1, last_error = @error, next_attempt_at = @at + @delay, retry_delay_ms = @delay
    WHERE id = @id AND status = 'pending'`);
  const failed = db.prepare(`
    UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, done_at = ?
    WHERE id = ? AND status = 'pending'`);
  const hurry = db.prepare("UPDATE outbox SET next_attempt_at = ? WHERE status = 'pending' AND channel = ? AND next_attempt_at > ?");
  type CountParams = { status: OutboxStatus | null; incident_id: number | null; type: string | null };
  const count = db.prepare<[CountParams], { n: number }>(`
    SELECT count(*) AS n FROM outbox
    WHERE (@status IS NULL OR status = @status) AND (@incident_id IS NULL OR incident_id = @incident_id)
      AND (@type IS NULL OR type = @type)`);

  const pendingIn = db.prepare<[string], { incident_id: number }>(`
    SELECT DISTINCT incident_id FROM outbox AS o
    WHERE status = 'pending' AND incident_id IS NOT NULL AND channel = ?
    ORDER BY incident_id`);

  const pendingCounts = db.prepare<[], { channel: EffectChannel; n: number }>(
    "SELECT channel, count(*) AS n FROM outbox WHERE status = 'pending' GROUP BY channel",
  );

  const expectOne = (what: string, id: number, changes: number) => {
    if (changes !== 1) throw new Error(`${what}: no pending outbox effect with id ${id}`);
  };

  return {
    enqueueEffect(incidentId, effect, at) {
      const { lastInsertRowid } = insert.run(incidentId, effectChannel(effect), effect.type, JSON.stringify(effect), at, at);
      return Number(lastInsertRowid);
    },
    pendingEffects(now, limit = 100) {
      const rows = db.transaction(() => {
        clampToDelay.run({ now });
        return due.all({ now, limit });
      })();
      return rows.map((row) => ({
        id: row.id,
        incidentId: row.incident_id,
        effect: JSON.parse(row.payload_json) as Effect,
        attempts: row.attempts,
      }));
    },
    beginDelivery(id, at) {
      expectOne('beginDelivery', id, begin.run(at, id).changes);
    },
    markEffectDone(id, at) {
      expectOne('markEffectDone', id, done.run(at, id).changes);
    },
    markEffectRetry(id, error, at, delayMs) {
      expectOne('markEffectRetry', id, retry.run({ error, at, delay: delayMs, id }).changes);
    },
    hurryPending(channel, now) {
      return hurry.run(now, channel, now).changes;
    },
    markEffectFailed(id, error, at) {
      expectOne('markEffectFailed', id, failed.run(error, at, id).changes);
    },
    incidentsWithPending(channel) {
      return pendingIn.all(channel).map((r) => r.incident_id);
    },
    pendingByChannel() {
      const counts = { discord: 0, email: 0, push: 0 };
      for (const row of pendingCounts.all()) counts[row.channel] = row.n;
      return counts;
    },
    countEffects(filter = {}) {
      const params = { status: filter.status ?? null, incident_id: filter.incidentId ?? null, type: filter.type ?? null };
      return count.get(params)?.n ?? 0;
    },
  };
}
