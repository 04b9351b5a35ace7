/**
 * The simulated world of the scale scenario, in a child process so the bot's CPU and RSS are its
 * own: the Kubernetes simulator and the loopback probe endpoint. Started by `simClient.ts` with
 * `node --import tsx`; driven over the IPC channel (one request, one reply, matched by id).
 */
import type { NodeReadiness } from '../src/core/types.js';
import type { DiscordSimulator } from '../src/sim/discord/index.js';
import { createHomelabDiscord, HOMELAB_DISCORD } from '../src/sim/homelab.js';
import { createKubeSimulator, type KubeSimulator } from '../src/sim/kube/index.js';
import { buildLayout, type LayoutSize } from './layout.js';
import { startBenchProbeServer, type BenchProbeServer } from './probeServer.js';

/** What the parent asks; each operation answers with a JSON value. */
export type SimOp =
  | { op: 'setup'; size: LayoutSize; apiLatencyMs: number; probeDelayMs: number; now: number | null; bookmarkIntervalMs?: number; discord?: boolean }
  | { op: 'setNow'; now: number }
  | { op: 'setLatency'; ms: number }
  | { op: 'setNodeReady'; node: string; status: NodeReadiness }
  | { op: 'resetRequests' }
  | { op: 'requests' }
  | { op: 'bytes' }
  | { op: 'usage' }
  | { op: 'watches' }
  | { op: 'postedMessages' }
  | { op: 'stop' };

/** What `setup` answers. */
export interface SimSetup {
  kubeconfig: string;
  probeUrl: string;
  /** The Kubernetes simulator's base URL. */
  url: string;
  /** The homelab Discord simulator's API base URL, when `discord` was asked for. */
  discordApiUrl: string | null;
}

/** A message the bot posted in the incidents channel: when the simulator answered it, and its embed's title. */
export interface PostedMessage {
  at: number;
  title: string;
}

/** What `requests` answers: the total and the count per `METHOD path`. */
export interface SimRequests {
  total: number;
  byRoute: Record<string, number>;
}

/** What `usage` answers: the child's own CPU (µs) and RSS (bytes). */
export interface SimUsage {
  cpu: NodeJS.CpuUsage;
  rss: number;
}

let now = 0;
let kube: KubeSimulator | null = null;
let probe: BenchProbeServer | null = null;
let discord: DiscordSimulator | null = null;
const posted: PostedMessage[] = [];

function sim(): KubeSimulator {
  if (!kube) throw new Error('sim process: setup first');
  return kube;
}

async function handle(msg: SimOp): Promise<unknown> {
  switch (msg.op) {
    case 'setup': {
      // null: real time, for a bot that runs on its own clock (the production build).
      now = msg.now ?? 0;
      kube = createKubeSimulator({ now: msg.now === null ? Date.now : () => now, rolloutDelayMs: 20_000, bookmarkIntervalMs: msg.bookmarkIntervalMs });
      const layout = buildLayout(msg.size);
      for (const node of layout.nodes) kube.addNode(node);
      for (const t of layout.targets) kube.addDeployment({ namespace: t.namespace, name: t.name, node: t.node });
      const { url } = await kube.start();
      kube.setLatency(msg.apiLatencyMs);
      probe = await startBenchProbeServer(msg.probeDelayMs);
      let discordApiUrl: string | null = null;
      if (msg.discord) {
        discord = createHomelabDiscord();
        discordApiUrl = (await discord.start()).apiUrl;
        discord.onAnswered((r) => {
          if (r.method !== 'POST' || r.path !== `/channels/${HOMELAB_DISCORD.channel}/messages` || r.status !== 200) return;
          const embed = (r.body as { embeds?: { title?: string }[] } | null)?.embeds?.[0];
          posted.push({ at: Date.now(), title: embed?.title ?? '' });
        });
      }
      return { kubeconfig: kube.kubeconfig(), probeUrl: probe.url, url, discordApiUrl } satisfies SimSetup;
    }
    case 'setNow':
      now = msg.now;
      return null;
    case 'setLatency':
      sim().setLatency(msg.ms);
      return null;
    case 'setNodeReady':
      sim().setNodeReady(msg.node, msg.status);
      return null;
    case 'resetRequests':
      sim().resetRequests();
      return null;
    case 'requests': {
      const byRoute: Record<string, number> = {};
      for (const r of sim().requests) {
        // Collapse names so the per-target baseline reads as a handful of routes.
        const route = `${r.method} ${r.path.replace(/\/nodes\/[^/]+$/, '/nodes/{name}').replace(/\/namespaces\/[^/]+\//, '/namespaces/{ns}/')}${r.query['labelSelector'] ? '?labelSelector' : ''}${r.query['watch'] ? '?watch' : ''}`;
        byRoute[route] = (byRoute[route] ?? 0) + 1;
      }
      return { total: sim().requests.length, byRoute } satisfies SimRequests;
    }
    case 'bytes':
      return sim().bytesSent();
    case 'usage':
      return { cpu: process.cpuUsage(), rss: process.memoryUsage().rss } satisfies SimUsage;
    case 'watches':
      return sim().watches().length;
    case 'postedMessages':
      return posted;
    case 'stop':
      await discord?.stop();
      await kube?.stop();
      await probe?.close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (raw: { id: number; msg: SimOp }) => {
  handle(raw.msg).then(
    (value) => process.send!({ id: raw.id, ok: true, value }),
    (err: unknown) => process.send!({ id: raw.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
// The parent died: nothing left to serve.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
