import type { Config } from '../config/types.js';
import { fallbackEmailsDue } from '../core/fallback.js';
import { restartHistorySince } from '../core/gate.js';
import { openIncidentIds, reopenWindowStart } from '../core/lifecycle.js';
import { planCycle } from '../core/plan.js';
import type { ClusterSnapshot, Incident, TargetState } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import { persistStep, type IncidentFigureOf, type RestartJob } from './step.js';
import type { ClusterReader, Clock, Prober, Restarter } from './ports.js';
import { discordUnreachableSince, settleUnreachableSince } from './reachability.js';
import type { Metrics } from './metrics.js';
import { carryOutRestarts, type RestartOutcome } from './restarts.js';
import { loadMaintenanceWindows, recordWindowReports } from './windows.js';
import { mayOweEvidence, queueEvidence } from './evidence.js';
import type { LogReader } from '../adapters/kube/logs.js';
import { watchdogInput } from './watchdog.js';

/** What a check cycle needs from the outside world. */
export interface CycleDeps {
  config: Config;
  store: Store;
  cluster: ClusterReader;
  restarter: Restarter;
  probe: Prober;
  clock: Clock;
  logger: Logger;
  /** Where checks, refusals, restarts and cycle durations are counted (optional: tests may omit it). */
  metrics?: Metrics;
  /** Reads the failing container's log for the evidence note; absent or null: no note, no log read (`diagnosis.logs: false`). */
  logs?: LogReader | null;
}

/** What one cycle saw and did, for logs, metrics and tests. */
export interface CycleReport {
  startedAt: number;
  finishedAt: number;
  snapshot: ClusterSnapshot;
  incidentsChanged: number;
  effectsQueued: number;
  restarts: RestartOutcome[];
}

/** Why a cycle runs: the schedule, or a reaction to a change the cluster reported. */
export type CycleTrigger = 'schedule' | 'reaction';

/**
 * One check cycle: observe the cluster once and probe every target, plan (pure), persist the new
 * state with its audit records and effects in ONE transaction, then carry out the restarts the gate
 * allowed. Persist, then act: a crash after commit leaves pending effects, never lost decisions.
 * A reaction observes only what the cluster itself tells (nodes, pod readiness): HTTP and TCP probes
 * run on the schedule, so their hysteresis counts schedule periods however busy the cluster is, and
 * the reaction's message is not held up by a thousand probes.
 */
export async function runCycle(deps: CycleDeps, trigger: CycleTrigger = 'schedule'): Promise<CycleReport> {
  const { config, store } = deps;
  const startedAt = deps.clock();
  // Durations are real time even when the app runs on a test clock.
  const timer = performance.now();
  settleClockStep(deps, startedAt);
  const snapshot = await deps.cluster.snapshot(config.targets, startedAt);
  // A target left out keeps its state: the plan folds in only the observations it gets.
  const probed = trigger === 'reaction' ? config.targets.filter((t) => !t.probe) : config.targets;
  const observations = await deps.probe(probed, snapshot);
  const now = deps.clock();

  let effectsQueued = 0;
  const restartJobs: RestartJob[] = [];
  let incidentsChanged = 0;
  const refusals: string[] = [];
  const figures: IncidentFigureOf[] = [];
  const stepped: Array<Incident | null> = [];
  store.transaction(() => {
    const incidents = store.recentIncidents(reopenWindowStart(now, config.reopenWindow));
    const plan = planCycle({
      now,
      config,
      snapshot,
      observations,
      targetStates: store.loadTargetStates(),
      incidents,
      silences: store.activeSilences(now),
      restarts: store.restartsFor({ incidentIds: openIncidentIds(incidents), since: restartHistorySince(config.targets, now) }),
      clusterState: loadClusterState(store),
      maintenance: store.loadMaintenance(),
      watchdog: watchdogInput(config, store, now),
      maintenanceWindows: loadMaintenanceWindows(store, config, now),
    });
    recordWindowReports(store, plan.windowReports ?? [], now, deps.logger);
    store.setMeta(CLUSTER_STATE, JSON.stringify(plan.clusterState));
    store.saveMaintenance(plan.maintenance);
    for (const state of plan.targetStates) {
      store.saveTargetState(state);
      // The plan keeps the gate's reason on every down target it refused, also when the refusal
      // is audited only once per change: a metric counts each refusal, so its rate shows "still refusing".
      if (state.health === 'down' && state.lastGateReason) refusals.push(state.lastGateReason);
    }
    for (const incidentPlan of plan.incidents) {
      const step = persistStep(store, incidentPlan, now);
      restartJobs.push(...step.restartJobs);
      figures.push(...step.figures);
      stepped.push(step.incident);
      effectsQueued += incidentPlan.effects.length;
    }
    incidentsChanged = plan.incidents.length;
    effectsQueued += queueFallbackEmails(deps, now);
    // The record of what happened is kept for `retention`; a few hundred rows a cycle catch up on any backlog.
    store.pruneAudit(now - config.retention, AUDIT_PRUNE_BATCH);
    // So are resolved incidents, with every row that belongs to them (never an open one).
    store.pruneIncidents(now - config.retention, INCIDENT_PRUNE_BATCH);
  });

  // Before the restarts: a rollout replaces the pods whose logs say why.
  effectsQueued += await queueEvidence({ ...deps, logs: deps.logs ?? null }, mayOweEvidence(stepped), snapshot).catch((err: unknown) => {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'the evidence note could not be queued');
    return 0;
  });
  const restarts = await carryOutRestarts(restartJobs, deps);
  const finishedAt = deps.clock();
  if (deps.metrics) {
    deps.metrics.observeIncidentFigures(figures);
    deps.metrics.observeChecks(observations);
    for (const reason of refusals) deps.metrics.gateRefusals.inc({ reason, trigger: 'automatic' });
    deps.metrics.cycleDuration.observe((performance.now() - timer) / 1000);
    deps.metrics.lastCycleCompleted.set(finishedAt / 1000);
  }
  deps.logger.debug({ reachable: snapshot.reachable, incidentsChanged, effectsQueued, restarts: restarts.length, ms: finishedAt - startedAt }, 'cycle done');
  return { startedAt, finishedAt, snapshot, incidentsChanged, effectsQueued, restarts };
}

/** At most this many audit entries are pruned per cycle: a short write, and a year's backlog gone in hours. */
export const AUDIT_PRUNE_BATCH = 500;

/**
 * At most this many resolved incidents (each with its audit, outbox and restart rows) are pruned per
 * cycle: tens of milliseconds even beside 10,000 others (`npm run bench`, retention), and a backlog of
 * 10,000 gone in under four hours of 30-second cycles.
 */
export const INCIDENT_PRUNE_BATCH = 25;

/** Meta key holding the Kubernetes API's hysteresis (JSON), so a restart of stormguard keeps counting failed cycles. */
export const CLUSTER_STATE = 'kubernetes.apiState';

/** The Kubernetes API's remembered hysteresis, or undefined (never observed, or unreadable: start counting afresh). */
function loadClusterState(store: Store): TargetState | undefined {
  const raw = store.getMeta(CLUSTER_STATE);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as TargetState;
  } catch {
    return undefined;
  }
}

/**
 * Once per cycle, before anything is decided: when the wall clock stepped back, what stormguard recorded
 * is re-dated to now (the store says how), so no wait outlasts its own length from now.
 */
function settleClockStep({ store, logger }: CycleDeps, now: number): void {
  const { rows, aheadMs } = store.settleClockStep(now);
  settleUnreachableSince(store, now);
  if (rows > 0) {
    logger.warn(
      { aheadMs, rows },
      'the wall clock stepped back: times recorded up to that far ahead of now were re-dated to now, so waits (cooldown, backoff, escalation, silences) count their own length from now',
    );
  }
}

/** Queues the fallback email of each open incident Discord could not be told about (SPEC §5). */
function queueFallbackEmails({ config, store }: CycleDeps, now: number): number {
  if (!config.notify.email || !config.discord) return 0;
  const since = discordUnreachableSince(store);
  // The usual case: Discord answers, so there is nothing to read from the outbox or the audit log.
  if (since === null) return 0;
  const openIncidents = store.openIncidents();
  const due = fallbackEmailsDue({
    now,
    discordUnreachableSince: since,
    fallbackAfter: config.notify.email.fallbackAfter,
    openIncidents,
    untold: new Set(store.incidentsWithPending('discord')),
    alreadyEmailed: new Set(openIncidents.filter((i) => store.auditFor({ incidentId: i.id!, action: 'fallbackEmailQueued' }).length > 0).map((i) => i.id!)),
  });
  for (const id of due) queueFallbackEmail(store, openIncidents.find((i) => i.id === id)!, 'discordUnreachable', now, { since });
  return due.length;
}

/**
 * Queues an incident's one fallback email (once per incident, ever), saying why Discord could not
 * tell people: `discordUnreachable`, or `discordRefusedMessage` when only the minimal message got through.
 */
export function queueFallbackEmail(store: Store, incident: Incident, reason: string, now: number, detail: Record<string, unknown> = {}): boolean {
  if (incident.id === null || store.auditFor({ incidentId: incident.id, action: 'fallbackEmailQueued' }).length > 0) return false;
  store.enqueueEffect(incident.id, { type: 'email', reason: 'fallback' }, now);
  store.appendAudit({ at: now, actor: 'scheduler', action: 'fallbackEmailQueued', subject: incident.subject, incidentId: incident.id, reason, detail });
  return true;
}
