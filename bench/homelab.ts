/**
 * The homelab of the motivating story (`src/sim/homelab.ts`), with everything on loopback in this
 * process: the Kubernetes simulator, the Discord simulator, a real SMTP server
 * and a probe endpoint; the real bot (`startApp`) on a controllable clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../src/config/index.js';
import { silentLogger } from '../src/log.js';
import { startApp, type App } from '../src/runtime/app/index.js';
import type { DiscordSimulator } from '../src/sim/discord/index.js';
import { createKubeAdapter } from '../src/adapters/kube/index.js';
import { addHomelab, homelabConfig, startHomelabSimulators } from '../src/sim/homelab.js';
import { SIM_RESYNC_BACKOFF, waitForCaches, type KubeSimulator } from '../src/sim/kube/index.js';
import { emailNotify, startSmtpServer, type SmtpServer } from '../test/helpers/smtp.js';
import { startBenchProbeServer, type BenchProbeServer } from './probeServer.js';

/** The running homelab. */
export interface Homelab {
  /** Sim-clock time (epoch ms); `advance` moves it for the bot and both simulators. */
  now(): number;
  advance(ms: number): void;
  /** Waits until the bot's caches hold what the simulator holds now (watches are asynchronous). */
  settle(): Promise<void>;
  kube: KubeSimulator;
  discord: DiscordSimulator;
  smtp: SmtpServer;
  probe: BenchProbeServer;
  app: App;
  close(): Promise<void>;
}

/** Options: the schedule and per-target settings merged into every target. */
export interface HomelabOptions {
  schedule: string;
  /** Targets with an HTTP probe against the probe endpoint, besides frigate. */
  probedTargets?: string[];
  target?: Record<string, unknown>;
  notify?: Record<string, unknown>;
  /** Whether the adapter watches Warning events (default true, as the bot does). */
  warningEvents?: boolean;
}

/** Starts everything; frigate's health URL is `${probe.url}/frigate`. */
export async function startHomelab(o: HomelabOptions): Promise<Homelab> {
  let now = Date.parse('2026-11-25T22:00:00Z');
  const clock = () => now;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-bench-homelab-'));
  const probe = await startBenchProbeServer();
  const smtp = await startSmtpServer();
  const { kube, discord, apiUrl } = await startHomelabSimulators({
    dir,
    kube: { now: clock, rolloutDelayMs: 20_000 },
    discord: { now: clock },
    populate: (sim) => {
      addHomelab(sim);
      for (const name of o.probedTargets ?? []) sim.addDeployment({ namespace: 'home', name, node: 'node-b' });
    },
  });
  const http = (name: string) => ({ http: { url: `${probe.url}/${name}`, timeout: '2s' } });
  const homelab = homelabConfig({ dir, apiUrl, frigateProbe: `${probe.url}/frigate` });
  const config = validateConfig(
    {
      ...homelab,
      schedule: o.schedule,
      http: { port: 0 },
      notify: {
        escalateAfter: '15m',
        email: emailNotify(smtp.port),
        ...o.notify,
      },
      targets: [
        ...homelab.targets.map((t) => ({ ...t, ...o.target })),
        ...(o.probedTargets ?? []).map((name) => ({ name, namespace: 'home', workload: { kind: 'Deployment', name }, probe: http(name), ...o.target })),
      ],
    },
    'bench-homelab.yaml',
  );
  let app: App;
  let settle: () => Promise<void>;
  try {
    const adapter = createKubeAdapter({ ...config.kubernetes, env: {}, backoff: SIM_RESYNC_BACKOFF, ...(o.warningEvents === false ? { warningEvents: false } : {}) });
    settle = () => waitForCaches(kube, () => adapter.caches());
    app = await startApp({ config, logger: silentLogger(), clock, env: {}, kube: adapter });
  } catch (err) {
    await Promise.all([discord.stop(), kube.stop(), smtp.close(), probe.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    now: clock,
    advance(ms) {
      now += ms;
    },
    settle: () => settle(),
    kube,
    discord,
    smtp,
    probe,
    app,
    async close() {
      await app.close();
      await discord.stop();
      await kube.stop();
      await smtp.close();
      await probe.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
