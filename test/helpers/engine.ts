import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import { createKubeAdapter, type KubeAdapter } from '../../src/adapters/kube/index.js';
import { probeAll } from '../../src/adapters/probe/index.js';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../src/adapters/sqlite/store.js';
import { addHomelab } from '../../src/sim/homelab.js';
import { createKubeSimulator, SIM_RESYNC_BACKOFF, waitForCaches, type KubeSimulator } from '../../src/sim/kube/index.js';
import { silentLogger } from '../../src/log.js';
import { createCycleRunner, type CycleRunner } from '../../src/runtime/cycleRunner.js';
import { everyChannel } from './sinks.js';
import { createLogSink } from '../../src/runtime/logSink.js';

/** A clock tests move by hand; the simulator and the cycle runner both read it. */
export class TestClock {
  constructor(public nowMs = Date.parse('2026-11-25T20:00:00Z')) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** The whole engine (real SQLite file, real client-node, Kubernetes simulator) on a test clock. */
export interface Engine {
  clock: TestClock;
  sim: KubeSimulator;
  /** The real adapter (informers) the cycle runner reads. */
  kube: KubeAdapter;
  store: Store;
  runner: CycleRunner;
  config: Config;
  dir: string;
  /** Waits until the adapter's caches hold what the simulator holds now (watches are asynchronous). */
  settle(): Promise<void>;
  /** Advances the clock by `stepMs`, lets the caches catch up and runs one cycle, `times` times. */
  cycles(times: number, stepMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds an engine from configuration data (validated by the real schema); `dir` holds the
 * database and the simulator's kubeconfig. `setup` populates the simulator before the first cycle
 * (by default with the homelab's nodes and workloads).
 */
export async function startEngine(rawConfig: Record<string, unknown>, setup: (sim: KubeSimulator) => void = addHomelab): Promise<Engine> {
  const clock = new TestClock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-engine-'));
  const sim = createKubeSimulator({ now: clock.now, rolloutDelayMs: 20_000 });
  setup(sim);
  await sim.start();
  const kubeconfig = path.join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  const config = validateConfig(
    { database: { path: path.join(dir, 'stormguard.db') }, ...rawConfig, kubernetes: { kubeconfig, ...(rawConfig.kubernetes as Record<string, unknown> | undefined) } },
    'test.yaml',
  );
  const store = createStore(openDatabase(config.database.path), { now: clock.now });
  const kube = createKubeAdapter({ ...config.kubernetes, env: {}, backoff: SIM_RESYNC_BACKOFF });
  const logger = silentLogger();
  const runner: CycleRunner = createCycleRunner({
    config,
    store,
    cluster: kube,
    restarter: kube,
    probe: (targets, snapshot) => probeAll(targets, snapshot),
    sinks: everyChannel(createLogSink(logger)),
    clock: clock.now,
    logger,
  });
  return {
    clock,
    sim,
    kube,
    store,
    runner,
    config,
    dir,
    settle: () => waitForCaches(sim, () => kube.caches()),
    async cycles(times, stepMs = 30_000) {
      for (let i = 0; i < times; i++) {
        clock.advance(stepMs);
        await waitForCaches(sim, () => kube.caches());
        await runner.tick();
      }
    },
    async close() {
      await runner.stop();
      await kube.close();
      store.close();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
