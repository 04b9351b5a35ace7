/**
 * The scale scenario: the real bot (`startApp`, Discord-less, silent logger) watching N targets
 * with HTTP probes over M nodes, against the Kubernetes simulator and a delayed probe endpoint in a
 * child process, cycles run back to back on a controllable clock. Then the per-target polling
 * baseline against the same simulator, and the command path of the gate after a node goes NotReady.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../src/config/index.js';
import { silentLogger } from '../src/log.js';
import { startApp, type App } from '../src/runtime/app/index.js';
import { createBaselineChecker } from './baseline.js';
import { buildLayout, type LayoutSize } from './layout.js';
import { startSimWorld, type SimWorld } from './simClient.js';
import { cpuSecondsSince, mb, round, sampleRss, summarize } from './stats.js';

/** How big and how long. */
export interface ScaleOptions extends LayoutSize {
  apiLatencyMs: number;
  probeDelayMs: number;
  /** Cycles run before measuring (first writes of every target state, connection set-up). */
  warmupCycles: number;
  cycles: number;
  baselineCycles: number;
  /** How many times the command path of the gate is measured (node NotReady → gateNow). */
  gateSamples: number;
  /** Writes a V8 CPU profile of the measured bot cycles (only those) to this file. */
  cpuProfile?: string;
}

/** The schedule of the scale and reaction scenarios: every 10 s. */
export const SCHEDULE = '*/10 * * * * *';
export const PERIOD_MS = 10_000;

/** What the scale scenario measured. */
export interface ScaleResult {
  targets: number;
  nodes: number;
  namespaces: number;
  api_latency_ms: number;
  probe_latency_ms: number;
  schedule: string;
  warmup_cycles: number;
  cycles: number;
  /** What `cycle_ms` times. */
  cycle_timed: string;
  cycle_ms: { p50: number; p95: number; max: number };
  k8s_requests_per_cycle: number;
  k8s_requests_by_route: Record<string, number>;
  targets_probed_ok: number;
  cpu_s_per_cycle: number;
  /** CPU of the child process (Kubernetes simulator + probe endpoint), per cycle; not in `cpu_s_per_cycle`. */
  sim_cpu_s_per_cycle: number;
  /** Peak RSS of the bot's process during the bot's cycles (sampled every 50 ms). */
  rss_mb: number;
  /** RSS once every module is loaded, before the app starts (under tsx: the loader's share is in it). */
  rss_mb_before_start: number;
  /** Peak V8 heap in use during the bot's cycles. */
  heap_used_mb: number;
  baseline_cycles: number;
  baseline_cycle_ms: { p50: number; p95: number; max: number };
  baseline_k8s_requests_per_cycle: number;
  baseline_k8s_requests_by_route: Record<string, number>;
  baseline_cpu_s_per_cycle: number;
  /** baseline requests / stormguard requests, per cycle. */
  request_ratio: number;
  /** baseline cycle p50 / stormguard cycle p50. */
  wall_time_ratio: number;
  /** Node NotReady in the simulator → `app.actions.gateNow('frigate')` refusing (real ms: the watch brings the change, the gate reads the cache). */
  gate_command_ms: { p50: number; max: number; samples: number; reason: string };
}

const START = Date.parse('2026-11-25T20:00:00Z');

/** Runs the scale scenario end to end and cleans up after itself. */
export async function runScale(o: ScaleOptions): Promise<ScaleResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-bench-scale-'));
  let now = START;
  const clock = () => now;
  const layout = buildLayout(o);
  let world: SimWorld | null = null;
  let app: App | null = null;
  try {
    world = await startSimWorld();
    const sim = world;
    const { kubeconfig, probeUrl } = await sim.setup({ size: o, apiLatencyMs: o.apiLatencyMs, probeDelayMs: o.probeDelayMs, now });
    fs.writeFileSync(path.join(dir, 'kubeconfig'), kubeconfig, { mode: 0o600 });
    const config = validateConfig(
      {
        kubernetes: { kubeconfig: path.join(dir, 'kubeconfig') },
        database: { path: path.join(dir, 'stormguard.db') },
        schedule: SCHEDULE,
        http: { port: 0 },
        targets: layout.targets.map((t) => ({
          name: t.name,
          namespace: t.namespace,
          workload: { kind: 'Deployment', name: t.name },
          probe: { http: { url: `${probeUrl}/${t.name}`, timeout: '5s' } },
        })),
      },
      'bench-scale.yaml',
    );

    const rssBefore = process.memoryUsage().rss;
    const rss = sampleRss(50);
    app = await startApp({ config, logger: silentLogger(), clock, env: {} });
    const bot = app.cycles;
    const tick = async () => {
      now += PERIOD_MS;
      await sim.setNow(now);
      const t0 = performance.now();
      await bot.tick();
      return performance.now() - t0;
    };

    for (let i = 0; i < o.warmupCycles; i++) await tick();
    await sim.resetRequests();
    const simCpu0 = (await sim.usage()).cpu;
    const cpu0 = process.cpuUsage();
    const profiler = o.cpuProfile ? await startProfiler() : null;
    const durations: number[] = [];
    for (let i = 0; i < o.cycles; i++) durations.push(await tick());
    const cpu = cpuSecondsSince(cpu0);
    if (profiler && o.cpuProfile) fs.writeFileSync(o.cpuProfile, JSON.stringify(await profiler.stop()));
    const simCpu1 = (await sim.usage()).cpu;
    const requests = await sim.requests();
    const peak = rss.stop();
    const probedOk = Object.values(app.store.loadTargetStates()).filter((s) => s.health === 'up' && s.lastDetail.startsWith('HTTP 200')).length;

    // Command path: the node goes NotReady, a person asks right after (fresh snapshot, real ms).
    const gateMs: number[] = [];
    let reason = '';
    for (let i = 0; i < o.gateSamples; i++) {
      const t0 = performance.now();
      await sim.setNodeReady('node-a', 'False');
      reason = await untilRefused(app);
      gateMs.push(performance.now() - t0);
      await sim.setNodeReady('node-a', 'True');
      await untilAllowed(app);
    }
    await app.close();
    app = null;

    // The naive checker against the same simulator, same latencies, same probe endpoint.
    const checker = createBaselineChecker(kubeconfig);
    const baselineTargets = layout.targets.map((t) => ({ ...t, selector: `app=${t.name}`, url: `${probeUrl}/${t.name}` }));
    await checker.check(baselineTargets); // warm-up: connections
    await sim.resetRequests();
    const baseCpu0 = process.cpuUsage();
    const baseDurations: number[] = [];
    for (let i = 0; i < o.baselineCycles; i++) {
      const t0 = performance.now();
      await checker.check(baselineTargets);
      baseDurations.push(performance.now() - t0);
    }
    const baseCpu = cpuSecondsSince(baseCpu0);
    const baseRequests = await sim.requests();

    const cycleMs = summarize(durations);
    const baselineMs = summarize(baseDurations);
    const perCycle = requests.total / o.cycles;
    const basePerCycle = baseRequests.total / o.baselineCycles;
    const gate = summarize(gateMs);
    return {
      targets: o.targets,
      nodes: o.nodes,
      namespaces: o.namespaces,
      api_latency_ms: o.apiLatencyMs,
      probe_latency_ms: o.probeDelayMs,
      schedule: SCHEDULE,
      warmup_cycles: o.warmupCycles,
      cycles: o.cycles,
      cycle_timed: 'wall time of app.cycles.tick() = runCycle + one delivery pass (log sink, outbox empty in steady state)',
      cycle_ms: cycleMs,
      k8s_requests_per_cycle: round(perCycle, 2),
      k8s_requests_by_route: perRoute(requests.byRoute, o.cycles),
      targets_probed_ok: probedOk,
      cpu_s_per_cycle: round(cpu / o.cycles, 3),
      sim_cpu_s_per_cycle: round((simCpu1.user + simCpu1.system - simCpu0.user - simCpu0.system) / 1e6 / o.cycles, 3),
      rss_mb: mb(peak.rss),
      heap_used_mb: mb(peak.heapUsed),
      rss_mb_before_start: mb(rssBefore),
      baseline_cycles: o.baselineCycles,
      baseline_cycle_ms: baselineMs,
      baseline_k8s_requests_per_cycle: round(basePerCycle, 2),
      baseline_k8s_requests_by_route: perRoute(baseRequests.byRoute, o.baselineCycles),
      baseline_cpu_s_per_cycle: round(baseCpu / o.baselineCycles, 3),
      request_ratio: round(basePerCycle / perCycle, 1),
      wall_time_ratio: round(baselineMs.p50 / cycleMs.p50, 2),
      gate_command_ms: { p50: gate.p50, max: gate.max, samples: gateMs.length, reason },
    };
  } finally {
    await app?.close();
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Asks the gate about frigate until it refuses (the watch has brought the node's NotReady); its reason. */
export async function untilRefused(app: App, timeoutMs = 10_000): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const decision = await app.actions.gateNow('frigate');
    if (!decision.allowed) return decision.reason;
    if (performance.now() > deadline) return 'allowed (expected a refusal)';
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Asks the gate about frigate until it allows a restart again (the node is back). */
export async function untilAllowed(app: App, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await app.actions.gateNow('frigate')).allowed && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
}

/** The V8 profiler of this process, through the inspector (profiling slows the cycles it records). */
async function startProfiler(): Promise<{ stop(): Promise<unknown> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

function perRoute(byRoute: Record<string, number>, cycles: number): Record<string, number> {
  return Object.fromEntries(Object.entries(byRoute).map(([route, n]) => [route, round(n / cycles, 2)]));
}
