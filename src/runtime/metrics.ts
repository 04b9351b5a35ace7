import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isRetryableStatus } from '../core/delivery.js';
import { activeMaintenance } from '../core/maintenance.js';
import { discordSetupProblem } from './reachability.js';
import type { IncidentFigureOf } from './step.js';
import type { Observation } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Config } from '../config/types.js';
import { version } from '../version.js';

/** The Prometheus metrics of one app, on its own registry (never prom-client's global one). */
export interface Metrics {
  readonly registry: Registry;
  readonly checks: Counter<'target' | 'result'>;
  readonly restarts: Counter<'result' | 'trigger'>;
  readonly gateRefusals: Counter<'reason' | 'trigger'>;
  readonly discordRequests: Counter<'outcome'>;
  readonly notifications: Counter<'channel' | 'outcome'>;
  /** Alertmanager webhook calls by outcome (opened, joined, changed, resolved, repeat, ignored, or the refusal). */
  readonly alertmanagerNotifications: Counter<'outcome'>;
  readonly cycleDuration: Histogram;
  /** When the last check cycle completed (Unix seconds); alerts compare it with the period. */
  readonly lastCycleCompleted: Gauge;
  /** The schedule's period (its longest gap), so "no cycle for 3 periods" needs no copy of the schedule. */
  readonly cyclePeriod: Gauge;
  /** 1 while this instance holds the single-instance Lease (or runs without one), else 0. */
  readonly leader: Gauge;
  /** Counts one cycle's observations, one per target. */
  observeChecks(observations: Observation[]): void;
  /**
   * Counts one outbox delivery outcome. An effect "delivered" on a channel that is not configured was
   * only logged (the log sink stands in for it), and counts as `logged`, never as `delivered`.
   */
  countDelivery(channel: string, outcome: 'delivered' | 'retry' | 'failed'): void;
  /** Observes an incident's time to acknowledge or to resolve, once, after the transaction that recorded it committed. */
  observeIncidentFigures(figures: readonly IncidentFigureOf[]): void;
}

/** Buckets for an incident's times, from half a minute to three days (what a homelab's MTTA and MTTR span). */
const INCIDENT_TIME_BUCKETS = [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 259_200];

/** The outbox channels a configuration actually delivers to; the others are logged. */
function configuredChannels(config: Pick<Config, 'discord' | 'notify'>): Set<string> {
  return new Set([...(config.discord ? ['discord'] : []), ...(config.notify.email ? ['email'] : []), ...(config.notify.ntfy ? ['push'] : [])]);
}

/**
 * Creates the metrics of one app. `incidents_open`, `outbox_pending` and `target_up` are read from
 * the store at scrape time, so they are right after a restart of the bot and need no bookkeeping; a
 * closed store simply leaves them empty. With `config`, deliveries on unconfigured channels count as
 * `logged` and only configured targets have an up gauge.
 */
export function createMetrics(options: { store?: Store; config?: Pick<Config, 'discord' | 'notify' | 'targets'> } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const config = options.config;
  const delivering = config ? configuredChannels(config) : null;
  new Gauge({ name: 'stormguard_build_info', help: 'Always 1; the version label says which stormguard runs.', labelNames: ['version'], registers }).set({ version: version() }, 1);
  const checks = new Counter({ name: 'stormguard_checks_total', help: 'Target observations by result (ok, fail, unknown).', labelNames: ['target', 'result'], registers });
  const restarts = new Counter({ name: 'stormguard_restarts_total', help: 'Restarts carried out, by result (succeeded, failed) and trigger (automatic, manual).', labelNames: ['result', 'trigger'], registers });
  const gateRefusals = new Counter({ name: 'stormguard_gate_refusals_total', help: 'Restarts the gate refused, by reason and trigger; automatic ones count once per cycle.', labelNames: ['reason', 'trigger'], registers });
  const discordRequests = new Counter({ name: 'stormguard_discord_requests_total', help: 'Discord REST responses by outcome (ok, retry: 429 or 5xx, failed: other 4xx).', labelNames: ['outcome'], registers });
  const notifications = new Counter({ name: 'stormguard_notifications_total', help: 'Outbox deliveries by channel (discord, email, push) and outcome (delivered, retry, failed; logged for a channel that is not configured).', labelNames: ['channel', 'outcome'], registers });
  const alertmanagerNotifications = new Counter({
    name: 'stormguard_alertmanager_notifications_total',
    help: 'Alertmanager webhook calls by outcome: opened, joined, changed, resolved, repeat, ignored, stale (older than what is known), watchdog (the Watchdog heard, no card); unauthorized, tooLarge, malformed, notReady when refused.',
    labelNames: ['outcome'],
    registers,
  });
  const cycleDuration = new Histogram({
    name: 'stormguard_cycle_duration_seconds',
    help: 'Duration of completed check cycles.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
    registers,
  });
  const timeToAcknowledge = new Histogram({
    name: 'stormguard_incident_time_to_acknowledge_seconds',
    help: 'Time from an incident opening to its acknowledgement by a person, by incident kind (target, node, cluster, alert…); observed when it is acknowledged.',
    labelNames: ['kind'],
    buckets: INCIDENT_TIME_BUCKETS,
    registers,
  });
  const timeToResolve = new Histogram({
    name: 'stormguard_incident_time_to_resolve_seconds',
    help: 'Time an incident was open, from opening to resolution, by incident kind; observed when it resolves.',
    labelNames: ['kind'],
    buckets: INCIDENT_TIME_BUCKETS,
    registers,
  });
  const lastCycleCompleted = new Gauge({ name: 'stormguard_last_cycle_completed_timestamp_seconds', help: 'When the last check cycle completed (Unix time); 0 before the first.', registers });
  const cyclePeriod = new Gauge({ name: 'stormguard_cycle_period_seconds', help: 'The longest gap between two scheduled check cycles.', registers });
  const leader = new Gauge({ name: 'stormguard_leader', help: '1 while this instance holds the single-instance Lease (or runs without one), else 0.', registers });
  leader.set(0);
  const store = options.store;
  new Gauge({
    name: 'stormguard_maintenance_active',
    help: 'Nodes in quiet planned maintenance (cordoned, kured reboot, upgrade plan) that disrupted something: 1 per node.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      if (!store) return;
      try {
        for (const m of activeMaintenance(store.loadMaintenance())) this.set({ node: m.node }, 1);
      } catch {
        return; // the database is closed (shutting down)
      }
    },
  });
  new Gauge({
    name: 'stormguard_incidents_open',
    help: 'Incidents not resolved, by state (open, acknowledged).',
    labelNames: ['state'],
    registers,
    collect() {
      this.reset();
      if (!store) return;
      let open;
      try {
        open = store.openIncidents();
      } catch {
        return; // the database is closed (shutting down): /readyz says so, the scrape still works
      }
      this.set({ state: 'open' }, open.filter((i) => i.state === 'open').length);
      this.set({ state: 'acknowledged' }, open.filter((i) => i.state === 'acknowledged').length);
    },
  });
  new Gauge({
    name: 'stormguard_diagnoses',
    help: 'Why targets of unresolved incidents are down, as Kubernetes says: one per target, by reason (imagePull, containerConfig, containerCreate, unschedulable, volume, oomKilled, rolloutStuck, crashLoop); read from the database at scrape time.',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      if (!store) return;
      try {
        for (const incident of store.openIncidents()) {
          for (const diagnosis of Object.values(incident.diagnoses ?? {})) this.inc({ reason: diagnosis.reason });
        }
      } catch {
        return; // the database is closed (shutting down)
      }
    },
  });
  new Gauge({
    name: 'stormguard_discord_setup_problem',
    help: 'Discord refuses stormguard until a person fixes something: 1 for the current problem (tokenRefused, missingAccess, missingPermissions, unknownChannel, forbidden, notFound).',
    labelNames: ['problem'],
    registers,
    collect() {
      this.reset();
      if (!store) return;
      try {
        const problem = discordSetupProblem(store);
        if (problem) this.set({ problem: problem.problem }, 1);
      } catch {
        return; // the database is closed (shutting down)
      }
    },
  });
  new Gauge({
    name: 'stormguard_outbox_pending',
    help: 'Effects waiting for delivery, by channel (discord, email, push); read from the database at scrape time.',
    labelNames: ['channel'],
    registers,
    collect() {
      this.reset();
      if (!store) return;
      try {
        for (const [channel, pending] of Object.entries(store.pendingByChannel())) this.set({ channel }, pending);
      } catch {
        return; // the database is closed (shutting down)
      }
    },
  });
  new Gauge({
    name: 'stormguard_target_up',
    help: 'Per configured target: 1 up, 0 down (after the failure/success thresholds); absent until first observed.',
    labelNames: ['target'],
    registers,
    collect() {
      this.reset();
      if (!store || !config) return;
      let states;
      try {
        states = store.loadTargetStates();
      } catch {
        return; // the database is closed (shutting down)
      }
      for (const target of config.targets) {
        const state = states[target.name];
        if (state && state.lastObservedAt !== null) this.set({ target: target.name }, state.health === 'up' ? 1 : 0);
      }
    },
  });
  return {
    registry,
    checks,
    restarts,
    gateRefusals,
    discordRequests,
    notifications,
    alertmanagerNotifications,
    cycleDuration,
    lastCycleCompleted,
    cyclePeriod,
    leader,
    observeChecks(observations) {
      for (const o of observations) checks.inc({ target: o.target, result: o.result });
    },
    countDelivery(channel, outcome) {
      notifications.inc({ channel, outcome: outcome === 'delivered' && delivering && !delivering.has(channel) ? 'logged' : outcome });
    },
    observeIncidentFigures(figures) {
      for (const f of figures) (f.metric === 'acknowledge' ? timeToAcknowledge : timeToResolve).observe({ kind: f.kind }, f.seconds);
    },
  };
}

/** How a Discord REST status counts: retried by discord.js (429, 5xx), failed (other 4xx), or ok. */
export function discordOutcome(status: number): 'ok' | 'retry' | 'failed' {
  if (isRetryableStatus(status)) return 'retry';
  return status >= 400 ? 'failed' : 'ok';
}
