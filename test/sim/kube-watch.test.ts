import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { kubectlPath, kubectlUnavailableReason } from '../helpers/kubectl.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
let clock = T0;
let sim: KubeSimulator;
let url: string;
const open: Watching[] = [];

beforeEach(async () => {
  clock = T0;
  sim = createKubeSimulator({ now: () => clock, rolloutDelayMs: 2000, bookmarkIntervalMs: 50 });
  url = (await sim.start()).url;
});
afterEach(async () => {
  for (const w of open.splice(0)) w.close();
  await sim.stop();
});

interface WatchLine {
  type: string;
  object: any;
}

interface Watching {
  status: number;
  lines: WatchLine[];
  /** Resolves when the server ends the stream: 'end' cleanly, 'error' when the connection broke. */
  ended: Promise<'end' | 'error'>;
  close(): void;
}

/** Opens a watch and collects its JSON lines. */
function watch(path: string): Promise<Watching> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, (res) => {
      const lines: WatchLine[] = [];
      let buffer = '';
      const ended = new Promise<'end' | 'error'>((done) => {
        res.on('end', () => done('end'));
        res.on('error', () => done('error'));
        res.on('aborted', () => done('error'));
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buffer.slice(0, nl)) as WatchLine);
          buffer = buffer.slice(nl + 1);
        }
      });
      const w: Watching = { status: res.statusCode ?? 0, lines, ended, close: () => req.destroy() };
      open.push(w);
      resolve(w);
    });
    req.on('error', reject);
    req.end();
  });
}

async function list(path: string): Promise<any> {
  return (await fetch(url + path)).json();
}

const summary = (lines: WatchLine[]) => lines.filter((l) => l.type !== 'BOOKMARK').map((l) => `${l.type} ${l.object.metadata?.name ?? l.object.code}`);

describe('kube simulator: watch', () => {
  it('without a resourceVersion: the current objects as ADDED, then each change with a newer resourceVersion', async () => {
    sim.addNode('a');
    sim.addNode('b');
    const w = await watch('/api/v1/nodes?watch=1');
    await expect.poll(() => w.lines.length).toBe(2);
    expect(summary(w.lines)).toEqual(['ADDED a', 'ADDED b']);
    sim.setNodeReady('b', 'False');
    await expect.poll(() => w.lines.length).toBe(3);
    const modified = w.lines[2]!;
    expect(modified.type).toBe('MODIFIED');
    expect(modified.object.status.conditions[0].status).toBe('False');
    expect(Number(modified.object.metadata.resourceVersion)).toBeGreaterThan(Number(w.lines[1]!.object.metadata.resourceVersion));
    // The node's heartbeat alone is no change: time passing sends nothing.
    clock += 60_000;
    sim.pods();
    sim.deleteNode('a');
    await expect.poll(() => summary(w.lines)).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b', 'DELETED a']);
  });

  it('from a list resourceVersion: only later changes, with the workload status changes the pods cause', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'a' });
    sim.addDeployment({ namespace: 'home', name: 'hass', node: 'a' });
    const pods = await list('/api/v1/namespaces/nvr/pods');
    const deployments = await list('/apis/apps/v1/namespaces/nvr/deployments');
    const w = await watch(`/api/v1/namespaces/nvr/pods?watch=true&resourceVersion=${pods.metadata.resourceVersion}`);
    const d = await watch(`/apis/apps/v1/namespaces/nvr/deployments?watch=true&resourceVersion=${deployments.metadata.resourceVersion}`);
    sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    sim.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, false);
    await expect.poll(() => summary(w.lines)).toEqual([`MODIFIED ${pods.items[0].metadata.name}`]);
    expect(w.lines[0]!.object.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('False');
    // The Deployment's status is derived from its pods: it changes, and gets a resourceVersion of its own.
    await expect.poll(() => summary(d.lines)).toEqual(['MODIFIED frigate']);
    expect(d.lines[0]!.object.status.readyReplicas).toBeUndefined();
    expect(d.lines[0]!.object.metadata.resourceVersion).not.toBe(deployments.items[0].metadata.resourceVersion);
    expect((await list('/apis/apps/v1/namespaces/nvr/deployments/frigate')).metadata.resourceVersion).toBe(d.lines[0]!.object.metadata.resourceVersion);
  });

  it('watches a kind in every namespace (/apis/apps/v1/deployments): each namespace’s changes, from a cluster-wide list resourceVersion, with bookmarks and 410', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'a' });
    sim.addDeployment({ namespace: 'home', name: 'hass', node: 'a' });
    const all = await list('/apis/apps/v1/deployments');
    expect(all.items.map((d: any) => d.metadata.namespace)).toEqual(['home', 'nvr']);
    const w = await watch(`/apis/apps/v1/deployments?watch=1&allowWatchBookmarks=true&resourceVersion=${all.metadata.resourceVersion}`);
    sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    sim.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, false);
    await expect.poll(() => summary(w.lines)).toEqual(['MODIFIED hass', 'MODIFIED frigate']);
    await expect.poll(() => w.lines.some((l) => l.type === 'BOOKMARK')).toBe(true);
    expect(sim.expireWatches()).toBe(1);
    await expect(w.ended).resolves.toBe('end');
    expect(w.lines.at(-1)).toMatchObject({ type: 'ERROR', object: { code: 410 } });
    const late = await watch(`/api/v1/pods?watch=1&resourceVersion=${all.metadata.resourceVersion}`);
    await expect(late.ended).resolves.toBe('end');
    expect(late.lines).toEqual([{ type: 'ERROR', object: expect.objectContaining({ code: 410 }) }]);
  });

  it('filters by label selector and by metadata.name', async () => {
    sim.addNode('a');
    sim.addPod({ namespace: 'home', name: 'ha-1', labels: { app: 'ha' }, node: 'a' });
    sim.addPod({ namespace: 'home', name: 'other', labels: { app: 'other' }, node: 'a' });
    const byLabel = await watch('/api/v1/namespaces/home/pods?watch=1&labelSelector=app%3Dha');
    const byName = await watch('/api/v1/pods?watch=1&fieldSelector=metadata.name%3Dother');
    await expect.poll(() => summary(byLabel.lines)).toEqual(['ADDED ha-1']);
    await expect.poll(() => summary(byName.lines)).toEqual(['ADDED other']);
  });

  it('answers a resourceVersion older than its history with an ERROR event of code 410, then ends the stream', async () => {
    sim.addNode('a');
    const before = (await list('/api/v1/nodes')).metadata.resourceVersion;
    const live = await watch(`/api/v1/nodes?watch=1&resourceVersion=${before}`);
    sim.setNodeReady('a', 'False');
    await expect.poll(() => live.lines.length).toBe(1);

    // A compaction: the history is gone, open watches are told so and ended.
    expect(sim.expireWatches()).toBe(1);
    await expect(live.ended).resolves.toBe('end');
    expect(live.lines.at(-1)).toMatchObject({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 } });

    const late = await watch(`/api/v1/nodes?watch=1&resourceVersion=${before}`);
    expect(late.status).toBe(200);
    await expect(late.ended).resolves.toBe('end');
    expect(late.lines).toEqual([{ type: 'ERROR', object: expect.objectContaining({ code: 410, message: expect.stringMatching(/^too old resource version: /) }) }]);

    // From the current resourceVersion (a fresh list) watching works again.
    const now = (await list('/api/v1/nodes')).metadata.resourceVersion;
    const fresh = await watch(`/api/v1/nodes?watch=1&resourceVersion=${now}`);
    sim.setNodeReady('a', 'True');
    await expect.poll(() => summary(fresh.lines)).toEqual(['MODIFIED a']);
  });

  it('sends bookmarks when allowed, with only a resourceVersion, and none otherwise', async () => {
    sim.addNode('a');
    const withBookmarks = await watch('/api/v1/nodes?watch=1&resourceVersion=1&allowWatchBookmarks=true');
    const without = await watch('/api/v1/nodes?watch=1&resourceVersion=1');
    await expect.poll(() => withBookmarks.lines.filter((l) => l.type === 'BOOKMARK').length).toBeGreaterThanOrEqual(2);
    const bookmark = withBookmarks.lines.find((l) => l.type === 'BOOKMARK')!;
    expect(bookmark.object).toEqual({ kind: 'Node', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    expect(without.lines.some((l) => l.type === 'BOOKMARK')).toBe(false);
  });

  it('ends the stream cleanly after timeoutSeconds', async () => {
    const w = await watch('/api/v1/nodes?watch=1&timeoutSeconds=1');
    await expect(w.ended).resolves.toBe('end');
  });

  it('refuses a resourceVersion that is not a number, and unknown collections', async () => {
    expect((await fetch(`${url}/api/v1/nodes?watch=1&resourceVersion=abc`)).status).toBe(400);
    expect((await fetch(`${url}/api/v1/services?watch=1`)).status).toBe(404);
  });

  it('breaks open watches mid-event on request', async () => {
    sim.addNode('a');
    const w = await watch('/api/v1/nodes?watch=1');
    await expect.poll(() => w.lines.length).toBe(1);
    expect(sim.watches()).toEqual([{ resource: 'nodes', namespace: null, labels: [], name: null }]);
    expect(sim.breakWatches()).toBe(1);
    await expect(w.ended).resolves.toBe('error');
    expect(sim.watches()).toEqual([]);
  });
});

describe.skipIf(kubectlUnavailableReason() !== undefined)('kube simulator: a real kubectl', () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(() => {
    child?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
    child = dir = undefined;
  });

  it('`kubectl get pods -w` lists, then watches from the list resourceVersion and prints each change', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'a' });
    const pod = sim.pods('nvr')[0]!.name;
    dir = mkdtempSync(join(tmpdir(), 'stormguard-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig());
    let out = '';
    child = spawn(kubectlPath(), ['--kubeconfig', join(dir, 'kubeconfig'), 'get', 'pods', '-n', 'nvr', '-w'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await expect.poll(() => sim.requests.some((r) => r.query.watch === 'true'), { timeout: 20_000 }).toBe(true);
    await expect.poll(() => out.split('\n').filter((l) => l.startsWith(pod)).length, { timeout: 10_000 }).toBe(1);

    const listed = sim.requests.find((r) => r.path === '/api/v1/namespaces/nvr/pods' && r.query.watch === undefined)!;
    const watched = sim.requests.find((r) => r.path === '/api/v1/namespaces/nvr/pods' && r.query.watch === 'true')!;
    expect(listed).toBeDefined();
    expect(Number(watched.query.resourceVersion)).toBeGreaterThan(0);

    sim.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, false);
    await expect.poll(() => out.split('\n').filter((l) => l.startsWith(pod)).length, { timeout: 10_000 }).toBe(2);
    expect(out).not.toMatch(/error/i);
  });
});
