/**
 * A Discord simulator with the real discord.js client logged in to it, for adapter and simulator
 * tests. REST retries are immediate (`offset: 0`) and timeouts short, so fault tests stay fast.
 */
import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, type ClientOptions } from 'discord.js';
import { createDiscordSimulator, type DiscordSimulator, type DiscordSimulatorOptions } from '../../src/sim/discord/index.js';

export const GUILD_ID = '900000000000000001';
export const CHANNEL_ID = '900000000000000002';
export const ONCALL_ROLE_ID = '900000000000000003';
export const OPERATOR_ROLE_ID = '900000000000000004';
export const BOT_TOKEN = 'sim-bot-token';

/** A started simulator and a logged-in client; `close()` tears both down. */
export interface DiscordHarness {
  sim: DiscordSimulator;
  client: Client<true>;
  close(): Promise<void>;
}

/** Starts a simulator and logs a discord.js client in to it; resolves after `clientReady`. */
export async function startDiscordHarness(
  simOptions: Partial<DiscordSimulatorOptions> = {},
  clientOptions: Partial<ClientOptions> = {},
): Promise<DiscordHarness> {
  const sim = createDiscordSimulator({
    guildId: GUILD_ID,
    channelId: CHANNEL_ID,
    botToken: BOT_TOKEN,
    roles: [
      { id: ONCALL_ROLE_ID, name: 'oncall' },
      { id: OPERATOR_ROLE_ID, name: 'operator' },
    ],
    ...simOptions,
  });
  const { apiUrl } = await sim.start();
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: apiUrl, offset: 0, timeout: 2000 },
    ...clientOptions,
  });
  try {
    const ready = once(client, Events.ClientReady);
    await client.login(BOT_TOKEN);
    await ready;
  } catch (err) {
    await client.destroy();
    await sim.stop();
    throw err;
  }
  return {
    sim,
    client: client as Client<true>,
    async close() {
      await client.destroy();
      await sim.stop();
    },
  };
}
