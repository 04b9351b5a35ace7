/**
 * The interaction router answers with a file: a command that returns text and files (`SlashCommand<
 * CommandAnswer>`, as `/incident export` does) gets a deferred ephemeral reply carrying the file, sent
 * by the real discord.js and recorded byte for byte by the Discord simulator. Real actions over a real
 * store; only the command is the test's.
 */
import { Events, SlashCommandBuilder } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { newIncident } from '../../src/core/lifecycle.js';
import { silentLogger } from '../../src/log.js';
import { createActions } from '../../src/runtime/actions/index.js';
import type { CommandAnswer, SlashCommand } from '../../src/runtime/interactions/context.js';
import { createInteractionRouter } from '../../src/runtime/interactions/router.js';
import { CHANNEL_ID, GUILD_ID, OPERATOR_ROLE_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';
import { startEngine, type Engine } from '../helpers/engine.js';

let engine: Engine | undefined;
let discord: DiscordHarness | undefined;
afterEach(async () => {
  await discord?.close();
  await engine?.close();
  discord = undefined;
  engine = undefined;
});

/** Answers with the incident as JSON, attached. */
const exportCommand: SlashCommand<CommandAnswer> = {
  definition: new SlashCommandBuilder().setName('incident').setDescription('Export an incident').addIntegerOption((o) => o.setName('id').setDescription('id').setRequired(true)).toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const id = interaction.options.getInteger('id', true);
    const incident = ctx.actions.incident(id);
    return { content: `Incident #${id}, attached.`, files: [{ name: `incident-${id}.json`, data: `${JSON.stringify(incident, null, 2)}\n` }] };
  },
};

describe('the router answers with files', () => {
  it('defers ephemerally, then edits the reply with the text and the file; nobody else sees it', async () => {
    engine = await startEngine({ targets: [{ name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } }] });
    const e = engine;
    const stored = e.store.insertIncident({ ...newIncident('target:frigate', 'target', 'HTTP 503 — “bad gateway”', e.clock.now()), targets: ['frigate'] });
    discord = await startDiscordHarness();
    const logger = silentLogger();
    const actions = createActions({ config: e.config, store: e.store, cluster: e.kube, restarter: e.kube, clock: e.clock.now, logger, deliver: async () => undefined });
    const router = createInteractionRouter({
      commands: new Map([['incident', exportCommand]]),
      ctx: { actions, config: e.config },
      guildId: GUILD_ID,
      operatorRoleIds: [OPERATOR_ROLE_ID],
      logger,
    });
    discord.client.on(Events.InteractionCreate, (i) => void router(i));

    const result = await discord.sim.slashCommand({ name: 'incident', options: { id: stored.id! }, user: { id: '500000000000000001', roles: [OPERATOR_ROLE_ID] } });
    expect(result.deferred).toBe(true);
    expect(result.reply).toMatchObject({ content: `Incident #${stored.id}, attached.`, ephemeral: true });
    const [file] = result.reply!.attachments;
    expect(file?.filename).toBe(`incident-${stored.id}.json`);
    // Byte for byte what the command returned (UTF-8, the curly quotes and the dash included).
    expect(file?.bytes.equals(Buffer.from(`${JSON.stringify(e.store.getIncident(stored.id!), null, 2)}\n`, 'utf8'))).toBe(true);
    expect(discord.sim.channel(CHANNEL_ID).messages).toEqual([]);
    expect(discord.sim.violations).toEqual([]);
  });
});
