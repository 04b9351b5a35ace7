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

/** A REST client alone: deliveries and `register-commands` need no gateway (and must not share a client whose login may fail). */
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
