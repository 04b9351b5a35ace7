/**
 * Item 8 and 9 of issue 21: the caches back off from an API server (or a proxy) that will not keep a
 * watch, say they are out of sync meanwhile, read lists a page at a time, and drop input over its bound.
 * Request rates are counted over a real window with a backoff that starts at 1 s: an upper bound on
 * requests, which a slow machine only lowers.
 */
import { constants } from 'node:buffer';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { target } from '../core/fixtures.js';
import { createKubeAdapter, type KubeAdapter } from '../../src/adapters/kube/index.js';
import { KubeConfig } from '../../src/adapters/kube/clientNode.js';
import { createBackoff, startInformer, type Informer } from '../../src/adapters/kube/informer.js';
import { createKubeRequest, createKubeWatch, MAX_BODY_BYTES, MAX_WATCH_LINE_BYTES } from '../../src/adapters/kube/transport.js';
import type { KubeObject } from '../../src/adapters/kube/slim.js';
import { createKubeSimulator, SIM_RESYNC_BACKOFF, waitForCaches, type KubeSimulator, type SimWatchFault } from '../../src/sim/kube/index.js';
import { simKubeconfig } from '../../src/sim/kube/kubeconfig.js';

/** A backoff that starts at 1 s: in a 3 s window a cache tries at most twice (after ≥ 1 s, then ≥ 2 s more). */
const SLOW_BACKOFF = { initialMs: 1000, maxMs: 4000 };
const WINDOW_MS = 3000;
const frigate = target('frigate', { namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } });

describe('the reflector backoff (injected clock and randomness)', () => {
  it('doubles from 0.8 s to 30 s, each wait drawn from [d, 2d), and starts again after 2 calm minutes', () => {
    let now = 0;
    let random = 0;
    const backoff = createBackoff({ initialMs: 800, maxMs: 30_000 }, () => now, () => random);
    const waits = Array.from({ length: 8 }, () => {
      now += 1000;
      return backoff.next();
    });
    expect(waits).toEqual([800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000]);
    random = 0.5;
    now += 119_000;
    expect(backoff.next()).toBe(45_000);
    now += 120_001;
    expect(backoff.next()).toBe(1200);
  });
});

describe('caches against a watch that will not stay open', () => {
  let sim: KubeSimulator;
  let dir: string;
  let kube: KubeAdapter;

  beforeEach(async () => {
    sim = createKubeSimulator();
    sim.addNode('node-a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    await sim.start();
    dir = mkdtempSync(join(tmpdir(), 'stormguard-backoff-'));
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
    kube = createKubeAdapter({ kubeconfig: join(dir, 'kubeconfig'), env: {}, backoff: SLOW_BACKOFF, watchScope: 'namespaces', requestTimeoutMs: 5000 });
    expect((await kube.snapshot([frigate], Date.now())).reachable).toBe(true);
    await waitForCaches(sim, () => kube.caches());
    expect(kube.caches()).toHaveLength(3);
  });
  afterEach(async () => {
    await kube.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: [SimWatchFault, RegExp][] = [
    ['gone', /^HTTP 410/],
    ['goneEvent', /^HTTP 410: too old resource version/],
    ['emptyBody', /^very short watch/],
  ];
  it.each(cases)('back off under the %s fault, and read as out of sync until a watch holds again', async (fault, why) => {
    sim.setWatchFault(fault);
    // The open watches end; each cache then meets the fault on every try.
    sim.breakWatches();
    await expect.poll(() => kube.caches().every((c) => !c.inSync)).toBe(true);
    sim.resetRequests();
    const samples: boolean[] = [];
    for (const end = Date.now() + WINDOW_MS; Date.now() < end; await sleep(25)) samples.push(kube.caches().some((c) => c.inSync));
    const requests = sim.requests.length;

    // Three caches, each at most two tries of a watch (and a list, after a 410) in the window: before, hundreds a second.
    expect(requests).toBeLessThanOrEqual(3 * 2 * 2);
    expect(sim.requests.filter((r) => r.query.watch === 'true').length).toBeGreaterThanOrEqual(3);
    // Never in sync meanwhile, not even for the moment a watch is answered.
    expect(samples.length).toBeGreaterThan(50);
    expect(samples.filter(Boolean)).toEqual([]);
    for (const c of kube.caches()) expect(c.error?.message).toMatch(why);
    // The cycle sees it: nodes out of sync is an unreachable cluster, with the reason.
    expect(await kube.snapshot([frigate], Date.now())).toMatchObject({ reachable: false, error: expect.stringMatching(why) });

    sim.setWatchFault(null);
    // A cycle tries again at once; the new watch counts once it stayed open a second.
    const healed = await kube.snapshot([frigate], Date.now());
    expect(healed).toMatchObject({ reachable: true, workloads: { frigate: { readyReplicas: 1 } } });
    expect(kube.caches().every((c) => c.inSync)).toBe(true);
  });
});

describe('lists a page at a time', () => {
  let sim: KubeSimulator;
  let dir: string;
  let kube: KubeAdapter;

  beforeEach(async () => {
    sim = createKubeSimulator();
    for (const name of ['node-a', 'node-b', 'node-c']) sim.addNode(name);
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a', replicas: 2 });
    await sim.start();
    dir = mkdtempSync(join(tmpdir(), 'stormguard-pages-'));
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
    kube = createKubeAdapter({ kubeconfig: join(dir, 'kubeconfig'), env: {}, backoff: SIM_RESYNC_BACKOFF, watchScope: 'namespaces', listPageSize: 2 });
  });
  afterEach(async () => {
    await kube.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const nodeLists = () => sim.requests.filter((r) => r.path === '/api/v1/nodes' && r.query.watch === undefined).map((r) => ({ limit: r.query.limit, continued: r.query.continue !== undefined }));

  it('follow the continue token to the end and watch from the list’s resourceVersion', async () => {
    expect((await kube.snapshot([frigate], Date.now())).reachable).toBe(true);
    await waitForCaches(sim, () => kube.caches());
    expect(nodeLists()).toEqual([
      { limit: '2', continued: false },
      { limit: '2', continued: true },
    ]);
    const snap = await kube.snapshot([frigate], Date.now());
    expect(snap.reachable && Object.keys(snap.nodes).sort()).toEqual(['node-a', 'node-b', 'node-c']);
    expect(snap.reachable && snap.workloads.frigate?.pods).toHaveLength(2);
  });

  it('list again from the start when the continue token expired between pages (410)', async () => {
    let compacted = false;
    sim.onAnswered((a) => {
      // A compaction right after the first page of the nodes' list.
      if (compacted || a.path !== '/api/v1/nodes' || a.code !== 200) return;
      compacted = true;
      sim.expireWatches();
    });
    expect((await kube.snapshot([frigate], Date.now())).reachable).toBe(true);
    await waitForCaches(sim, () => kube.caches());
    expect(nodeLists()).toEqual([
      { limit: '2', continued: false },
      { limit: '2', continued: true },
      { limit: '2', continued: false },
      { limit: '2', continued: true },
    ]);
    const nodes = kube.caches().find((c) => c.path === '/api/v1/nodes')!;
    expect(nodes).toMatchObject({ inSync: true, objects: 3, error: null });
  });
});

/** A programmable API server: `handle` answers every request; requests and closed connections are counted. */
async function programmableServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ kc: KubeConfig; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromString(simKubeconfig(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  return { kc, server, requests };
}

/** Writes `chunk` until the client goes away, respecting backpressure; resolves with the bytes written. */
function writeForever(res: ServerResponse, chunk: Buffer): Promise<number> {
  return new Promise((resolve) => {
    let written = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
      resolve(written);
    });
    const pump = () => {
      while (!closed) {
        written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
    };
    pump();
  });
}

const NODE_LIST = JSON.stringify({ kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'a', resourceVersion: '5' } }] });
const MiB = 1024 * 1024;

describe('bounded input from a hostile API server', () => {
  let server: Server | undefined;
  let informer: Informer<KubeObject> | undefined;
  afterEach(async () => {
    informer?.stop();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    }
    server = informer = undefined;
  });

  it('keeps the defaults under V8’s longest string, so reading never throws where no caller can catch it', () => {
    expect(MAX_BODY_BYTES).toBeLessThan(constants.MAX_STRING_LENGTH);
    expect(MAX_WATCH_LINE_BYTES).toBeLessThan(MAX_BODY_BYTES);
  });

  it('drops a watch whose line never ends once it passes the bound, says so, and retries with backoff', async () => {
    const streams: Promise<number>[] = [];
    const api = await programmableServer((req, res) => {
      if (!req.url?.includes('watch=true')) return void res.end(NODE_LIST);
      res.writeHead(200, { 'content-type': 'application/json' });
      streams.push(writeForever(res, Buffer.alloc(64 * 1024, 'x')));
    });
    server = api.server;
    const logs: { level: number; msg: string; error?: string }[] = [];
    informer = startInformer({
      kind: 'Node',
      namespace: null,
      path: '/api/v1/nodes',
      list: (page) => createKubeRequest(api.kc, 5000)('GET', '/api/v1/nodes', { query: { limit: String(page.limit) } }),
      watch: createKubeWatch(api.kc, MiB),
      slim: (raw: KubeObject) => raw,
      timeoutMs: 5000,
      backoff: SLOW_BACKOFF,
      logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
    });
    await expect.poll(() => informer!.status().error?.message).toBe('watch: a line exceeds 1 MiB; the stream was dropped');
    expect(informer.status().inSync).toBe(false);
    // The client hung up: the server's endless line stopped at the bound plus what the sockets buffer.
    const sent = await streams[0]!;
    expect(sent).toBeGreaterThan(MiB);
    expect(sent).toBeLessThan(64 * MiB);

    const before = api.requests.length;
    await sleep(WINDOW_MS);
    expect(api.requests.length - before).toBeLessThanOrEqual(2);
    expect(informer.status().inSync).toBe(false);
    // Said once as a warning, however often it is retried.
    expect(logs.filter((l) => l.level >= 40)).toEqual([
      expect.objectContaining({ msg: 'kube: the cache of /api/v1/nodes is out of sync: watch: a line exceeds 1 MiB; the stream was dropped', error: 'watch: a line exceeds 1 MiB; the stream was dropped' }),
    ]);
  });

  it('refuses a list answer over the bound without reading the rest, as a rejection the informer retries', async () => {
    const bodies: Promise<number>[] = [];
    const api = await programmableServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":"NodeList","items":[');
      bodies.push(writeForever(res, Buffer.alloc(64 * 1024, ' ')));
    });
    server = api.server;
    const request = createKubeRequest(api.kc, 5000, MiB);
    await expect(request('GET', '/api/v1/nodes')).rejects.toThrow('the answer to GET /api/v1/nodes exceeds 1 MiB');
    expect(await bodies[0]!).toBeLessThan(64 * MiB);

    informer = startInformer({
      kind: 'Node',
      namespace: null,
      path: '/api/v1/nodes',
      list: (page) => request('GET', '/api/v1/nodes', { query: { limit: String(page.limit) } }),
      watch: createKubeWatch(api.kc),
      slim: (raw: KubeObject) => raw,
      timeoutMs: 5000,
      backoff: SLOW_BACKOFF,
    });
    await expect.poll(() => informer!.status()).toMatchObject({ inSync: false, error: { message: 'the answer to GET /api/v1/nodes exceeds 1 MiB' } });
    const before = api.requests.length;
    await sleep(WINDOW_MS);
    expect(api.requests.length - before).toBeLessThanOrEqual(2);
  });
});
