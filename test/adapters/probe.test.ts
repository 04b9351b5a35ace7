import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeConfig, TargetConfig, WorkloadRef } from '../../src/config/types.js';
import { target as configuredTarget } from '../core/fixtures.js';
import type { ClusterSnapshot, WorkloadFacts } from '../../src/core/types.js';
import { probeAll, probeTarget } from '../../src/adapters/probe/index.js';

const NOW = Date.parse('2025-03-01T12:00:00Z');
const servers: (Server | TcpServer)[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    if ('closeAllConnections' in s) s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

function target(name: string, probe?: ProbeConfig, workload: WorkloadRef = { kind: 'Deployment', name }): TargetConfig {
  return configuredTarget(name, { workload, ...(probe ? { probe } : {}) });
}

function snapshot(workloads: WorkloadFacts[] = []): ClusterSnapshot {
  return {
    reachable: true,
    observedAt: NOW,
    nodes: { a: { name: 'a', ready: 'True', readySince: NOW, unschedulable: false } },
    workloads: Object.fromEntries(workloads.map((w) => [w.target, w])),
  };
}

const unreachable: ClusterSnapshot = { reachable: false, observedAt: NOW, error: 'connection refused' };

function facts(target: string, over: Partial<WorkloadFacts> = {}): WorkloadFacts {
  return { target, found: true, pods: [], relevantNodes: ['a'], readyReplicas: 1, desiredReplicas: 1, rolloutInProgress: false, ...over };
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: bind, note the port, close. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const http = (url: string, expectStatus = 200, timeout = 1000): ProbeConfig => ({ http: { url, timeout, expectStatus } });

describe('HTTP probe', () => {
  it('is ok when the status is the expected one, and does not follow redirects', async () => {
    const port = await httpServer((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else res.writeHead(req.url === '/ok' ? 200 : 503).end('body');
    });
    const snap = snapshot();
    expect(await probeTarget(target('web', http(`http://127.0.0.1:${port}/ok`)), snap)).toEqual({ target: 'web', result: 'ok', detail: 'HTTP 200 OK' });
    expect(await probeTarget(target('web', http(`http://127.0.0.1:${port}/bad`)), snap)).toEqual({ target: 'web', result: 'fail', detail: 'HTTP 503 Service Unavailable' });
    expect(await probeTarget(target('web', http(`http://127.0.0.1:${port}/moved`)), snap)).toEqual({ target: 'web', result: 'fail', detail: 'HTTP 302 Found' });
    expect(await probeTarget(target('web', http(`http://127.0.0.1:${port}/moved`, 302)), snap)).toMatchObject({ result: 'ok' });
  });

  it('times out on a server that never answers', async () => {
    const port = await httpServer(() => undefined);
    const obs = await probeTarget(target('web', http(`http://127.0.0.1:${port}/`, 200, 200)), snapshot());
    expect(obs).toEqual({ target: 'web', result: 'fail', detail: 'timeout after 200ms' });
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    expect(await probeTarget(target('web', http(`http://127.0.0.1:${port}/`)), snapshot())).toEqual({ target: 'web', result: 'fail', detail: 'connection refused' });
  });

  it('sends URL credentials as a Basic header and never puts them in the detail', async () => {
    let auth: string | undefined;
    const port = await httpServer((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(401).end();
    });
    const obs = await probeTarget(target('web', http(`http://user:s3cret@127.0.0.1:${port}/`)), snapshot());
    expect(auth).toBe(`Basic ${Buffer.from('user:s3cret').toString('base64')}`);
    expect(obs).toEqual({ target: 'web', result: 'fail', detail: 'HTTP 401 Unauthorized' });
  });
});

describe('TCP probe', () => {
  it('is ok when a connection opens', async () => {
    const server = createTcpServer((socket) => socket.end());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const obs = await probeTarget(target('db', { tcp: { host: '127.0.0.1', port, timeout: 1000 } }), snapshot());
    expect(obs).toEqual({ target: 'db', result: 'ok', detail: 'TCP connect ok' });
  });

  it('fails when the connection is refused', async () => {
    const port = await closedPort();
    const obs = await probeTarget(target('db', { tcp: { host: '127.0.0.1', port, timeout: 1000 } }), snapshot());
    expect(obs).toEqual({ target: 'db', result: 'fail', detail: 'connection refused' });
  });
});

describe('default probe: workload readiness', () => {
  it('is ok when ready replicas reach the desired count', async () => {
    const t = target('frigate');
    expect(await probeTarget(t, snapshot([facts('frigate')]))).toEqual({ target: 'frigate', result: 'ok', detail: '1/1 pods ready' });
    expect(await probeTarget(t, snapshot([facts('frigate', { readyReplicas: 0 })]))).toEqual({ target: 'frigate', result: 'fail', detail: '0/1 pods ready' });
    expect(await probeTarget(t, snapshot([facts('frigate', { readyReplicas: 0, desiredReplicas: 0 })]))).toMatchObject({ result: 'fail' });
  });

  it('fails a workload that does not exist', async () => {
    const obs = await probeTarget(target('frigate'), snapshot([facts('frigate', { found: false, readyReplicas: 0, desiredReplicas: 0 })]));
    expect(obs).toEqual({ target: 'frigate', result: 'fail', detail: 'Deployment nvr/frigate not found' });
  });

  it('needs at least one pod, all ready, for a Pods target', async () => {
    const t = target('ha', undefined, { kind: 'Pods', selector: 'app=ha' });
    const pod = (name: string, ready: boolean) => ({ name, node: 'a', phase: 'Running', ready });
    expect(await probeTarget(t, snapshot([facts('ha', { pods: [pod('p1', true), pod('p2', true)] })]))).toEqual({ target: 'ha', result: 'ok', detail: '2/2 pods ready' });
    expect(await probeTarget(t, snapshot([facts('ha', { pods: [pod('p1', true), pod('p2', false)] })]))).toEqual({ target: 'ha', result: 'fail', detail: '1/2 pods ready' });
    expect(await probeTarget(t, snapshot([facts('ha', { pods: [] })]))).toEqual({ target: 'ha', result: 'fail', detail: 'no pods match app=ha' });
  });
});

describe('unreachable cluster', () => {
  it('makes every observation unknown and opens no connection', async () => {
    let hits = 0;
    const port = await httpServer((_req, res) => {
      hits++;
      res.writeHead(200).end();
    });
    const targets = [
      target('web', http(`http://127.0.0.1:${port}/`)),
      target('db', { tcp: { host: '127.0.0.1', port, timeout: 1000 } }),
      target('frigate'),
    ];
    const obs = await probeAll(targets, unreachable);
    expect(obs).toEqual(targets.map((t) => ({ target: t.name, result: 'unknown', detail: 'Kubernetes API unreachable' })));
    expect(hits).toBe(0);
  });
});

describe('probeAll', () => {
  it('keeps at most `concurrency` probes in flight and returns results in target order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const port = await httpServer((req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Later targets answer sooner, so completion order differs from target order.
      const n = Number(req.url?.slice(1));
      setTimeout(() => {
        inFlight--;
        res.writeHead(n % 3 === 0 ? 503 : 200).end();
      }, 40 - n);
    });
    const targets = Array.from({ length: 20 }, (_, i) => target(`t${i}`, http(`http://127.0.0.1:${port}/${i}`)));
    const obs = await probeAll(targets, snapshot(), { concurrency: 4 });
    expect(maxInFlight).toBe(4);
    expect(obs.map((o) => o.target)).toEqual(targets.map((t) => t.name));
    expect(obs.map((o) => o.detail)).toEqual(targets.map((_, i) => (i % 3 === 0 ? 'HTTP 503 Service Unavailable' : 'HTTP 200 OK')));
  });

  it('defaults to 16 and handles an empty list', async () => {
    expect(await probeAll([], snapshot())).toEqual([]);
    const targets = Array.from({ length: 40 }, (_, i) => target(`t${i}`));
    const obs = await probeAll(targets, snapshot(targets.map((t) => facts(t.name))));
    expect(obs.every((o) => o.result === 'ok')).toBe(true);
  });
});
