/**
 * The namespace sweep of `kubernetes.watchScope`: the real Kubernetes adapter (client-node, the
 * bot's informers) against the simulator in a child process on real time, 1,000 targets spread over
 * 1, 10, 100 and 1,000 namespaces, watched per namespace and cluster-wide. For each it counts the
 * caches the adapter keeps and the watches the simulator has open, measures the requests a window of
 * cycles (snapshots) makes once the caches are in sync, and turns that into requests per hour the way
 * the production scenario does: the window's requests plus one watch renewal per cache per mean watch
 * timeout (bookmarks travel inside the open streams and are no requests). Per-target polling makes
 * 2 requests per target per cycle.
 *
 * Alone: `npx tsx bench/scope.ts` prints the table; `npm run bench` puts it in `watch.namespace_sweep`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../src/config/index.js';
import type { TargetConfig } from '../src/config/types.js';
import { createKubeAdapter, type KubeAdapter } from '../src/adapters/kube/index.js';
import type { WatchScope } from '../src/adapters/kube/access.js';
import { WATCH_TIMEOUT_SECONDS } from '../src/adapters/kube/informer.js';
import { buildLayout } from './layout.js';
import { startSimWorld, type SimWorld } from './simClient.js';
import { round } from './stats.js';

/** What to sweep. */
export interface ScopeSweepOptions {
  targets: number;
  nodes: number;
  namespaces: number[];
  scopes: WatchScope[];
  /** The bot's schedule period (what per-target polling is counted at). */
  periodMs: number;
  /** Real seconds of cycles measured per row, once the caches are in sync. */
  windowSeconds: number;
  /** Cycles (snapshots) in that window. */
  cyclesPerWindow: number;
}

/** One row of the sweep. */
export interface ScopeSweepRow {
  namespaces: number;
  scope: WatchScope;
  /** Caches the adapter keeps (`caches()`), and watch streams the simulator has open for them. */
  caches: number;
  watches_open: number;
  /** Requests the simulator received during the measured window of cycles. */
  window_requests: number;
  window_seconds: number;
  /** Window requests per hour + caches × 3,600 / mean watch timeout. */
  requests_per_hour: number;
  polling_requests_per_hour: number;
  ratio_vs_polling: number;
}

/** `npm run bench`'s sweep: 1,000 targets over 50 nodes, 1 to 1,000 namespaces, both scopes. */
export const SCOPE_SWEEP: ScopeSweepOptions = {
  targets: 1000,
  nodes: 50,
  namespaces: [1, 10, 100, 1000],
  scopes: ['namespaces', 'cluster'],
  periodMs: 30_000,
  windowSeconds: 10,
  cyclesPerWindow: 10,
};

/** Mean server-side watch timeout: each cache opens one new watch this often when idle. */
const MEAN_WATCH_SECONDS = (WATCH_TIMEOUT_SECONDS.min + WATCH_TIMEOUT_SECONDS.max) / 2;

/** Runs the sweep, one simulator per namespace count, one adapter per scope; cleans up after itself. */
export async function runScopeSweep(o: ScopeSweepOptions, onPhase?: (line: string) => void): Promise<ScopeSweepRow[]> {
  const rows: ScopeSweepRow[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-bench-scope-'));
  try {
    for (const namespaces of o.namespaces) {
      let world: SimWorld | null = null;
      try {
        world = await startSimWorld();
        const size = { targets: o.targets, nodes: o.nodes, namespaces };
        // Bookmarks every 10 minutes: none falls into a window (they are no requests anyway).
        const { kubeconfig } = await world.setup({ size, apiLatencyMs: 0, probeDelayMs: 0, now: null, bookmarkIntervalMs: 600_000 });
        const file = path.join(dir, `kubeconfig-${namespaces}`);
        fs.writeFileSync(file, kubeconfig, { mode: 0o600 });
        // Through the real schema, so every default a configured target has is there.
        const { targets } = validateConfig(
          { kubernetes: { kubeconfig: file }, targets: buildLayout(size).targets.map((t) => ({ name: t.name, namespace: t.namespace, workload: { kind: 'Deployment', name: t.name } })) },
          'bench-scope.yaml',
        );
        for (const scope of o.scopes) {
          onPhase?.(`scope sweep: ${o.targets} targets in ${namespaces} namespace${namespaces === 1 ? '' : 's'}, watchScope ${scope}`);
          rows.push(await measure(world, file, targets, namespaces, scope, o));
        }
      } finally {
        await world?.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

async function measure(world: SimWorld, kubeconfig: string, targets: TargetConfig[], namespaces: number, scope: WatchScope, o: ScopeSweepOptions): Promise<ScopeSweepRow> {
  const kube: KubeAdapter = createKubeAdapter({ kubeconfig, env: {}, watchScope: scope, requestTimeoutMs: 60_000 });
  try {
    // Every cache listed and watching, every target known.
    await until(async () => {
      const snap = await kube.snapshot(targets, Date.now());
      return snap.reachable && snap.unknownTargets === undefined && Object.keys(snap.workloads).length === targets.length;
    }, 300_000, 'every target known');
    const caches = kube.caches().length;
    await until(async () => (await world.watches()) === caches, 120_000, `${caches} watches open`);

    await world.resetRequests();
    const t0 = Date.now();
    for (let i = 0; i < o.cyclesPerWindow; i++) {
      await kube.snapshot(targets, Date.now());
      const next = t0 + ((i + 1) * o.windowSeconds * 1000) / o.cyclesPerWindow;
      if (next > Date.now()) await new Promise((r) => setTimeout(r, next - Date.now()));
    }
    const seconds = (Date.now() - t0) / 1000;
    const windowRequests = (await world.requests()).total;
    const watchesOpen = await world.watches();
    const perHour = (windowRequests * 3600) / seconds + (caches * 3600) / MEAN_WATCH_SECONDS;
    const polling = 2 * targets.length * (3_600_000 / o.periodMs);
    return {
      namespaces,
      scope,
      caches,
      watches_open: watchesOpen,
      window_requests: windowRequests,
      window_seconds: round(seconds),
      requests_per_hour: round(perHour, 1),
      polling_requests_per_hour: polling,
      ratio_vs_polling: round(polling / perHour, 1),
    };
  } finally {
    await kube.close();
    // The next row starts from no open watch.
    await until(async () => (await world.watches()) === 0, 60_000, 'the watches closed');
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`scope sweep: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The sweep as a plain-text table. */
export function renderScopeSweep(rows: readonly ScopeSweepRow[]): string[] {
  const lines = [`  ${'namespaces'.padStart(10)} ${'scope'.padStart(10)} ${'caches'.padStart(7)} ${'watches'.padStart(8)} ${'window req'.padStart(10)} ${'requests/h'.padStart(11)} ${'polling/h'.padStart(10)} ${'ratio'.padStart(8)}`];
  for (const r of rows) {
    lines.push(
      `  ${String(r.namespaces).padStart(10)} ${r.scope.padStart(10)} ${String(r.caches).padStart(7)} ${String(r.watches_open).padStart(8)} ${String(r.window_requests).padStart(10)} ${String(r.requests_per_hour).padStart(11)} ${String(r.polling_requests_per_hour).padStart(10)} ${`${r.ratio_vs_polling}×`.padStart(8)}`,
    );
  }
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const rows = await runScopeSweep(SCOPE_SWEEP, (line) => process.stderr.write(`… ${line}\n`));
  process.stdout.write(`${renderScopeSweep(rows).join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(rows)}\n`);
  process.exit(0);
}
