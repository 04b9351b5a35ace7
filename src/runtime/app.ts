import type { Client } from 'discord.js';
import { COMMANDS } from '../../commands/index.js';
import type { Config } from '../config/types.js';
import { createDiscordClient, loginAndWaitReady } from '../adapters/discord/client.js';
import { createInteractionRouter } from '../adapters/discord/router.js';
import { createDiscordSink } from '../adapters/discord/sink.js';
import { createEmailSink } from '../adapters/email/sink.js';
import { createKubeAdapter } from '../adapters/kube/index.js';
import { createNtfySink } from '../adapters/push/ntfy.js';
import { probeAll } from '../adapters/probe/index.js';
import { openDatabase } from '../adapters/sqlite/open.js';
import { createStore, type Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import { createActions, type Actions } from './actions.js';
import { createBot, type Bot } from './bot.js';
import { createLogSink } from './logSink.js';
import type { EffectSink } from './outbox.js';
import type { ClusterReader, Clock, Restarter } from './ports.js';
import { trackDiscordReachability } from './reachability.js';
import { createRoutingSink, type SinkRoutes } from './routingSink.js';
import { buildIncidentView } from './view.js';

/** How to assemble the application; everything but the config has a production default. */
export interface AppOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** The cluster; default: the Kubernetes adapter from `config.kubernetes`. */
  kube?: ClusterReader & Restarter;
}

/** The assembled bot: store, cycle, Discord (when configured) and the actions people take. */
export interface App {
  bot: Bot;
  store: Store;
  actions: Actions;
  discord: Client | null;
  /** Stops the schedule (finishing the cycle in progress), disconnects Discord, closes the database. */
  close(): Promise<void>;
}

/**
 * Assembles stormguard the same way for `run`, the demo and the end-to-end tests: database, cluster,
 * probes, outbox sinks (Discord, else the log), and — with Discord — the interaction router with
 * the slash commands. Resolves once Discord reported READY.
 */
export async function startApp(options: AppOptions): Promise<App> {
  const { config, logger } = options;
  const clock = options.clock ?? Date.now;
  const store = createStore(openDatabase(config.database.path, { onMigrated: (r) => logger.info({ from: r.from, to: r.to }, 'database ready') }), { now: clock });
  const kube = options.kube ?? createKubeAdapter({ ...config.kubernetes, env: options.env ?? process.env });
  const discord = config.discord ? createDiscordClient(config.discord) : null;

  const view = (incident: Parameters<typeof buildIncidentView>[0]) => buildIncidentView(incident, store, config, bot.lastSnapshot(), clock());
  const logSink = createLogSink(logger, view);
  // Each channel has its own sink; a channel that is not configured is logged instead.
  const routes: SinkRoutes = {};
  const link = config.discord ? { guildId: config.discord.guildId, channelId: config.discord.channelId } : undefined;
  if (discord && config.discord) {
    const toDiscord = trackDiscordReachability(createDiscordSink({ rest: discord.rest, discord: config.discord, store, view }), store, clock);
    Object.assign(routes, { postMessage: toDiscord, editMessage: toDiscord, threadNote: toDiscord, ring: toDiscord, archiveThread: toDiscord });
  }
  if (config.notify.email) routes.email = createEmailSink({ email: config.notify.email, store, view, discord: link, clock });
  if (config.notify.ntfy) routes.push = createNtfySink({ ntfy: config.notify.ntfy, store, discord: link, clock });
  const sink: EffectSink = createRoutingSink(routes, logSink);

  const bot: Bot = createBot({
    config,
    store,
    cluster: kube,
    restarter: kube,
    probe: (targets, snapshot) => probeAll(targets, snapshot, { concurrency: 16 }),
    sink,
    clock,
    logger,
  });
  const actions = createActions({ config, store, cluster: kube, restarter: kube, clock, logger, deliver: () => bot.deliver() });

  if (discord && config.discord) {
    const router = createInteractionRouter({
      commands: COMMANDS,
      ctx: { config, actions, store, cluster: kube, clock },
      guildId: config.discord.guildId,
      operatorRoleIds: config.discord.operatorRoleIds,
      logger,
    });
    discord.on('interactionCreate', (interaction) => void router(interaction));
    try {
      await loginAndWaitReady(discord, config.discord.token);
    } catch (err) {
      store.close();
      await discord.destroy();
      throw new Error('discord: login failed', { cause: err });
    }
    logger.info({ user: discord.user?.id }, 'connected to Discord');
  }

  return {
    bot,
    store,
    actions,
    discord,
    async close() {
      await bot.stop();
      await discord?.destroy();
      store.close();
    },
  };
}
