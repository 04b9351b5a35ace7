import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetConfig, WorkloadRef } from '../../src/config/types.js';
import { target as configuredTarget } from '../core/fixtures.js';
import type { ClusterSnapshot } from '../../src/core/types.js';
import { createKubeAdapter, type KubeAdapter } from '../../src/adapters/kube/index.js';
import { createKubeSimulator, waitForCaches, type KubeSimulator } from '../../src/sim/kube/index.js';

const T0 = Date.parse('2025-03-01T12:00:00Z');
let clock = T0;
let sim: KubeSimulator;
let dir: string;
let kubeconfigPath: string;
let kube: KubeAdapter;

function target(name: string, namespace: string, workload: WorkloadRef): TargetConfig {
  return configuredTarget(name, { namespace, workload });
}

const frigate = target('frigate', 'nvr', { kind: 'Deployment', name: 'frigate' });

function reachable(snap: ClusterSnapshot) {
  if (!snap.reachable) throw new Error(`expected a reachable snapshot, got: ${snap.error}`);
  return snap;
}

beforeEach(async () => {
  clock = T0;
  sim = createKubeSimulator({ now: () => clock, rolloutDelayMs: 2000 });
  await sim.start();
  dir = mkdtempSync(join(tmpdir(), 'stormguard-kube-'));
  kubeconfigPath = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfigPath);
  kube = createKubeAdapter({ kubeconfig: kubeconfigPath, env: {} });
});
afterEach(async () => {
  await kube.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('kube adapter: configuration', () => {
  it('reads $KUBECONFIG from the given environment and applies a context', async () => {
    sim.addNode('a');
    const adapter = createKubeAdapter({ env: { KUBECONFIG: kubeconfigPath }, context: 'sim' });
    expect(Object.keys(reachable(await adapter.snapshot([], T0)).nodes)).toEqual(['a']);
  });

  it('names a context that does not exist', () => {
    expect(() => createKubeAdapter({ kubeconfig: kubeconfigPath, context: 'homelab' })).toThrow(/context "homelab" not found/);
  });

  it('fails clearly without any kubeconfig', () => {
    expect(() => createKubeAdapter({ env: { HOME: dir } })).toThrow(/no kubeconfig found/);
  });
});

describe('kube adapter: nodes', () => {
  it('reports Ready True/False/Unknown with the transition time, and cordons', async () => {
    sim.addNode('up');
    sim.addNode('down');
    sim.addNode('lost');
    sim.addNode('cordoned', { unschedulable: true });
    clock += 30_000;
    sim.setNodeReady('down', 'False');
    sim.setNodeReady('lost', 'Unknown');
    const snap = reachable(await kube.snapshot([], clock));
    expect(snap.observedAt).toBe(clock);
    expect(snap.nodes).toEqual({
      up: { name: 'up', ready: 'True', readySince: T0, unschedulable: false },
      down: { name: 'down', ready: 'False', readySince: T0 + 30_000, unschedulable: false },
      lost: { name: 'lost', ready: 'Unknown', readySince: T0 + 30_000, unschedulable: false },
      cordoned: { name: 'cordoned', ready: 'True', readySince: T0, unschedulable: true },
    });
  });
});

describe('kube adapter: workloads', () => {
  it('resolves pods, relevant nodes and replica counts of a Deployment', async () => {
    sim.addNode('k3s-1');
    sim.addNode('k3s-2');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-2', replicas: 2 });
    sim.addDeployment({ namespace: 'nvr', name: 'other', node: 'k3s-1' });
    const w = reachable(await kube.snapshot([frigate], T0)).workloads.frigate!;
    expect(w).toMatchObject({ target: 'frigate', found: true, relevantNodes: ['k3s-2'], readyReplicas: 2, desiredReplicas: 2, rolloutInProgress: false });
    expect(w.pods).toHaveLength(2);
    expect(w.pods.every((p) => p.node === 'k3s-2' && p.ready && p.phase === 'Running')).toBe(true);
  });

  it('keeps bound pods on a NotReady node as relevant and not ready', async () => {
    sim.addNode('k3s-2');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-2' });
    sim.setNodeReady('k3s-2', 'False');
    const w = reachable(await kube.snapshot([frigate], T0)).workloads.frigate!;
    expect(w).toMatchObject({ relevantNodes: ['k3s-2'], readyReplicas: 0, desiredReplicas: 1 });
    expect(w.pods[0]).toMatchObject({ node: 'k3s-2', ready: false });
  });

  it('falls back to the pinned node for a Pending pod that has no node yet', async () => {
    sim.addNode('k3s-2');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-2' });
    sim.setNodeReady('k3s-2', 'False');
    await kube.restart(frigate, clock);
    clock += 2000;
    const w = reachable(await kube.snapshot([frigate], clock)).workloads.frigate!;
    // Unbound, no container started yet, and the scheduler's reason (the NotReady node's taint).
    expect(w.pods).toEqual([
      { name: expect.any(String), node: null, phase: 'Pending', ready: false, containers: [], unschedulable: expect.stringContaining('untolerated taint {node.kubernetes.io/not-ready: }') },
    ]);
    expect(w.relevantNodes).toEqual(['k3s-2']);
    expect(w.rolloutInProgress).toBe(true);
  });

  it('reports a missing workload as not found', async () => {
    const w = reachable(await kube.snapshot([frigate], T0)).workloads.frigate!;
    expect(w).toEqual({ target: 'frigate', found: false, pods: [], relevantNodes: [], readyReplicas: 0, desiredReplicas: 0, rolloutInProgress: false });
  });

  it('resolves StatefulSet, DaemonSet and Pods targets', async () => {
    sim.addNode('a');
    sim.addNode('b');
    sim.addStatefulSet({ namespace: 'db', name: 'pg', replicas: 2 });
    sim.addDaemonSet({ namespace: 'kube-system', name: 'agent' });
    sim.addPod({ namespace: 'home', name: 'ha-1', labels: { app: 'ha' }, node: 'b' });
    sim.addPod({ namespace: 'home', name: 'zz', labels: { app: 'other' }, node: 'a' });
    sim.setPodsReady('home', 'app=ha', false);
    const targets = [
      target('pg', 'db', { kind: 'StatefulSet', name: 'pg' }),
      target('agent', 'kube-system', { kind: 'DaemonSet', name: 'agent' }),
      target('ha', 'home', { kind: 'Pods', selector: 'app=ha' }),
    ];
    const { workloads } = reachable(await kube.snapshot(targets, T0));
    expect(workloads.pg).toMatchObject({ found: true, readyReplicas: 2, desiredReplicas: 2, relevantNodes: ['a', 'b'], rolloutInProgress: false });
    expect(workloads.agent).toMatchObject({ found: true, readyReplicas: 2, desiredReplicas: 2, relevantNodes: ['a', 'b'], rolloutInProgress: false });
    expect(workloads.ha).toEqual({
      target: 'ha',
      found: true,
      pods: [
        {
          name: 'ha-1',
          node: 'b',
          phase: 'Running',
          ready: false,
          containers: [{ name: 'main', init: false, image: 'registry.example/stormguard-sim:latest', memoryLimit: null, restartCount: 0, waiting: null, lastTerminated: null }],
          unschedulable: null,
        },
      ],
      relevantNodes: ['b'],
      readyReplicas: 0,
      desiredReplicas: 1,
      rolloutInProgress: false,
    });
  });
});

describe('kube adapter: restart', () => {
  it('sends the kubectl rollout restart patch as a strategic merge patch', async () => {
    sim.addNode('k3s-1');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-1' });
    await kube.restart(frigate, T0 + 1234);
    expect(sim.restarts).toEqual([
      {
        kind: 'Deployment',
        namespace: 'nvr',
        name: 'frigate',
        at: T0,
        contentType: 'application/strategic-merge-patch+json',
        body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-03-01T12:00:01Z' } } } } },
      },
    ]);
    await waitForCaches(sim, () => kube.caches());
    expect(reachable(await kube.snapshot([frigate], T0)).workloads.frigate!.rolloutInProgress).toBe(true);
    clock += 2000;
    await waitForCaches(sim, () => kube.caches());
    const after = reachable(await kube.snapshot([frigate], clock)).workloads.frigate!;
    expect(after).toMatchObject({ rolloutInProgress: false, readyReplicas: 1 });
  });

  it('patches StatefulSets and DaemonSets the same way', async () => {
    sim.addNode('a');
    sim.addStatefulSet({ namespace: 'db', name: 'pg' });
    sim.addDaemonSet({ namespace: 'kube-system', name: 'agent' });
    await kube.restart(target('pg', 'db', { kind: 'StatefulSet', name: 'pg' }), T0);
    await kube.restart(target('agent', 'kube-system', { kind: 'DaemonSet', name: 'agent' }), T0);
    expect(sim.restarts.map((r) => [r.kind, r.contentType])).toEqual([
      ['StatefulSet', 'application/strategic-merge-patch+json'],
      ['DaemonSet', 'application/strategic-merge-patch+json'],
    ]);
  });

  it('deletes the matching pods of a Pods target', async () => {
    sim.addNode('a');
    sim.addPod({ namespace: 'home', name: 'ha-1', labels: { app: 'ha' } });
    sim.addPod({ namespace: 'home', name: 'ha-2', labels: { app: 'ha' } });
    sim.addPod({ namespace: 'home', name: 'other', labels: { app: 'other' } });
    await kube.restart(target('ha', 'home', { kind: 'Pods', selector: 'app=ha' }), T0);
    expect(sim.restarts.map((r) => [r.kind, r.name])).toEqual([
      ['Pod', 'ha-1'],
      ['Pod', 'ha-2'],
    ]);
    expect(sim.countRequests({ method: 'PATCH' })).toBe(0);
  });

  it('throws a wrapped error naming the target when the API refuses', async () => {
    sim.addNode('a');
    await expect(kube.restart(frigate, T0)).rejects.toThrow('kube: restart of nvr/Deployment/frigate failed: HTTP 404: deployments.apps "frigate" not found');
    sim.setApiDown(true);
    const err = await kube.restart(target('ha', 'home', { kind: 'Pods', selector: 'app=ha' }), T0).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/^kube: restart of home\/Pods\/app=ha failed: /);
    expect(err.cause).toBeDefined();
  });
});

describe('kube adapter: failures', () => {
  it('turns an unreachable API into reachable:false', async () => {
    sim.addNode('a');
    sim.setApiDown(true);
    const snap = await kube.snapshot([frigate], T0);
    expect(snap).toEqual({ reachable: false, observedAt: T0, error: expect.any(String) });
    if (!snap.reachable) expect(snap.error.length).toBeLessThan(120);
  });

  it('turns a 5xx into reachable:false, never half a snapshot', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate' });
    sim.failNext(1, 500);
    expect(await kube.snapshot([frigate], T0)).toEqual({ reachable: false, observedAt: T0, error: 'HTTP 500: injected failure' });
    expect((await kube.snapshot([frigate], T0)).reachable).toBe(true);
  });

  it('times out a hung API', async () => {
    const slow = createKubeAdapter({ kubeconfig: kubeconfigPath, requestTimeoutMs: 100 });
    sim.setLatency(1000);
    try {
      expect(await slow.snapshot([frigate], T0)).toEqual({ reachable: false, observedAt: T0, error: 'timeout after 100ms' });
    } finally {
      await slow.close();
    }
  });
});

describe('kube adapter: request budget', () => {
  it('lists and watches once per cache, for 100 targets on 50 nodes as for 1, and reads the caches afterwards', async () => {
    for (let i = 0; i < 50; i++) sim.addNode(`node-${i}`);
    const targets: TargetConfig[] = [];
    for (let i = 0; i < 100; i++) {
      sim.addDeployment({ namespace: 'apps', name: `svc-${i}`, node: `node-${i % 50}` });
      targets.push(target(`svc-${i}`, 'apps', { kind: 'Deployment', name: `svc-${i}` }));
    }
    const oneTarget = createKubeAdapter({ kubeconfig: kubeconfigPath, env: {} });
    try {
      sim.resetRequests();
      const one = reachable(await oneTarget.snapshot(targets.slice(0, 1), T0));
      await waitForCaches(sim, () => oneTarget.caches());
      // Nodes, and the namespace's pods, Warning events and Deployments.
      await expect.poll(() => sim.watches().length).toBe(4);
      const forOne = sim.requests.map((r) => `${r.path}${r.query.watch ? ' watch' : ''}`).sort();
      expect(Object.keys(one.workloads)).toHaveLength(1);
      expect(forOne).toEqual([
        '/api/v1/namespaces/apps/events',
        '/api/v1/namespaces/apps/events watch',
        '/api/v1/namespaces/apps/pods',
        '/api/v1/namespaces/apps/pods watch',
        '/api/v1/nodes',
        '/api/v1/nodes watch',
        '/apis/apps/v1/namespaces/apps/deployments',
        '/apis/apps/v1/namespaces/apps/deployments watch',
      ]);

      sim.resetRequests();
      const hundred = reachable(await kube.snapshot(targets, T0));
      await waitForCaches(sim, () => kube.caches());
      await expect.poll(() => sim.watches().length).toBe(8);
      expect(sim.requests.map((r) => `${r.path}${r.query.watch ? ' watch' : ''}`).sort()).toEqual(forOne);
      expect(Object.keys(hundred.workloads)).toHaveLength(100);
      expect(Object.keys(hundred.nodes)).toHaveLength(50);
      expect(hundred.workloads['svc-73']).toMatchObject({ relevantNodes: ['node-23'], readyReplicas: 1 });

      // Every later snapshot reads the caches: no request at all.
      sim.resetRequests();
      for (let i = 0; i < 5; i++) reachable(await kube.snapshot(targets, T0));
      expect(sim.requests).toEqual([]);
    } finally {
      await oneTarget.close();
    }
  });

  it('watches with bookmarks and a server-side timeout, from the resourceVersion of its list', async () => {
    sim.addNode('a');
    await kube.snapshot([], T0);
    await expect.poll(() => sim.requests.filter((r) => r.query.watch).length).toBe(1);
    const list = sim.requests.find((r) => r.path === '/api/v1/nodes' && !r.query.watch)!;
    const watch = sim.requests.find((r) => r.path === '/api/v1/nodes' && r.query.watch)!;
    // A page of client-go's default size: a list that fits is one request.
    expect(list.query).toEqual({ limit: '500' });
    expect(watch.query).toMatchObject({ watch: 'true', allowWatchBookmarks: 'true', resourceVersion: kube.caches()[0]!.resourceVersion });
    expect(Number(watch.query.timeoutSeconds)).toBeGreaterThanOrEqual(1800);
    expect(Number(watch.query.timeoutSeconds)).toBeLessThan(3600);
  });

  it('grows with namespaces and kinds, not with targets, when watching per namespace', async () => {
    await kube.close();
    kube = createKubeAdapter({ kubeconfig: kubeconfigPath, env: {}, watchScope: 'namespaces', warningEvents: false });
    sim.addNode('a');
    const targets = [
      target('a1', 'ns-a', { kind: 'Deployment', name: 'a1' }),
      target('a2', 'ns-a', { kind: 'Deployment', name: 'a2' }),
      target('a3', 'ns-a', { kind: 'StatefulSet', name: 'a3' }),
      target('b1', 'ns-b', { kind: 'Pods', selector: 'app=b1' }),
      target('b2', 'ns-b', { kind: 'Pods', selector: 'app=b2' }),
    ];
    await kube.snapshot(targets, T0);
    // 1 node cache + 2 pod caches + deployments(ns-a) + statefulsets(ns-a), each listed once
    expect(sim.requests.filter((r) => !r.query.watch).map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /api/v1/namespaces/ns-a/pods',
      'GET /api/v1/namespaces/ns-b/pods',
      'GET /api/v1/nodes',
      'GET /apis/apps/v1/namespaces/ns-a/deployments',
      'GET /apis/apps/v1/namespaces/ns-a/statefulsets',
    ]);
    expect(kube.caches().map((c) => `${c.kind} ${c.namespace ?? '-'}`).sort()).toEqual(['Deployment ns-a', 'Node -', 'Pod ns-a', 'Pod ns-b', 'StatefulSet ns-a']);
  });
});

describe('kube adapter: Warning events as evidence', () => {
  it('watches them with fieldSelector type=Warning beside the pods, and gives a target those of its pods, newest first', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'a' });
    sim.failPods('nvr', { kind: 'Deployment', name: 'frigate' }, { kind: 'mount', attach: true });
    reachable(await kube.snapshot([frigate], clock));
    await waitForCaches(sim, () => kube.caches());
    const eventRequests = sim.requests.filter((r) => r.path === '/api/v1/namespaces/nvr/events');
    expect(eventRequests.length).toBeGreaterThanOrEqual(2);
    for (const r of eventRequests) expect(r.query.fieldSelector).toBe('type=Warning');
    const events = reachable(await kube.snapshot([frigate], clock)).workloads.frigate!.events ?? [];
    expect(events.map((e) => e.reason)).toContain('FailedAttachVolume');
    expect(events.every((e) => e.object.startsWith('Pod/frigate-'))).toBe(true);
    expect([...events].sort((x, y) => y.lastSeen - x.lastSeen)).toEqual(events);
  });

  it('never makes a target unknown when RBAC refuses them: the evidence is lost, the health is not', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'a' });
    sim.setRbac([
      { verbs: ['get', 'list', 'watch'], resources: ['nodes'] },
      { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['nvr'] },
      { verbs: ['get', 'list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments'], namespaces: ['nvr'] },
    ]);
    const snap = reachable(await kube.snapshot([frigate], clock));
    expect(snap.unknownTargets).toBeUndefined();
    expect(snap.workloads.frigate).toMatchObject({ found: true, readyReplicas: 1 });
    await expect.poll(() => kube.caches().find((c) => c.path === '/api/v1/namespaces/nvr/events')?.error?.status).toBe(403);
  });
});
