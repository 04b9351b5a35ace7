/**
 * Discord for the app: discord.js and the commands loaded only when configured, a REST client for
 * deliveries, and a gateway login loop whose client hands interactions to the router.
 */
import type { Client, REST } from 'discord.js';
import type { Config } from '../../config/types.js';
import type { Logger } from '../../log.js';
import type { Actions } from '../actions/index.js';
import { keepLoggedIn, type LoginLoop, type LoginRetry } from '../discordLogin.js';
import type { CommandAnswer } from '../interactions/context.js';

/** discord.js and the commands load only when Discord is configured: they weigh about 40 MB of memory. */
export async function loadDiscord() {
  const [client, router, sink, commands, permissionEvents] = await Promise.all([
    import('../../adapters/discord/client.js'),
    import('../interactions/router.js'),
    import('../../adapters/discord/sink.js'),
    import('../../../commands/index.js'),
    import('../../adapters/discord/permissionEvents.js'),
  ]);
  return { ...client, ...router, ...sink, ...permissionEvents, COMMANDS: commands.COMMANDS };
}

/** The Discord modules, once loaded. */
export type DiscordModules = Awaited<ReturnType<typeof loadDiscord>>;

/** The gateway side of Discord: logged in with backoff, interactions routed, stopped on close. */
export interface DiscordGateway {
  /** Whether the current client is connected to the gateway. */
  connected(): boolean;
  /** Waits for people's actions in flight (bounded by the caller). */
  handling(): Promise<unknown>;
  /** Stops logging in and destroys the current client. */
  stop(): Promise<void>;
}

/**
 * Logs in (one gateway client per attempt) and routes interactions to the commands; resolves after the
 * first attempt, which decides nothing: when it fails the app starts anyway and keeps trying.
 */
export async function connectGateway(o: {
  d: DiscordModules;
  discord: NonNullable<Config['discord']>;
  config: Config;
  actions: Actions;
  /** `/logs` and the Logs button: a target's evidence as an answer. */
  logsOf?: (target: string) => Promise<CommandAnswer>;
  logger: Logger;
  countResponses: (client: REST) => void;
  stopping: () => boolean;
  retry?: LoginRetry;
  /** Told when the gateway says a permission in the incidents channel may have changed (runtime/permissionFix.ts). */
  onPermissionChange?: (event: string) => void;
}): Promise<DiscordGateway> {
  const { d, discord, logger } = o;
  /** The gateway client of the current login attempt (interactions arrive here), or null between attempts. */
  let gateway: Client | null = null;
  /** People's actions being handled: stopping waits for them, so a /restart carried out is answered and recorded as such. */
  const handling = new Set<Promise<void>>();
  const router = d.createInteractionRouter({
    commands: d.COMMANDS,
    ctx: { config: o.config, actions: o.actions, ...(o.logsOf ? { logsOf: o.logsOf } : {}) },
    guildId: discord.guildId,
    operatorRoleIds: discord.operatorRoleIds,
    logger,
    stopping: o.stopping,
  });
  // One gateway client per attempt: discord.js's `login` destroys its client when it fails, possibly
  // long after stormguard gave up on that attempt, so a later attempt must never share it.
  const login: LoginLoop = keepLoggedIn({
    async login() {
      const client = d.createDiscordClient(discord);
      o.countResponses(client.rest);
      client.on('interactionCreate', (interaction) => {
        const handled = router(interaction).catch(() => undefined);
        handling.add(handled);
        void handled.finally(() => handling.delete(handled));
      });
      if (o.onPermissionChange) d.onPermissionChange(client, discord, o.onPermissionChange);
      gateway = client;
      await d.loginAndWaitReady(client, discord.token);
      logger.info({ user: client.user?.id }, 'connected to Discord');
    },
    async reset() {
      const failed = gateway;
      gateway = null;
      await failed?.destroy();
    },
    logger,
    ...(o.retry ? { retry: o.retry } : {}),
  });
  await login.firstAttempt;
  return {
    connected: () => gateway !== null && d.gatewayConnected(gateway),
    handling: () => Promise.allSettled(handling),
    async stop() {
      login.stop();
      await gateway?.destroy();
    },
  };
}
