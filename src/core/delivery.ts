/**
 * The effect contract between the outbox and the receivers (Discord, email, push): which channel
 * carries an effect, what a sink promises, and how a failure says whether trying again can help
 * (Alertmanager's notifier contract). Pure: adapters implement it, the runtime drives it.
 */
import type { IncidentView } from './render.js';
import type { AuditEntry, Effect, EffectChannel, Incident } from './types.js';

/** An effect waiting in the outbox; `id` is its stable id (e.g. the Discord nonce). */
export interface PendingEffect {
  id: number;
  incidentId: number | null;
  effect: Effect;
  attempts: number;
}

/**
 * What the delivery pass knows of an effect's incident: the view is built once per incident per pass and
 * the message link read once (after Discord's turn, since a post creates the message), for every sink.
 */
export interface DeliveryContext {
  incident: Incident;
  /** What the incident's message shows, from the state when the pass first needed it. */
  view: IncidentView;
  /** The link to the incident's Discord message, or null before it was posted or without Discord. */
  messageLink: string | null;
}

/** What a sink says back about a delivery the receiver confirmed. */
export interface Delivered {
  /** Discord refused the full message and took the minimal one: people did not see it all (the email fallback's cue). */
  messageRefused?: boolean;
  /** The incident's message was posted by this delivery, with this id (the timeline's "opened"). */
  postedMessageId?: string;
  /** This delivery made phones ring: the Discord role was mentioned, or ntfy took the push (the timeline's "rung"). */
  rang?: 'discordRole' | 'ntfy';
}

/**
 * The audit records a confirmed delivery adds to the timeline: the incident's message posted, and a
 * ring where it reached people. Written with the delivery's own bookkeeping, so each is recorded once.
 */
export function deliveryRecords(pending: PendingEffect, incident: Incident, delivered: Delivered | void, now: number): AuditEntry[] {
  if (!delivered || incident.id === null) return [];
  const base = { at: now, actor: 'scheduler', subject: incident.subject, incidentId: incident.id };
  const records: AuditEntry[] = [];
  if (delivered.postedMessageId !== undefined) records.push({ ...base, action: 'posted', reason: null, detail: { messageId: delivered.postedMessageId, effectId: pending.id } });
  if (delivered.rang !== undefined) {
    const reason = 'reason' in pending.effect ? pending.effect.reason : 'open';
    records.push({ ...base, action: 'rung', reason, detail: { where: delivered.rang, effectId: pending.id } });
  }
  return records;
}

/** Delivers one channel's effects to the outside world (Discord, email, push, or the log when none is set up). */
export interface EffectSink {
  /** Resolves when the receiver confirmed; throws an `EffectError` (or any error: retryable) otherwise. */
  deliver(pending: PendingEffect, context: DeliveryContext | null): Promise<Delivered | void>;
}

/** One sink per channel: the outbox hands each effect to the sink of its channel. */
export type Sinks = Record<EffectChannel, EffectSink>;

/** A delivery failure that says whether trying again can help. */
export class EffectError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** When the receiver asked us to wait (Discord's `retry_after`, ntfy's `Retry-After`), in milliseconds. */
    readonly retryAfterMs: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EffectError';
  }
}

/**
 * Whether an HTTP status is worth retrying: 429 (rate limited) and 5xx (the receiver's trouble);
 * any other 4xx means the request itself is wrong and would fail again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}
