import type { Client, REST } from 'discord.js';
import type { Config } from '../config/types.js';
import { createEmailSink } from '../adapters/email/sink.js';
import { createAlertmanagerApi } from '../adapters/alertmanager/api.js';
import { createAlertmanagerEndpoint } from '../adapters/http/alertmanager.js';
import { startHttpServer, type HttpServer, type Readiness } from '../adapters/http/server.js';
import { createKubeAdapter, type KubeAdapter } from '../adapters/kube/index.js';
import { createNtfySink } from '../adapters/push/ntfy.js';
import { probeAll } from '../adapters/probe/index.js';
import { sqliteDriver } from '../adapters/sqlite/driver.js';
import { OTHER_WRITER_WINDOW_MS, otherWriterFix } from '../adapters/sqlite/health.js';
import { openDatabase } from '../adapters/sqlite/open.js';
import { createStore, type Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import { createActions, type Actions } from './actions.js';
import { createAlertIntake, type AlertIntake } from './alerts.js';
import { createBot, type Bot } from './bot.js';
import { serialize } from './deliveryLoop.js';
import { keepLoggedIn, type LoginLoop, type LoginRetry } from './discordLogin.js';
import { createHeartbeat } from './heartbeat.js';
import { createCycleWatch, trackEmailHealth } from './cycleWatch.js';
import { createPermissionFix } from './permissionFix.js';
import { settledWithin } from './outbox.js';
import { leaseOptionsFromEnv, startLeaderElection, type LeaderElection, type LeaseOptions } from './lease.js';
import { createLogSink } from './logSink.js';
import { createMetrics, discordOutcome, type Metrics } from './metrics.js';
import type { EffectSink, Sinks } from '../core/delivery.js';
import type { ClusterReader, Clock, Restarter } from './ports.js';
import { discordSetupProblem, trackDiscordReachability } from './reachability.js';

/** How to assemble the application; everything but the config has a production default. */
export interface AppOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** The cluster; default: the Kubernetes adapter from `config.kubernetes`. */
  kube?: ClusterReader & Restarter;
  /** A store the caller opened and will close (`runApp` keeps one across leadership terms). */
  store?: Store;
  /** Metrics to count into; default: a fresh registry for this app. */
  metrics?: Metrics;
  /** How Discord logins time out and back off (tests shorten it). */
  discordLogin?: LoginRetry;
}

/** The assembled bot: store, cycle, Discord (when configured) and the actions people take. */
export interface App {
  bot: Bot;
  store: Store;
  actions: Actions;
  /** Takes Alertmanager's notifications when `alertmanager` is configured. */
  alerts: AlertIntake | null;
  metrics: Metrics;
  /** What /readyz says: database open, Discord connected (when configured), a cycle within two periods. */
  readiness(): Readiness;
  /** Stops the schedule (finishing the cycle in progress), disconnects Discord, closes the database. */
  close(): Promise<void>;
}

/**
 * Assembles stormguard the same way for `run`, the demo and the end-to-end tests: database, cluster,
 * probes, outbox sinks (Discord, else the log), and — with Discord — the interaction router with
 * the slash commands. Resolves after the first Discord login attempt; when Discord is down or refuses,
 * the app runs anyway (checks, email fallback) and keeps logging in with backoff.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  const clock = options.clock ?? Date.now;
  const store = options.store ?? openStore(config, logger, clock);
  const metrics = options.metrics ?? createMetrics({ store, config });
  const kube = options.kube ?? createKubeAdapter({ ...config.kubernetes, env: options.env ?? process.env, logger, clock });
  const d = config.discord ? await loadDiscord() : null;
  let login: LoginLoop | null = null;
  // Deliveries go through their own REST client, which never depends on the gateway: a login that
  // fails (discord.js then destroys its client and drops that client's token) cannot stop them.
  const rest = d && config.discord ? d.createRest(config.discord) : null;
  // Every REST answer, retries included, as discord.js saw it (deliveries here, replies on the gateway's client).
  const countResponses = (client: REST) => client.on('response', (_request, response) => metrics.discordRequests.inc({ outcome: discordOutcome(response.status) }));
  if (rest) countResponses(rest);
  /** The gateway client of the current login attempt (interactions arrive here), or null between attempts. */
  let gateway: Client | null = null;
  /** People's actions being handled: stopping waits for them, so a /restart carried out is answered and recorded as such. */
  const handling = new Set<Promise<void>>();
  let stopping = false;
  const heartbeat = config.heartbeat ? createHeartbeat({ ...config.heartbeat, logger }) : null;

  const logSink = createLogSink(logger);
  // Each channel has its own sink; a channel that is not configured is logged instead. The delivery
  // pass hands every sink the incident's view and message link: no sink calls back up here.
  const discordSink = (): EffectSink => {
    if (!d || !rest || !config.discord) return logSink;
    const sink = d.createDiscordSink({ rest, discord: config.discord, store, logger });
    return trackDiscordReachability(sink, store, clock, logger);
  };
  const email = config.notify.email ? trackEmailHealth(createEmailSink({ email: config.notify.email, store, clock })) : null;
  const sinks: Sinks = {
    discord: discordSink(),
    email: email?.sink ?? logSink,
    push: config.notify.ntfy ? createNtfySink({ ntfy: config.notify.ntfy, clock }) : logSink,
  };

  const cycleWatch = heartbeat
    ? createCycleWatch({ heartbeat, store, logger, email, discordConnected: d ? () => gateway !== null && d.gatewayConnected(gateway) : null })
    : null;
  const bot: Bot = createBot({
    config,
    store,
    cluster: kube,
    restarter: kube,
    // Probes wait on the network, not the CPU: 64 in flight keeps 1,000 targets well inside a cycle.
    probe: (targets, snapshot) => probeAll(targets, snapshot, { concurrency: 64 }),
    sinks,
    clock,
    logger,
    metrics,
    // Off the critical path: a slow heartbeat receiver never delays the next cycle. Only a whole cycle
    // (caches in sync, database written, Discord or the email fallback working) is reported alive.
    ...(cycleWatch ? { onCycleStarting: cycleWatch.starting, onCycleCompleted: cycleWatch.completed, onCycleFailed: cycleWatch.failed } : {}),
  });
  const alertmanagerApi = config.alertmanager?.url ? createAlertmanagerApi({ url: config.alertmanager.url, credentials: config.alertmanager.api }) : null;
  const actions = createActions({ config, store, cluster: kube, restarter: kube, clock, logger, metrics, deliver: () => bot.deliver(), alertmanager: alertmanagerApi, lastSnapshot: () => bot.lastSnapshot() });
  const alerts = config.alertmanager ? createAlertIntake({ config, store, clock, logger, lastSnapshot: () => bot.lastSnapshot(), deliver: () => bot.deliver() }) : null;

  // A fix made in Discord (overwrites, roles) is delivered at once rather than at the next retry.
  const permissionFix = d ? createPermissionFix({ store, clock, logger, deliver: () => bot.deliver() }) : null;
  if (d && config.discord) {
    const discordConfig = config.discord;
    const router = d.createInteractionRouter({
      commands: d.COMMANDS,
      ctx: { config, actions },
      guildId: discordConfig.guildId,
      operatorRoleIds: discordConfig.operatorRoleIds,
      logger,
      stopping: () => stopping,
    });
    // One gateway client per attempt: discord.js's `login` destroys its client when it fails, possibly
    // long after stormguard gave up on that attempt, so a later attempt must never share it.
    login = keepLoggedIn({
      async login() {
        const client = d.createDiscordClient(discordConfig);
        countResponses(client.rest);
        client.on('interactionCreate', (interaction) => {
          const handled = router(interaction).catch(() => undefined);
          handling.add(handled);
          void handled.finally(() => handling.delete(handled));
        });
        if (permissionFix) d.onPermissionChange(client, discordConfig, permissionFix.changed);
        gateway = client;
        await d.loginAndWaitReady(client, discordConfig.token);
        logger.info({ user: client.user?.id }, 'connected to Discord');
      },
      async reset() {
        const failed = gateway;
        gateway = null;
        await failed?.destroy();
      },
      logger,
      ...(options.discordLogin ? { retry: options.discordLogin } : {}),
    });
    // The first attempt decides nothing: when it fails the app starts anyway and keeps trying.
    await login.firstAttempt;
  }

  // A crash between an Alertmanager call and its commit may have left silences behind: they follow what was committed.
  const reconciling = alertmanagerApi ? actions.reconcileAlertSilences() : Promise.resolve();

  return {
    bot,
    store,
    actions,
    alerts,
    metrics,
    readiness: () =>
      readinessOf(
        {
          database: databaseAnswers(store),
          // Connected, and not refused for a setup problem (token, access, permissions, channel) until fixed.
          discord: d ? gateway !== null && d.gatewayConnected(gateway) && !refusedForSetup(store) : true,
          scheduler: bot.ranRecently(clock()),
        },
        { store, now: clock(), file: config.database.path },
      ),
    async close() {
      // New actions are refused from now on; those in flight (a restart on its way to the API) finish and
      // are answered while Kubernetes, Discord and the database are still there — within a bound.
      stopping = true;
      await settledWithin(Promise.allSettled(handling), INTERACTIONS_GRACE_MS);
      await bot.stop();
      login?.stop();
      permissionFix?.stop();
      // Stop watching: a waiting instance (lost Lease) or a closed app puts no load on the API.
      await kube.close?.();
      await gateway?.destroy();
      rest?.clearHashSweeper();
      rest?.clearHandlerSweeper();
      await heartbeat?.settled();
      await reconciling;
      if (!options.store) store.close();
    },
  };
}

/** How long stopping waits for people's actions in flight (Kubernetes gives the pod 60s in deploy/). */
const INTERACTIONS_GRACE_MS = 20_000;

function openStore(config: Config, logger: Logger, clock: Clock): Store {
  const db = openDatabase(config.database.path, { onMigrated: (r) => logger.info({ from: r.from, to: r.to, driver: sqliteDriver }, 'database ready') });
  return createStore(db, {
    now: clock,
    // Said once per spell, not once per refused write: what is wrong, and that nothing is posted meanwhile.
    onHealthChange: (health, event) => {
      if (event === 'writable') logger.info('the database takes writes again; delivering what is owed');
      else if (event === 'unwritable') logger.error({ problem: health.problem }, `database cannot be written: ${health.fix}`);
      else logger.error({ problem: 'otherWriter' }, `second writer on the database: ${otherWriterFix(config.database.path)}`);
    },
  });
}

/** discord.js and the commands load only when Discord is configured: they weigh about 40 MB of memory. */
async function loadDiscord() {
  const [client, router, sink, commands, permissionEvents] = await Promise.all([
    import('../adapters/discord/client.js'),
    import('./interactions/router.js'),
    import('../adapters/discord/sink.js'),
    import('../../commands/index.js'),
    import('../adapters/discord/permissionEvents.js'),
  ]);
  return { ...client, ...router, ...sink, ...permissionEvents, COMMANDS: commands.COMMANDS };
}

/**
 * Readiness from its checks; with the store, a database that cannot be written, or that another process
 * wrote to within `OTHER_WRITER_WINDOW_MS` of `now`, fails `database` and says why.
 */
function readinessOf(checks: Readiness['checks'], db?: { store: Store; now: number; file: string }): Readiness {
  const reasons: Record<string, string> = {};
  if (db && checks['database']) {
    const { store, now, file } = db;
    const health = store.health();
    if (!health.writable) {
      checks['database'] = false;
      reasons['database'] = `cannot be written: ${health.fix}`;
    } else if (health.otherWriterAt !== null && now - health.otherWriterAt < OTHER_WRITER_WINDOW_MS) {
      checks['database'] = false;
      reasons['database'] = otherWriterFix(file);
    }
  }
  const ready = Object.values(checks).every(Boolean);
  return Object.keys(reasons).length > 0 ? { ready, checks, reasons } : { ready, checks };
}

/** Whether Discord refuses stormguard for a setup problem; a closed database is the database check's to report. */
function refusedForSetup(store: Store): boolean {
  try {
    return discordSetupProblem(store) !== null;
  } catch {
    return false;
  }
}

/** Whether the database still answers a query (closed during shutdown, or its file went away). */
function databaseAnswers(store: Store): boolean {
  try {
    store.getMeta('readiness.probe');
    return true;
  } catch {
    return false;
  }
}

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
    kube = options.kube ?? createKubeAdapter({ ...config.kubernetes, env, logger, clock });
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
    await next.bot.tick().catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'first check cycle failed'));
    next.bot.start();
    return next;
  }

  // Level-triggered, like a controller: converge "running the app" to "holding the Lease", one
  // step at a time, so a Lease lost during a slow start-up still stops the app right after.
  let wantLead = false;
  const converge = serialize(async () => {
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
