/** `startApp`: the bot assembled the same way for `run`, the demo and the end-to-end tests. */
import type { REST } from 'discord.js';
import type { Config } from '../../config/types.js';
import { createEmailSink } from '../../adapters/email/sink.js';
import { createAlertmanagerApi } from '../../adapters/alertmanager/api.js';
import type { Readiness } from '../../adapters/http/server.js';
import { createKubeAdapter } from '../../adapters/kube/index.js';
import { createNtfySink } from '../../adapters/push/ntfy.js';
import { probeAll } from '../../adapters/probe/index.js';
import type { Store } from '../../adapters/sqlite/store.js';
import type { EffectSink, Sinks } from '../../core/delivery.js';
import type { Logger } from '../../log.js';
import { createActions, type Actions } from '../actions/index.js';
import { createAlertIntake, type AlertIntake } from '../alerts.js';
import { createCycleRunner, type CycleRunner } from '../cycleRunner.js';
import type { LoginRetry } from '../discordLogin.js';
import { createHeartbeat } from '../heartbeat.js';
import { createCycleWatch, trackEmailHealth } from '../cycleWatch.js';
import { createPermissionFix } from '../permissionFix.js';
import { createLogSink } from '../logSink.js';
import { createMetrics, discordOutcome, type Metrics } from '../metrics.js';
import { settledWithin } from '../outbox.js';
import type { ClusterReader, Clock, Restarter } from '../ports.js';
import { trackDiscordReachability } from '../reachability.js';
import { connectGateway, loadDiscord, type DiscordGateway } from './discord.js';
import { databaseAnswers, readinessOf, refusedForSetup } from './readiness.js';
import { openStore } from './store.js';
import { evidenceLogReader, evidenceNow } from '../evidence.js';
import type { LogReader } from '../../adapters/kube/logs.js';

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
  /** Reads container logs for the evidence; default: one over `config.kubernetes`. Ignored (none) when `diagnosis.logs` is off. */
  logs?: LogReader | null;
}

/** The assembled bot: store, cycle, Discord (when configured) and the actions people take. */
export interface App {
  /** The check cycles on their schedule, and the delivery after each. */
  cycles: CycleRunner;
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

/** How long stopping waits for people's actions in flight (Kubernetes gives the pod 60s in deploy/). */
const INTERACTIONS_GRACE_MS = 20_000;

/**
 * Assembles stormguard: database, cluster, probes, outbox sinks (Discord, else the log), and — with
 * Discord — the interaction router with the slash commands. Resolves after the first Discord login
 * attempt; when Discord is down or refuses, the app runs anyway (checks, email fallback) and keeps
 * logging in with backoff.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  const clock = options.clock ?? Date.now;
  const store = options.store ?? openStore(config, logger, clock);
  const metrics = options.metrics ?? createMetrics({ store, config });
  const kube = options.kube ?? createKubeAdapter({ ...config.kubernetes, env: options.env ?? process.env, logger, clock, maintenanceSignals: { kured: config.maintenance.kured } });
  const logs = evidenceLogReader(config, options);
  const d = config.discord ? await loadDiscord() : null;
  // Deliveries go through their own REST client, which never depends on the gateway: a login that
  // fails (discord.js then destroys its client and drops that client's token) cannot stop them.
  const rest = d && config.discord ? d.createRest(config.discord) : null;
  // Every REST answer, retries included, as discord.js saw it (deliveries here, replies on the gateway's client).
  const countResponses = (client: REST) => client.on('response', (_request, response) => metrics.discordRequests.inc({ outcome: discordOutcome(response.status) }));
  if (rest) countResponses(rest);
  let stopping = false;
  const heartbeat = config.heartbeat ? createHeartbeat({ ...config.heartbeat, logger }) : null;
  /** The gateway once connected (the heartbeat asks whether Discord can be told). */
  let gateway: DiscordGateway | null = null;

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

  const cycleWatch = heartbeat ? createCycleWatch({ heartbeat, store, logger, email, discordConnected: d ? () => gateway?.connected() ?? false : null }) : null;
  const cycles: CycleRunner = createCycleRunner({
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
    logs,
    // Off the critical path: a slow heartbeat receiver never delays the next cycle. Only a whole cycle
    // (caches in sync, database written, Discord or the email fallback working) is reported alive.
    ...(cycleWatch ? { onCycleStarting: cycleWatch.starting, onCycleCompleted: cycleWatch.completed, onCycleFailed: cycleWatch.failed } : {}),
  });
  const alertmanagerApi = config.alertmanager?.url ? createAlertmanagerApi({ url: config.alertmanager.url, credentials: config.alertmanager.api }) : null;
  const actions = createActions({ config, store, cluster: kube, restarter: kube, clock, logger, metrics, deliver: () => cycles.deliver(), alertmanager: alertmanagerApi, lastSnapshot: () => cycles.lastSnapshot() });
  const alerts = config.alertmanager ? createAlertIntake({ config, store, clock, logger, lastSnapshot: () => cycles.lastSnapshot(), deliver: () => cycles.deliver() }) : null;

  // A fix made in Discord (overwrites, roles) is delivered at once rather than at the next retry.
  const permissionFix = d ? createPermissionFix({ store, clock, logger, deliver: () => cycles.deliver() }) : null;
  gateway =
    d && config.discord
      ? await connectGateway({ d, discord: config.discord, config, actions, logsOf: (target) => evidenceNow({ config, store, logs, clock, logger, cluster: kube }, target), logger, countResponses, stopping: () => stopping, ...(options.discordLogin ? { retry: options.discordLogin } : {}), ...(permissionFix ? { onPermissionChange: permissionFix.changed } : {}) })
      : null;

  // A crash between an Alertmanager call and its commit may have left silences behind: they follow what was committed.
  const reconciling = alertmanagerApi ? actions.reconcileAlertSilences() : Promise.resolve();

  return {
    cycles,
    store,
    actions,
    alerts,
    metrics,
    readiness: () =>
      readinessOf(
        {
          database: databaseAnswers(store),
          // Connected, and not refused for a setup problem (token, access, permissions, channel) until fixed.
          discord: gateway ? gateway.connected() && !refusedForSetup(store) : true,
          scheduler: cycles.ranRecently(clock()),
        },
        { store, now: clock(), file: config.database.path },
      ),
    async close() {
      // New actions are refused from now on; those in flight (a restart on its way to the API) finish and
      // are answered while Kubernetes, Discord and the database are still there — within a bound.
      stopping = true;
      if (gateway) await settledWithin(gateway.handling(), INTERACTIONS_GRACE_MS);
      await cycles.stop();
      await gateway?.stop();
      permissionFix?.stop();
      // Stop watching: a waiting instance (lost Lease) or a closed app puts no load on the API.
      await kube.close?.();
      rest?.clearHashSweeper();
      rest?.clearHandlerSweeper();
      await heartbeat?.settled();
      await reconciling;
      if (!options.store) store.close();
    },
  };
}
