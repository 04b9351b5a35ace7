/** `runApp`: stormguard as `stormguard run` runs it — HTTP from the start, the app only while holding the Lease. */
import type { Config } from '../../config/types.js';
import { createAlertmanagerEndpoint } from '../../adapters/http/alertmanager.js';
import { startHttpServer, type HttpServer } from '../../adapters/http/server.js';
import { createKubeAdapter, type KubeAdapter } from '../../adapters/kube/index.js';
import type { Store } from '../../adapters/sqlite/store.js';
import { oneAtATime } from '../oneAtATime.js';
import { leaseOptionsFromEnv, startLeaderElection, type LeaderElection, type LeaseOptions } from '../lease.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { databaseAnswers, readinessOf } from './readiness.js';
import { startApp, type App, type AppOptions } from './start.js';
import { openStore } from './store.js';

/** How `stormguard run` runs the app (its HTTP server, its Lease). */
export interface RunOptions extends Omit<AppOptions, 'store' | 'metrics' | 'kube'> {
  /** The cluster, Lease included; default: the Kubernetes adapter from `config.kubernetes`. */
  kube?: KubeAdapter;
  /** Where to listen instead of `0.0.0.0:${config.http.port}` (tests: `127.0.0.1`, port 0 for any free one). */
  listen?: { host: string; port: number };
  /** Lease timings and identity (tests); `false`, or env `STORMGUARD_LEASE=off`, runs without a Lease. */
  lease?: Partial<LeaseOptions> | false;
}

/** A running `stormguard run`: HTTP from the start, the app only while this instance holds the Lease. */
export interface Service {
  /** The app while this instance leads, else null. */
  app(): App | null;
  readonly http: HttpServer | null;
  readonly metrics: Metrics;
  readonly store: Store;
  /** Rejects when leading failed for good (never because of Discord); `run` exits 1. */
  readonly failed: Promise<never>;
  /**
   * Stops: finishes the cycle in progress, releases the Lease (unless `releaseLease: false`, which
   * leaves it to expire as a crash would), closes HTTP, then the database.
   */
  close(options?: { releaseLease?: boolean }): Promise<void>;
}

/**
 * Runs stormguard as `stormguard run` does: opens the database and serves HTTP at once (/readyz
 * says 503 until the app leads and completed a cycle), then waits for the Lease; while it holds it,
 * Discord is connected, a first cycle runs and the schedule and delivery loop run. Losing the Lease
 * stops all of that (fail safe) and goes back to waiting. Without a Lease it leads at once.
 */
export async function runApp(options: RunOptions): Promise<Service> {
  const { config, logger } = options;
  const clock = options.clock ?? Date.now;
  const env = options.env ?? process.env;
  const store = openStore(config, logger, clock);
  const metrics = createMetrics({ store, config });
  let kube: KubeAdapter;
  try {
    kube = options.kube ?? createKubeAdapter({ ...config.kubernetes, env, logger, clock, maintenanceSignals: { kured: config.maintenance.kured } });
  } catch (err) {
    store.close();
    throw err;
  }
  let app: App | null = null;

  let http: HttpServer | null = null;
  const listen = options.listen ?? (config.http.port === 0 ? null : { host: '0.0.0.0', port: config.http.port });
  if (listen) {
    const waiting = () => readinessOf({ database: databaseAnswers(store), discord: !config.discord, scheduler: false }, { store, now: clock(), file: config.database.path });
    try {
      const routes = config.alertmanager ? { '/alertmanager': alertmanagerEndpoint(config.alertmanager.receiver) } : undefined;
      http = await startHttpServer({ ...listen, registry: metrics.registry, logger, readiness: () => app?.readiness() ?? waiting(), routes });
    } catch (err) {
      store.close();
      throw new Error(`http: cannot listen on ${listen.host}:${listen.port}`, { cause: err });
    }
    logger.info({ port: http.port }, 'serving /healthz, /readyz and /metrics');
  }

  /** The webhook is served from the start; only the leader takes notifications (others answer 503, so Alertmanager retries). */
  function alertmanagerEndpoint(credentials: NonNullable<Config['alertmanager']>['receiver']) {
    return createAlertmanagerEndpoint({
      credentials,
      logger,
      receive(notification) {
        const intake = app?.alerts;
        if (!intake) return false;
        metrics.alertmanagerNotifications.inc({ outcome: intake.receive(notification) });
        return true;
      },
      // Counted and logged (rate-limited) by the endpoint; never audited: a refusal must cost the refused nothing.
      refused(reason) {
        metrics.alertmanagerNotifications.inc({ outcome: reason });
      },
    });
  }

  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined); // observed by `run`; tests may ignore it

  async function lead(): Promise<App> {
    const next = await startApp({ ...options, clock, env, kube, store, metrics });
    // A first cycle right away, so a misconfiguration shows at once rather than at the first tick.
    await next.cycles.tick().catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'first check cycle failed'));
    next.cycles.start();
    return next;
  }

  // Level-triggered, like a controller: converge "running the app" to "holding the Lease", one
  // step at a time, so a Lease lost during a slow start-up still stops the app right after.
  let wantLead = false;
  const converge = oneAtATime(async () => {
    while (wantLead !== (app !== null)) {
      if (wantLead) app = await lead();
      else {
        const stopping = app!;
        app = null;
        await stopping.close();
      }
    }
  });
  const step = () => void converge().catch((err: unknown) => fail(err));

  let election: LeaderElection | null = null;
  if (options.lease !== false && env.STORMGUARD_LEASE !== 'off') {
    election = startLeaderElection({
      api: kube,
      options: leaseOptionsFromEnv(env, options.lease || {}),
      clock,
      logger,
      onChange(held) {
        metrics.leader.set(held ? 1 : 0);
        wantLead = held;
        step();
      },
    });
  } else {
    logger.warn('running without the single-instance Lease (STORMGUARD_LEASE=off)');
    metrics.leader.set(1);
    wantLead = true;
    try {
      await converge();
    } catch (err) {
      await http?.close();
      store.close();
      throw err;
    }
  }

  return {
    app: () => app,
    http,
    metrics,
    store,
    failed,
    async close({ releaseLease = true } = {}) {
      await election?.stop();
      wantLead = false;
      await converge().catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'stopping the app failed'));
      if (releaseLease) await election?.release();
      await http?.close();
      store.close();
    },
  };
}
