import cron from 'node-cron';
import type { Config } from '../config/types.js';
import type { ClusterSnapshot } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import { runCycle, type CycleReport, type CycleTrigger } from './cycle.js';
import type { Metrics } from './metrics.js';
import type { LogReader } from '../adapters/kube/logs.js';
import type { Sinks } from '../core/delivery.js';
import { deliverPending, type DeliveryReport } from './outbox.js';
import type { ClusterReader, Clock, Prober, Restarter } from './ports.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import { startDeliveryLoop, type DeliveryLoop } from './deliveryLoop.js';
import { oneAtATime } from './oneAtATime.js';
import { buildIncidentView, incidentMessageLink } from './view.js';

/** Everything the cycle runner is wired from; `stormguard run`, the demo and the tests build it differently. */
export interface CycleRunnerDeps {
  config: Config;
  store: Store;
  cluster: ClusterReader;
  restarter: Restarter;
  probe: Prober;
  /** One sink per channel (Discord, email, push; the log where one is not configured). */
  sinks: Sinks;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  /** Reads the failing container's log for the evidence note; absent or null: none (`diagnosis.logs: false`). */
  logs?: LogReader | null;
  /** Called before each cycle (the heartbeat's `/start`); must not block, it is not awaited. */
  onCycleStarting?: () => void;
  /** Called after each completed cycle (the heartbeat); must not block, it is not awaited. */
  onCycleCompleted?: (report: CycleReport) => void;
  /** Called when a cycle throws (the heartbeat reports the failure); must not block. */
  onCycleFailed?: (err: unknown) => void;
}

/** The cycle runner: check cycles on the schedule, delivers effects after each cycle, stops gracefully. */
export interface CycleRunner {
  /** One check cycle followed by one delivery pass (tests and the demo drive time with this). */
  tick(): Promise<{ cycle: CycleReport; delivery: DeliveryReport }>;
  /** Delivers due effects without a cycle. */
  deliver(): Promise<DeliveryReport>;
  /** The snapshot of the last cycle, for rendering. */
  lastSnapshot(): ClusterSnapshot | null;
  /** When the last cycle completed (epoch ms), or null. */
  lastCycleAt(): number | null;
  /** Whether a cycle completed within two schedule periods of `now` (readiness). */
  ranRecently(now: number): boolean;
  start(): void;
  /** Finishes the cycle in progress and stops scheduling (does not close the store). */
  stop(): Promise<void>;
}

/** How long a reaction waits for related changes (a node's pods follow it) before its cycle starts. */
const REACTION_DEBOUNCE_MS = 200;

/**
 * Wires the cycle runner; at start-up, restart attempts a crash left pending are marked unknown, never re-sent.
 * Once started, a cluster that reports changes (informers) gets a cycle at once — debounced, and
 * never beside another cycle: a change during a cycle runs one more right after it.
 */
export function createCycleRunner(deps: CycleRunnerDeps): CycleRunner {
  let snapshot: ClusterSnapshot | null = null;
  let lastCycleAt: number | null = null;
  let scheduler: Scheduler | null = null;
  let deliveryLoop: DeliveryLoop | null = null;
  let unsubscribe: (() => void) | null = null;
  let inFlight: Promise<CycleReport> | null = null;
  let reactionOwed = false;
  let debounce: NodeJS.Timeout | null = null;
  // Delivered effects the database could not mark done: remembered here, across passes, so never sent twice.
  const unrecorded = new Set<number>();
  const deliver = oneAtATime(() =>
    deliverPending({
      ...deps,
      unrecorded,
      // Rendered from the last cycle's snapshot; the pass builds each incident's view once.
      view: (incident) => buildIncidentView(incident, deps.store, deps.config, snapshot, deps.clock()),
      messageLink: (incidentId) => incidentMessageLink(deps.store, deps.config.discord, incidentId),
      emailFallback: deps.config.notify.email !== undefined,
    }),
  );
  const period = schedulePeriodMs(deps.config.schedule);
  deps.metrics?.cyclePeriod.set(period / 1000);

  const orphaned = deps.store.markPendingRestartsUnknown(deps.clock());
  if (orphaned > 0) deps.logger.warn({ orphaned }, 'restart attempts interrupted by a crash are marked unknown and not repeated');

  async function cycle(trigger: CycleTrigger) {
    deps.onCycleStarting?.();
    let report: CycleReport;
    try {
      report = await runCycle(deps, trigger);
    } catch (err) {
      deps.onCycleFailed?.(err);
      throw err;
    }
    snapshot = report.snapshot;
    lastCycleAt = report.finishedAt;
    deps.onCycleCompleted?.(report);
    return report;
  }

  /** Runs a cycle unless one is running (then null): the one gate for every caller. */
  async function exclusive(trigger: CycleTrigger = 'schedule'): Promise<CycleReport | null> {
    if (inFlight) return null;
    const run = cycle(trigger);
    inFlight = run;
    try {
      return await run;
    } finally {
      inFlight = null;
      if (reactionOwed) scheduleReaction();
    }
  }

  function scheduleReaction(): void {
    if (debounce || !scheduler) return;
    debounce = setTimeout(() => {
      debounce = null;
      // A cycle is running: it may have read the cache before the change; the one owed runs after it.
      if (inFlight) return;
      reactionOwed = false;
      void exclusive('reaction')
        .then(() => deliveryLoop?.wake())
        .catch((err: unknown) => deps.logger.error({ err }, 'check cycle failed'));
    }, REACTION_DEBOUNCE_MS);
  }

  return {
    async tick() {
      while (inFlight) await inFlight.catch(() => undefined);
      const report = (await exclusive())!;
      return { cycle: report, delivery: await deliver() };
    },
    deliver,
    lastSnapshot: () => snapshot,
    lastCycleAt: () => lastCycleAt,
    ranRecently: (now) => lastCycleAt !== null && now - lastCycleAt <= 2 * period,
    start() {
      // Deliveries run beside the schedule: a slow receiver never delays a check cycle.
      const loop = startDeliveryLoop(deliver, { pollMs: 2_000, logger: deps.logger });
      deliveryLoop = loop;
      scheduler = startScheduler(
        deps.config.schedule,
        async () => {
          // A reaction's cycle just observed everything: this tick has nothing to add.
          if ((await exclusive()) === null) deps.logger.debug('a cycle is running; this tick is skipped');
          loop.wake();
        },
        deps.logger,
      );
      unsubscribe =
        deps.cluster.onChange?.((reason) => {
          deps.logger.info({ reason }, 'cluster changed: running a check cycle now');
          reactionOwed = true;
          scheduleReaction();
        }) ?? null;
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (debounce) clearTimeout(debounce);
      debounce = null;
      reactionOwed = false;
      await scheduler?.stop();
      scheduler = null;
      if (inFlight) await inFlight.catch(() => undefined);
      await deliveryLoop?.stop();
      deliveryLoop = null;
    },
  };
}

/**
 * The longest gap between the next runs of a node-cron expression, so "two periods" also holds for
 * irregular schedules (weekdays only, business hours). Asks node-cron itself, never a parser of ours.
 */
export function schedulePeriodMs(expression: string): number {
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(8).map((d) => d.getTime());
    return Math.max(...runs.slice(1).map((t, i) => t - runs[i]!));
  } finally {
    void task.destroy();
  }
}
