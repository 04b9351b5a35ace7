import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetConfig, WorkloadRef } from '../../src/config/types.js';
import { target as configuredTarget } from '../core/fixtures.js';
import type { ClusterSnapshot } from '../../src/core/types.js';
import { createKubeAdapter, type KubeAdapter } from '../../src/adapters/kube/index.js';
import { createKubeSimulator, SIM_RESYNC_BACKOFF, waitForCaches, type KubeSimulator } from '../../src/sim/kube/index.js';

const T0 = Date.parse('2025-03-01T12:00:00Z');
let clock = T0;
let sim: KubeSimulator;
let dir: string;
let kube: KubeAdapter;

function target(name: string, namespace: string, workload: WorkloadRef): TargetConfig {
  return configuredTarget(name, { namespace, workload });
}

const frigate = target('frigate', 'nvr', { kind: 'Deployment', name: 'frigate' });
const hass = target('hass', 'home', { kind: 'Deployment', name: 'hass' });

function reachable(snap: ClusterSnapshot) {
  if (!snap.reachable) throw new Error(`expected a reachable snapshot, got: ${snap.error}`);
  return snap;
}

const lists = () => sim.requests.filter((r) => r.method === 'GET' && r.query.watch === undefined).map((r) => r.path);
const watches = () => sim.requests.filter((r) => r.query.watch === 'true');
const settle = () => waitForCaches(sim, () => kube.caches());

beforeEach(async () => {
  clock = T0;
  sim = createKubeSimulator({ now: () => clock, rolloutDelayMs: 2000 });
  sim.addNode('node-a');
  sim.addNode('node-b');
  sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
  sim.addDeployment({ namespace: 'home', name: 'hass', node: 'node-b' });
  await sim.start();
  dir = mkdtempSync(join(tmpdir(), 'stormguard-informer-'));
  await sim.writeKubeconfig(join(dir, 'kubeconfig'));
  kube = createKubeAdapter({ kubeconfig: join(dir, 'kubeconfig'), env: {}, backoff: SIM_RESYNC_BACKOFF, watchScope: 'namespaces', warningEvents: false });
  reachable(await kube.snapshot([frigate, hass], T0));
  await settle();
  await expect.poll(() => sim.watches().length).toBe(5);
  sim.resetRequests();
});
afterEach(async () => {
  await kube.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('informers against the simulator', () => {
  it('see additions, modifications and deletions through the watch alone', async () => {
    sim.addNode('node-c');
    sim.setNodeReady('node-a', 'False');
    sim.cordon('node-b');
    await settle();
    let snap = reachable(await kube.snapshot([frigate, hass], clock));
    expect(snap.nodes['node-c']).toMatchObject({ ready: 'True' });
    expect(snap.nodes['node-a']).toMatchObject({ ready: 'False', readySince: T0 });
    expect(snap.nodes['node-b']).toMatchObject({ ready: 'True', unschedulable: true });
    expect(snap.workloads.frigate).toMatchObject({ readyReplicas: 0, relevantNodes: ['node-a'] });

    sim.deleteNode('node-c');
    await kube.restart(frigate, clock);
    clock += 2000;
    await settle();
    snap = reachable(await kube.snapshot([frigate, hass], clock));
    expect(Object.keys(snap.nodes).sort()).toEqual(['node-a', 'node-b']);
    // The rollout replaced frigate's pod: the old one was deleted, the new one waits for node-a.
    expect(snap.workloads.frigate!.pods).toEqual([{ name: expect.any(String), node: null, phase: 'Pending', ready: false, containers: [], unschedulable: expect.stringContaining('untolerated taint') }]);
    expect(snap.workloads.frigate!.pods[0]!.name).not.toBe(sim.restarts[0]!.name);
    expect(lists()).toEqual([]);
    expect(watches()).toEqual([]);
  });

  it('resume a watch broken mid-stream from their resourceVersion, without relisting, and catch up', async () => {
    const before = Object.fromEntries(kube.caches().map((c) => [c.path, c.resourceVersion]));
    expect(sim.breakWatches()).toBe(5);
    sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await settle();
    expect(reachable(await kube.snapshot([frigate, hass], clock)).workloads.hass).toMatchObject({ readyReplicas: 0 });
    expect(lists()).toEqual([]);
    // Each cache watched again from exactly where it was.
    expect(Object.fromEntries(watches().map((r) => [r.path, r.query.resourceVersion]))).toEqual(before);
  });

  it('relist on 410 Gone and see what changed meanwhile', async () => {
    expect(sim.expireWatches()).toBe(5);
    sim.setNodeReady('node-b', 'Unknown');
    await settle();
    expect(reachable(await kube.snapshot([frigate, hass], clock)).nodes['node-b']).toMatchObject({ ready: 'Unknown' });
    expect(lists().sort()).toEqual([
      '/api/v1/namespaces/home/pods',
      '/api/v1/namespaces/nvr/pods',
      '/api/v1/nodes',
      '/apis/apps/v1/namespaces/home/deployments',
      '/apis/apps/v1/namespaces/nvr/deployments',
    ]);
  });

  it('relist when a resumed watch is answered with 410 (the history moved on while they were away)', async () => {
    sim.setApiDown(true);
    await expect.poll(() => kube.caches().every((c) => !c.inSync)).toBe(true);
    sim.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, false);
    sim.expireWatches();
    sim.setApiDown(false);
    await settle();
    expect(reachable(await kube.snapshot([frigate, hass], clock)).workloads.frigate).toMatchObject({ readyReplicas: 0 });
    expect(lists()).toContain('/api/v1/namespaces/nvr/pods');
  });

  it('make the targets of a cache out of sync unknown, with the HTTP status, and only those', async () => {
    sim.failPath('/api/v1/namespaces/home/pods', 403);
    sim.breakWatches();
    await expect.poll(() => kube.caches().find((c) => c.path === '/api/v1/namespaces/home/pods')?.error?.status).toBe(403);
    const snap = reachable(await kube.snapshot([frigate, hass], clock));
    // client-node's Watch reports a refused watch by its status line (it does not read the body).
    expect(snap.unknownTargets).toEqual({ hass: 'Pod in home: HTTP 403: Forbidden' });
    expect(Object.keys(snap.workloads)).toEqual(['frigate']);
    expect(snap.sources).toContainEqual({ kind: 'Pod', namespace: 'home', inSync: false, error: { message: 'HTTP 403: Forbidden', status: 403 }, targets: ['hass'] });
    expect(snap.sources).toContainEqual({ kind: 'Node', namespace: null, inSync: true, error: null, targets: ['frigate', 'hass'] });

    sim.failPath('/api/v1/namespaces/home/pods', null);
    await settle();
    const healed = reachable(await kube.snapshot([frigate, hass], clock));
    expect(healed.unknownTargets).toBeUndefined();
    expect(healed.workloads.hass).toMatchObject({ readyReplicas: 1 });
  });

  it('report nodes refused by RBAC as an API that answered: every target unknown, the nodes source with its 403', async () => {
    sim.setRbac([{ verbs: ['get', 'list', 'watch'], resources: ['pods'] }, { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments'] }]);
    sim.breakWatches();
    await expect.poll(() => kube.caches().find((c) => c.path === '/api/v1/nodes')?.error?.status).toBe(403);
    const snap = reachable(await kube.snapshot([frigate, hass], clock));
    expect(snap.nodes).toEqual({});
    expect(snap.workloads).toEqual({});
    expect(Object.keys(snap.unknownTargets ?? {})).toEqual(['frigate', 'hass']);
    expect(snap.unknownTargets?.frigate).toMatch(/^nodes: HTTP 403/);
    expect(snap.sources).toContainEqual(expect.objectContaining({ kind: 'Node', namespace: null, inSync: false, error: expect.objectContaining({ status: 403 }), targets: ['frigate', 'hass'] }));

    // An API that does not answer at all is still `reachable: false`.
    sim.setRbac(null);
    sim.setApiDown(true);
    await expect.poll(() => kube.caches().find((c) => c.path === '/api/v1/nodes')?.error?.status === null).toBe(true);
    expect((await kube.snapshot([frigate, hass], clock)).reachable).toBe(false);
  });

  it('report a node readiness change and a workload losing its last ready pod, not other changes', async () => {
    const reasons: string[] = [];
    kube.onChange((reason) => reasons.push(reason));
    sim.cordon('node-b');
    sim.addNode('node-c');
    await settle();
    expect(reasons).toEqual([]);
    sim.setNodeReady('node-a', 'False');
    await expect.poll(() => reasons).toContain('node node-a Ready True → False');
    expect(reasons).toContain('frigate: no pod is ready any more');
    sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await expect.poll(() => reasons).toContain('hass: no pod is ready any more');
  });

  it('report a pod that is not ready saying a new reason, once per reason, not the kubelet retrying it', async () => {
    const reasons: string[] = [];
    kube.onChange((reason) => reasons.push(reason));
    // Not ready, no reason the API gives: the probe's business.
    sim.failPods('home', { kind: 'Deployment', name: 'hass' }, { kind: 'readiness' });
    await expect.poll(() => reasons).toContain('hass: no pod is ready any more');
    reasons.length = 0;
    // Now the kubelet says why: OOM-killed again and again.
    sim.failPods('home', { kind: 'Deployment', name: 'hass' }, { kind: 'crashLoop', exitCode: 137, reason: 'OOMKilled' });
    clock += 5 * 60_000;
    sim.pods('home');
    await expect.poll(() => reasons.filter((r) => r.startsWith('hass: pod '))).toEqual([expect.stringMatching(/^hass: pod hass-[a-z0-9-]+ says oomKilled in main$/)]);
    // More restarts, the same reason: no news.
    clock += 5 * 60_000;
    sim.pods('home');
    await settle();
    expect(reasons.filter((r) => r.startsWith('hass: pod '))).toHaveLength(1);
  });
});
