import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { kubectlPath, kubectlUnavailableReason } from '../helpers/kubectl.js';

let sim: KubeSimulator;
let url: string;

beforeEach(async () => {
  sim = createKubeSimulator({ now: () => Date.parse('2025-01-01T00:00:00Z') });
  for (const name of ['a', 'b', 'c']) sim.addNode(name);
  url = (await sim.start()).url;
});
afterEach(async () => {
  await sim.stop();
});

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path);
  return { status: res.status, body: await res.json() };
}

const names = (body: any) => (body.items as any[]).map((i) => i.metadata.name);

/** A watch's status and its whole body, read until the server ends it. */
function watchBody(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('kube simulator: lists a page at a time (limit, continue)', () => {
  it('answers at most `limit` items with a continue token and the count left, and continues at the first page’s resourceVersion', async () => {
    const first = await get('/api/v1/nodes?limit=2');
    expect(first.status).toBe(200);
    expect(names(first.body)).toEqual(['a', 'b']);
    expect(first.body.metadata).toEqual({ resourceVersion: expect.stringMatching(/^\d+$/), continue: expect.any(String), remainingItemCount: 1 });

    // A change between the pages: the list stays the snapshot the first page was cut from.
    sim.addNode('d');
    sim.setNodeReady('c', 'False');
    const second = await get(`/api/v1/nodes?limit=2&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(second.status).toBe(200);
    expect(names(second.body)).toEqual(['c']);
    expect(second.body.items[0].status.conditions[0].status).toBe('True');
    expect(second.body.metadata).toEqual({ resourceVersion: first.body.metadata.resourceVersion });

    // Without a limit (or limit=0) the list is whole, as before.
    expect(names((await get('/api/v1/nodes')).body)).toEqual(['a', 'b', 'c', 'd']);
    expect(names((await get('/api/v1/nodes?limit=0')).body)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves out remainingItemCount when a label selector is given, as the API server does', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', replicas: 3 });
    const page = await get('/api/v1/namespaces/nvr/pods?limit=1&labelSelector=app%3Dfrigate');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.metadata.continue).toEqual(expect.any(String));
    expect(page.body.metadata.remainingItemCount).toBeUndefined();
    const rest = await get(`/api/v1/namespaces/nvr/pods?limit=5&labelSelector=app%3Dfrigate&continue=${encodeURIComponent(page.body.metadata.continue)}`);
    expect(rest.body.items).toHaveLength(2);
    // The same token for another collection or selector is not a token for it.
    const again = await get('/api/v1/namespaces/nvr/pods?limit=1&labelSelector=app%3Dfrigate');
    const other = await get(`/api/v1/namespaces/nvr/pods?limit=1&continue=${encodeURIComponent(again.body.metadata.continue)}`);
    expect(other.status).toBe(400);
  });

  it('refuses what the API server refuses: a made-up token, a resourceVersion with continue, a limit that is not a number', async () => {
    const bad = await get('/api/v1/nodes?limit=1&continue=not-a-token');
    expect(bad).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest', message: expect.stringMatching(/^continue key is not valid/) } });
    const first = await get('/api/v1/nodes?limit=1');
    const withRv = await get(`/api/v1/nodes?limit=1&resourceVersion=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(withRv.status).toBe(400);
    expect((await get('/api/v1/nodes?limit=many')).status).toBe(400);
  });

  it('answers 410 Expired for a continue token a compaction passed', async () => {
    const first = await get('/api/v1/nodes?limit=1');
    sim.expireWatches();
    const next = await get(`/api/v1/nodes?limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect(next).toMatchObject({ status: 410, body: { kind: 'Status', reason: 'Expired', code: 410, message: expect.stringMatching(/^The provided continue parameter is too old/) } });
    // A new list works again.
    expect(names((await get('/api/v1/nodes?limit=5')).body)).toEqual(['a', 'b', 'c']);
  });
});

describe('kube simulator: misbehaving watches', () => {
  it('answers every watch with HTTP 410 Expired under the `gone` fault', async () => {
    sim.setWatchFault('gone');
    const w = await get('/api/v1/nodes?watch=true&resourceVersion=1');
    expect(w).toMatchObject({ status: 410, body: { kind: 'Status', reason: 'Expired', code: 410 } });
    // Lists are served; only watches misbehave.
    expect((await get('/api/v1/nodes')).status).toBe(200);
  });

  it('answers every watch with a stream holding one ERROR 410 event under `goneEvent`', async () => {
    sim.setWatchFault('goneEvent');
    const w = await watchBody('/api/v1/nodes?watch=true&resourceVersion=1');
    expect(w.status).toBe(200);
    const lines = w.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', reason: 'Expired', code: 410 }) }]);
  });

  it('ends every watch at once with an empty body under `emptyBody` (a proxy), and serves watches again once cleared', async () => {
    sim.setWatchFault('emptyBody');
    expect(sim.serves('/api/v1/nodes')).toBe(false);
    expect(await watchBody('/api/v1/nodes?watch=true')).toEqual({ status: 200, text: '' });
    sim.setWatchFault(null);
    expect(sim.serves('/api/v1/nodes')).toBe(true);
    const w = await watchBody('/api/v1/nodes?watch=true&timeoutSeconds=1');
    expect(w.text.trim().split('\n')).toHaveLength(3);
  });
});

describe.skipIf(kubectlUnavailableReason() !== undefined)('kube simulator: a real kubectl pages through lists', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('`kubectl get nodes --chunk-size=1` follows the continue tokens and prints every node once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'stormguard-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig());
    // Not spawnSync: the simulator answers from this process's event loop.
    const out = await promisify(execFile)(kubectlPath(), ['--kubeconfig', join(dir, 'kubeconfig'), 'get', 'nodes', '--chunk-size=1', '-o', 'name'], { encoding: 'utf8', timeout: 30_000 });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim().split('\n')).toEqual(['node/a', 'node/b', 'node/c']);
    const lists = sim.requests.filter((r) => r.path === '/api/v1/nodes');
    expect(lists.map((r) => [r.query.limit, r.query.continue === undefined])).toEqual([
      ['1', true],
      ['1', false],
      ['1', false],
    ]);
  });
});
