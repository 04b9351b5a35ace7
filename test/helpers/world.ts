import { expect } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../src/config/index.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { startApp, type App } from '../../src/runtime/app/index.js';
import type { LoginRetry } from '../../src/runtime/discordLogin.js';
import type { DiscordSimulator, DiscordSimulatorOptions, InteractionResult, SimMessageView } from '../../src/sim/discord/index.js';
import { createKubeAdapter, type KubeAdapter } from '../../src/adapters/kube/index.js';
import { HOMELAB_DISCORD, homelabConfig, startHomelabSimulators } from '../../src/sim/homelab.js';
import { SIM_RESYNC_BACKOFF, waitForCaches, type KubeSimulator } from '../../src/sim/kube/index.js';
import { TestClock } from './engine.js';
import { startProbeServer, type ProbeServer } from './probeServer.js';

/** Discord ids used throughout the end-to-end tests: the homelab's, another guild, and two people. */
export const IDS = {
  guild: HOMELAB_DISCORD.guild,
  otherGuild: '100000000000000099',
  channel: HOMELAB_DISCORD.channel,
  mentionRole: HOMELAB_DISCORD.oncall,
  operatorRole: HOMELAB_DISCORD.operators,
  operator: '200000000000000001',
  bystander: '200000000000000002',
} as const;

export const OPERATOR = { id: IDS.operator, roles: [IDS.operatorRole] };
export const BYSTANDER = { id: IDS.bystander, roles: [] as string[] };

/** The homelab of the motivating story: frigate pinned to node-a, an HTTP probe we control. */
export interface World {
  clock: TestClock;
  kube: KubeSimulator;
  /** The real adapter (informers) the app reads; kept across `restartBot`. */
  adapter: KubeAdapter;
  discord: DiscordSimulator;
  probe: ProbeServer;
  app: App;
  dir: string;
  /** Waits until the adapter's caches hold what the simulator holds now (watches are asynchronous). */
  settle(): Promise<void>;
  /** Advances the test clock, lets the caches catch up and runs one check cycle (with delivery), `times` times. */
  cycles(times: number, stepMs?: number): Promise<void>;
  /** Stops the bot (as a crash or a redeploy would) and starts a new one on the same database. */
  restartBot(): Promise<void>;
  close(): Promise<void>;
}

/** Starts both simulators and the real bot (real discord.js, real client-node, real SQLite file) on a test clock. */
export async function startWorld(
  overrides: Record<string, unknown> = {},
  discordOverrides: Record<string, unknown> = {},
  options: {
    logger?: Logger;
    discordSim?: Partial<DiscordSimulatorOptions>;
    /** Runs after the simulators started and before the bot does (e.g. Discord down at start, RBAC, more workloads). */
    beforeStart?: (discord: DiscordSimulator, kube: KubeSimulator) => void;
    discordLogin?: LoginRetry;
    /** Fills the Kubernetes simulator before it starts (default: the homelab's nodes and workloads). */
    populate?: (kube: KubeSimulator) => void;
    /** Read the planned-maintenance signals (kured's lock, Plans) as `stormguard run` does (default: not). */
    maintenanceSignals?: boolean;
  } = {},
): Promise<World> {
  const clock = new TestClock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-world-'));
  const probe = await startProbeServer();
  const { kube, discord, apiUrl } = await startHomelabSimulators({
    dir,
    kube: { now: clock.now, rolloutDelayMs: 20_000 },
    discord: options.discordSim,
    ...(options.populate ? { populate: options.populate } : {}),
  });
  const homelab = homelabConfig({ dir, apiUrl, frigateProbe: probe.url });
  const config = validateConfig(
    { ...homelab, discord: { ...homelab.discord, ...discordOverrides }, ...overrides, kubernetes: { ...homelab.kubernetes, ...(overrides.kubernetes as Record<string, unknown> | undefined) } },
    'world.yaml',
  );
  const adapter = createKubeAdapter({
    ...config.kubernetes,
    env: {},
    backoff: SIM_RESYNC_BACKOFF,
    clock: clock.now,
    ...(options.maintenanceSignals ? { maintenanceSignals: { kured: config.maintenance.kured } } : {}),
  });
  options.beforeStart?.(discord, kube);
  const start = () =>
    startApp({ config, logger: options.logger ?? silentLogger(), clock: clock.now, env: {}, kube: adapter, ...(options.discordLogin ? { discordLogin: options.discordLogin } : {}) });
  const world: World = {
    clock,
    kube,
    adapter,
    discord,
    probe,
    app: await start(),
    dir,
    settle: () => waitForCaches(kube, () => adapter.caches()),
    async cycles(times, stepMs = 30_000) {
      for (let i = 0; i < times; i++) {
        clock.advance(stepMs);
        await waitForCaches(kube, () => adapter.caches());
        await world.app.cycles.tick();
      }
    },
    async restartBot() {
      await world.app.close();
      world.app = await start();
    },
    async close() {
      await world.app.close();
      await discord.stop();
      await kube.stop();
      await probe.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** The text of an interaction's ephemeral answer (the reply, else the first follow-up). */
export function answer(result: InteractionResult): string {
  return (result.reply ?? result.followUps[0])?.content ?? '';
}

/** Pings that make phones ring: role mentions at message creation, not suppressed. */
export function roleRings(w: { discord: DiscordSimulator }): number {
  return w.discord.allMentions().filter((r) => r.kind === 'role' && !r.suppressed).length;
}

/** The incidents channel's top-level messages, oldest first. */
export function topLevel(w: { discord: DiscordSimulator }): SimMessageView[] {
  return w.discord.channel().messages;
}

/** The incident message of the latest incident with this subject, found by the message id the bot stored. */
export function messageOf(w: World, subject: string): SimMessageView | undefined {
  const incident = w.app.store.recentIncidents(0).filter((i) => i.subject === subject).at(-1);
  const messageId = incident?.id == null ? null : w.app.store.getDiscordRefs(incident.id)?.messageId;
  return topLevel(w).find((m) => m.id === messageId);
}

/** The custom id of the button labelled `label` on an incident message. */
export function buttonId(message: SimMessageView, label: string): string {
  const rows = message.components as Array<{ components: Array<{ custom_id: string; label: string }> }>;
  return rows[0]!.components.find((c) => c.label === label)!.custom_id;
}

/** Closes the world and returns the request bodies Discord's schema refused (a test expects none). */
export async function closeWorld(w: World): Promise<unknown[]> {
  const violations = [...w.discord.violations];
  await w.close();
  return violations;
}

/** An afterEach body: closes the world if a test started one, and fails the test if Discord saw a body it would refuse. */
export async function closeWorldChecked(w: World | undefined): Promise<void> {
  if (!w) return;
  expect(await closeWorld(w)).toEqual([]);
}
