import { Client, GatewayIntentBits, Options, REST, Routes, Status } from 'discord.js';
import type { DiscordConfig } from '../../config/types.js';

/**
 * Creates the discord.js client the bot runs on: the Guilds intent only (interactions need no
 * more), caches limited so memory stays flat however long it runs, no mentions unless a message
 * says otherwise, and REST pointed at `discord.apiUrl` (the simulator in tests and the demo).
 */
export function createDiscordClient(discord: DiscordConfig): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: discord.apiUrl },
    allowedMentions: { parse: [] },
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 0,
      ThreadManager: 50,
      GuildMemberManager: 50,
      UserManager: 50,
      ReactionManager: 0,
      PresenceManager: 0,
      VoiceStateManager: 0,
    }),
  });
}

/** Logs in and resolves once the gateway reported READY; rejects on a bad token. */
export async function loginAndWaitReady(client: Client, token: string): Promise<void> {
  const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
  await client.login(token);
  await ready;
}

/** A REST client alone (for `register-commands`, which needs no gateway). */
export function createRest(discord: DiscordConfig): REST {
  return new REST({ api: discord.apiUrl }).setToken(discord.token);
}

/** Bulk-overwrites the guild's slash commands (a deploy step, not a boot side effect); returns their names. */
export async function registerGuildCommands(rest: REST, guildId: string, definitions: unknown[]): Promise<string[]> {
  const app = (await rest.get(Routes.currentApplication())) as { id: string };
  const registered = (await rest.put(Routes.applicationGuildCommands(app.id, guildId), { body: definitions })) as Array<{ name: string }>;
  return registered.map((c) => c.name);
}

/** Whether the gateway is connected now: `isReady()` stays true once READY was seen, the shards do not. */
export function gatewayConnected(client: Client): boolean {
  return client.isReady() && client.ws.shards.every((shard) => shard.status === Status.Ready);
}

/**
 * Undoes a failed or stalled login so the same client can log in again. discord.js's `login` calls
 * `destroy()` when it fails, which marks the gateway manager destroyed for good and drops the REST
 * token; but the router, the sink's REST and the metrics listener are attached to this client. There
 * is no public way back, so this resets the manager's internals (`ws._ws`, `ws.destroyed`) and the
 * REST token — the only place stormguard reaches into discord.js.
 */
export async function abandonLogin(client: Client, token: string): Promise<void> {
  const manager = client.ws as unknown as { _ws?: { destroy(options?: { code?: number; reason?: string }): Promise<void> } | null; destroyed: boolean };
  await manager._ws?.destroy({ code: 1000, reason: 'login retry' }).catch(() => undefined);
  manager._ws = null;
  manager.destroyed = false;
  client.rest.setToken(token);
}
