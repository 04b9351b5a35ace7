import { deliveryRecords, EffectError, type DeliveryContext, type PendingEffect, type Sinks } from '../core/delivery.js';
import type { IncidentView } from '../core/render.js';
import { effectChannel, type EffectChannel, type Incident } from '../core/types.js';
import { storeProblem } from '../adapters/sqlite/health.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import type { Clock } from './ports.js';
import { queueFallbackEmail } from './cycle.js';

/** Bounds for retrying a failed delivery. */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Default retry bounds: quick tries, then five minutes apart, giving up after about a day — long
 * enough to ride out a Discord outage (nothing is lost), short enough not to retry for ever.
 */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 300, baseDelayMs: 2_000, maxDelayMs: 300_000 };

/** What the delivery pass needs. */
export interface DeliveryDeps {
  store: Store;
  /** One sink per channel (Discord, email, push; the log where one is not configured). */
  sinks: Sinks;
  clock: Clock;
  logger: Logger;
  /** Builds what an incident's message shows from current state; the pass calls it once per incident. */
  view: (incident: Incident) => IncidentView;
  /** The link to an incident's Discord message, or null (read once per incident, after Discord's turn). */
  messageLink: (incidentId: number) => string | null;
  /** Whether email is set up: Discord refusing a full message then queues the incident's fallback email. */
  emailFallback?: boolean;
  retry?: RetryPolicy;
  metrics?: Metrics;
  /**
   * Effects delivered whose completion the database refused to record (disk full, locked): kept across
   * passes by the caller so they are recorded when the database takes writes again and never sent twice.
   */
  unrecorded?: Set<number>;
}

/** Counts of one delivery pass. */
export interface DeliveryReport {
  delivered: number;
  retried: number;
  failed: number;
}

/**
 * Delivers the outbox's due effects: the channels (Discord, email, push) side by side, so a hung SMTP
 * server never delays Discord, and each channel's effects in id order. An effect is marked done only
 * after the sink confirmed it; a retryable failure backs off exponentially (or as the receiver asked)
 * and pauses its channel for the rest of the pass (the store keeps per-incident order within a
 * channel); a permanent failure is recorded for good.
 */
export async function deliverPending(deps: DeliveryDeps): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retried: 0, failed: 0 };
  const byChannel = new Map<EffectChannel, PendingEffect[]>();
  let due: PendingEffect[];
  try {
    // Before anything is sent: a second writer on the file (a second stormguard posts everything twice) is said.
    deps.store.checkOtherWriters(deps.clock());
    due = deps.store.pendingEffects(deps.clock());
  } catch (err) {
    // The database refuses writes (the store's health says why, and logs it once): nothing is sent.
    if (storeProblem(err) !== null) return report;
    throw err;
  }
  for (const pending of due) {
    const channel = effectChannel(pending.effect);
    byChannel.set(channel, [...(byChannel.get(channel) ?? []), pending]);
  }
  const pass = { deps, report, context: passContexts(deps) };
  const discord = deliverChannel('discord', byChannel.get('discord') ?? [], pass);
  // Email and push link to the Discord message, so they give Discord a head start — bounded, so a hung
  // Discord delays them by seconds at most (and a hung SMTP server never delays Discord).
  const others = (async () => {
    await settledWithin(discord, DISCORD_HEAD_START_MS);
    await Promise.all([...byChannel].filter(([c]) => c !== 'discord').map(([c, effects]) => deliverChannel(c, effects, pass)));
  })();
  await Promise.all([discord, others]);
  return report;
}

/** How long email and push wait for the same pass's Discord deliveries before going ahead. */
const DISCORD_HEAD_START_MS = 5_000;

/** Resolves when `promise` settles or `ms` have passed, whichever is first (bounded waits while delivering and stopping). */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  await Promise.race([promise.then(() => undefined, () => undefined), timeout]);
  clearTimeout(timer);
}

/** One delivery pass: what it needs, what it counts, and its per-incident contexts. */
interface Pass {
  deps: DeliveryDeps;
  report: DeliveryReport;
  context: (pending: PendingEffect, channel: EffectChannel) => DeliveryContext | null;
}

/**
 * The contexts of one pass: each incident's view is built the first time one of its effects is
 * delivered and reused by every channel; its message link is read the first time email or push needs
 * it, after Discord's turn (a post creates the message). The incident itself is read per effect, as
 * it stands (a ring after an acknowledgement stays quiet).
 */
function passContexts(deps: DeliveryDeps): Pass['context'] {
  const views = new Map<number, IncidentView>();
  const links = new Map<number, string | null>();
  return (pending, channel) => {
    const incident = pending.incidentId === null ? null : deps.store.getIncident(pending.incidentId);
    if (!incident || incident.id === null) return null;
    const id = incident.id;
    let view = views.get(id);
    if (view === undefined) {
      view = deps.view(incident);
      views.set(id, view);
    }
    // Discord owns the message (its sink never reads the link); the channels after it read it once.
    if (channel === 'discord') return { incident, view, messageLink: deps.messageLink(id) };
    if (!links.has(id)) links.set(id, deps.messageLink(id));
    return { incident, view, messageLink: links.get(id) ?? null };
  };
}

/**
 * Delivers one channel's effects in order until one fails and asks for a retry. Fail closed: delivery
 * begins only after the database recorded that it begins, and a channel whose bookkeeping the
 * database refuses stops for the pass — nothing is sent that could not be recorded.
 */
async function deliverChannel(channel: EffectChannel, effects: PendingEffect[], { deps, report, context }: Pass): Promise<void> {
  const retry = deps.retry ?? DEFAULT_RETRY;
  const unrecorded = deps.unrecorded ?? new Set<number>();
  for (const pending of effects) {
    if (unrecorded.has(pending.id)) {
      // Sent in an earlier pass; only its record is owed.
      if (!record(deps, () => deps.store.markEffectDone(pending.id, deps.clock()))) return;
      unrecorded.delete(pending.id);
      report.delivered++;
      continue;
    }
    if (!record(deps, () => deps.store.beginDelivery(pending.id, deps.clock()))) return;
    const ctx = context(pending, channel);
    let delivered;
    try {
      delivered = await deps.sinks[channel].deliver(pending, ctx);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retryable = !(err instanceof EffectError) || err.retryable;
      const attempts = pending.attempts + 1;
      if (!retryable || attempts >= retry.maxAttempts) {
        if (!record(deps, () => deps.store.markEffectFailed(pending.id, message, deps.clock()))) return;
        report.failed++;
        deps.metrics?.countDelivery(channel, 'failed');
        deps.logger.error({ effectId: pending.id, type: pending.effect.type, attempts, err: message }, 'effect delivery failed for good');
        continue;
      }
      const asked = err instanceof EffectError ? err.retryAfterMs : null;
      const delay = asked ?? Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempts - 1));
      if (!record(deps, () => deps.store.markEffectRetry(pending.id, message, deps.clock(), delay))) return;
      report.retried++;
      deps.metrics?.countDelivery(channel, 'retry');
      deps.logger.warn({ effectId: pending.id, type: pending.effect.type, attempts, retryInMs: delay, err: message }, 'effect delivery failed, will retry');
      // A failed channel is not tried again in this pass: an outage costs one request, not one per effect.
      return;
    }
    report.delivered++;
    deps.metrics?.countDelivery(channel, 'delivered');
    // The people did not see it all: that counts as "Discord could not be told" for the email fallback (SPEC §5).
    if (delivered?.messageRefused && deps.emailFallback && ctx) {
      const incident = ctx.incident;
      if (!record(deps, () => queueFallbackEmail(deps.store, incident, 'discordRefusedMessage', deps.clock()))) {
        unrecorded.add(pending.id);
        return;
      }
    }
    // What people saw (the message posted, a ring) joins the timeline in the same write as the effect's completion: once.
    const records = ctx ? deliveryRecords(pending, ctx.incident, delivered, deps.clock()) : [];
    const done = () => {
      for (const entry of records) deps.store.appendAudit(entry);
      deps.store.markEffectDone(pending.id, deps.clock());
    };
    if (!record(deps, () => deps.store.transaction(done))) {
      unrecorded.add(pending.id);
      return;
    }
  }
}

/**
 * Runs one bookkeeping write; false when the database refused it for a storage reason (the store's
 * health logs that once), so the caller stops sending. Other errors are bugs and throw.
 */
function record(deps: DeliveryDeps, write: () => void): boolean {
  try {
    write();
    return true;
  } catch (err) {
    if (storeProblem(err) === null) throw err;
    deps.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'the database refused a delivery record; this channel waits');
    return false;
  }
}
