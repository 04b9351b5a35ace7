/**
 * `kubernetes.watchScope` with the real client-node against the Kubernetes simulator: cluster-wide
 * caches (one per kind whatever the namespaces), what they keep, the reaction they feed, how `auto`
 * decides from the cluster's own RBAC answer, and what a refused cluster-wide cache reads like.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TargetConfig, WatchScopeSetting, WorkloadRef } from '../../src/config/types.js';
import { createKubeAdapter, type KubeAdapter } from '../../src/adapters/kube/index.js';
import { CLUSTER_WATCH_ACCESS_FIX, setupProblems } from '../../src/core/setup.js';
import type { ClusterSnapshot } from '../../src/core/types.js';
import { createKubeSimulator, SIM_RESYNC_BACKOFF, waitForCaches, type KubeSimulator, type SimRbacRule } from '../../src/sim/kube/index.js';
import { target as configuredTarget } from '../core/fixtures.js';

const T0 = Date.parse('2025-03-01T12:00:00Z');
let sim: KubeSimulator;
let dir: string;
let simUrl: string;
const adapters: KubeAdapter[] = [];
let logLines: Record<string, unknown>[];

function target(name: string, namespace: string, workload: WorkloadRef): TargetConfig {
  return configuredTarget(name, { namespace, workload });
}

function reachable(snap: ClusterSnapshot) {
  if (!snap.reachable) throw new Error(`expected a reachable snapshot, got: ${snap.error}`);
  return snap;
}

/** A Deployment and a StatefulSet target in each of `n` namespaces (`ns-0` …), on node-a. */
function spread(n: number): TargetConfig[] {
  const targets: TargetConfig[] = [];
  for (let i = 0; i < n; i++) {
    sim.addDeployment({ namespace: `ns-${i}`, name: `web-${i}`, node: 'node-a' });
    sim.addStatefulSet({ namespace: `ns-${i}`, name: `db-${i}`, node: 'node-a' });
    targets.push(target(`web-${i}`, `ns-${i}`, { kind: 'Deployment', name: `web-${i}` }), target(`db-${i}`, `ns-${i}`, { kind: 'StatefulSet', name: `db-${i}` }));
  }
  return targets;
}

function adapter(watchScope: WatchScopeSetting): KubeAdapter {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const kube = createKubeAdapter({ kubeconfig: join(dir, 'kubeconfig'), env: {}, backoff: SIM_RESYNC_BACKOFF, watchScope, logger: pino({}, sink), warningEvents: false });
  adapters.push(kube);
  return kube;
}

const scopeLogs = () => logLines.filter((l) => typeof l.watchScope === 'string');
const lists = () => sim.requests.filter((r) => r.method === 'GET' && r.query.watch === undefined).map((r) => r.path);

// What deploy/ grants for targets in ns-0 and ns-1 (namespaced Roles), and what rbac-watch-cluster.yaml adds.
const NAMESPACED: SimRbacRule[] = [
  { verbs: ['get', 'list', 'watch'], resources: ['nodes'] },
  { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['ns-0', 'ns-1'] },
  { verbs: ['get', 'list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], namespaces: ['ns-0', 'ns-1'] },
];
const CLUSTER_WIDE: SimRbacRule[] = [...NAMESPACED, { verbs: ['get', 'list', 'watch'], resources: ['pods'] }, { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'] }];

beforeEach(async () => {
  logLines = [];
  sim = createKubeSimulator({ now: () => T0, rolloutDelayMs: 2000 });
  sim.addNode('node-a');
  ({ url: simUrl } = await sim.start());
  dir = mkdtempSync(join(tmpdir(), 'stormguard-scope-'));
  await sim.writeKubeconfig(join(dir, 'kubeconfig'));
});
afterEach(async () => {
  for (const kube of adapters.splice(0)) await kube.close();
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('watch scope cluster', () => {
  it.each([2, 12])('keeps 1 + 1 + kinds caches for targets in %i namespaces, each listed and watched once, and snapshots make no request', async (n) => {
    const targets = spread(n);
    const kube = adapter('cluster');
    const first = reachable(await kube.snapshot(targets, T0));
    expect(first.unknownTargets).toBeUndefined();
    await waitForCaches(sim, () => kube.caches());
    // Nodes, pods, deployments, statefulsets: 4 watches whether the targets span 2 namespaces or 12.
    await expect.poll(() => sim.watches().length).toBe(4);
    expect(kube.caches().map((c) => c.path).sort()).toEqual(['/api/v1/nodes', '/api/v1/pods', '/apis/apps/v1/deployments', '/apis/apps/v1/statefulsets']);
    expect(sim.watches().map((w) => w.namespace)).toEqual([null, null, null, null]);
    expect(lists().sort()).toEqual(['/api/v1/nodes', '/api/v1/pods', '/apis/apps/v1/deployments', '/apis/apps/v1/statefulsets']);
    expect(Object.keys(first.workloads)).toHaveLength(2 * n);
    expect(first.workloads[`db-${n - 1}`]).toMatchObject({ found: true, readyReplicas: 1, relevantNodes: ['node-a'] });

    sim.resetRequests();
    for (let i = 0; i < 3; i++) reachable(await kube.snapshot(targets, T0));
    expect(sim.requests).toEqual([]);
  });

  it('keeps only the objects of the targets’ namespaces, however many the cluster-wide watch brings', async () => {
    const targets = spread(2);
    sim.addDeployment({ namespace: 'elsewhere', name: 'other', node: 'node-a', replicas: 3 });
    const kube = adapter('cluster');
    reachable(await kube.snapshot(targets, T0));
    await waitForCaches(sim, () => kube.caches());
    const held = (path: string) => kube.caches().find((c) => c.path === path)!.objects;
    expect(held('/apis/apps/v1/deployments')).toBe(2);
    expect(held('/api/v1/pods')).toBe(4);
    expect(sim.pods().length).toBe(7);

    // Changes elsewhere arrive on the watch and are dropped; a change in a watched namespace is kept.
    sim.addPod({ namespace: 'elsewhere', name: 'stray', labels: { app: 'stray' }, node: 'node-a' });
    sim.addPod({ namespace: 'ns-1', name: 'helper', labels: { app: 'helper' }, node: 'node-a' });
    await waitForCaches(sim, () => kube.caches());
    expect(held('/api/v1/pods')).toBe(5);
    const snap = reachable(await kube.snapshot([...targets, target('helper', 'ns-1', { kind: 'Pods', selector: 'app=helper' })], T0));
    expect(snap.workloads.helper).toMatchObject({ pods: [{ name: 'helper', ready: true }] });
  });

  it('reports a watched workload losing its last ready pod, per target namespace, and nothing for other namespaces', async () => {
    const targets = spread(3);
    sim.addDeployment({ namespace: 'elsewhere', name: 'web-1', node: 'node-a' });
    const kube = adapter('cluster');
    const reasons: string[] = [];
    kube.onChange((reason) => reasons.push(reason));
    reachable(await kube.snapshot(targets, T0));
    await waitForCaches(sim, () => kube.caches());

    // Same name and labels as web-1, another namespace: not ours.
    sim.setPodsReady('elsewhere', { kind: 'Deployment', name: 'web-1' }, false);
    sim.setPodsReady('ns-1', { kind: 'Deployment', name: 'web-1' }, false);
    await expect.poll(() => reasons).toEqual(['web-1: no pod is ready any more']);
    await waitForCaches(sim, () => kube.caches());
    const snap = reachable(await kube.snapshot(targets, T0));
    expect(snap.workloads['web-1']).toMatchObject({ readyReplicas: 0 });
    expect(snap.workloads['web-2']).toMatchObject({ readyReplicas: 1 });
  });

  it('starts a cache that lists a namespace the targets did not have before, and stops the one it replaces', async () => {
    const targets = spread(3);
    const kube = adapter('cluster');
    reachable(await kube.snapshot(targets.slice(0, 4), T0));
    await waitForCaches(sim, () => kube.caches());
    const snap = reachable(await kube.snapshot(targets, T0));
    expect(snap.workloads['db-2']).toMatchObject({ found: true, readyReplicas: 1 });
    await expect.poll(() => sim.watches().length).toBe(4);
    expect(kube.caches()).toHaveLength(4);
  });

  it('makes the targets of a refused cluster-wide cache unknown, with one setup incident naming the ClusterRole or watchScope: namespaces', async () => {
    const targets = spread(2);
    sim.setRbac(NAMESPACED);
    const kube = adapter('cluster');
    const snap = reachable(await kube.snapshot(targets, T0));
    expect(snap.workloads).toEqual({});
    expect(snap.unknownTargets?.['web-0']).toMatch(/^Pod \(all namespaces\): HTTP 403: .*cannot list resource "pods" in API group "" at the cluster scope/);
    expect(Object.keys(snap.unknownTargets ?? {}).sort()).toEqual(['db-0', 'db-1', 'web-0', 'web-1']);
    const problems = setupProblems(snap, targets, new Map());
    expect(problems).toEqual([
      {
        subject: expect.stringContaining('forbidden/cluster'),
        cause: `stormguard may not list/watch deployments, pods and statefulsets in all namespaces — ${CLUSTER_WATCH_ACCESS_FIX}`,
        targets: ['db-0', 'db-1', 'web-0', 'web-1'],
      },
    ]);
    // The nodes are still known: a refused pod cache is not a refused node cache.
    expect(Object.keys(snap.nodes)).toEqual(['node-a']);
  });
});

describe('watch scope auto', () => {
  it('watches cluster-wide when the targets span namespaces and the cluster-wide reads are allowed', async () => {
    const targets = spread(2);
    sim.setRbac(CLUSTER_WIDE);
    const kube = adapter('auto');
    // A cycle and a command at once: one decision, asked once (list and watch of pods, deployments, statefulsets).
    const [snap] = await Promise.all([kube.snapshot(targets, T0), kube.snapshot(targets, T0)]);
    reachable(snap);
    expect(sim.requests.filter((r) => r.path.endsWith('/selfsubjectaccessreviews'))).toHaveLength(6);
    expect(kube.watchScope()).toMatchObject({ scope: 'cluster' });
    expect(kube.caches().map((c) => c.path).sort()).toEqual(['/api/v1/nodes', '/api/v1/pods', '/apis/apps/v1/deployments', '/apis/apps/v1/statefulsets']);
    expect(scopeLogs()).toEqual([expect.objectContaining({ level: 30, watchScope: 'cluster', setting: 'auto', namespaces: 2, reason: expect.stringContaining('allowed') })]);
  });

  it('watches per namespace when only namespaced Roles are granted, which the API would refuse cluster-wide', async () => {
    const targets = spread(2);
    sim.setRbac(NAMESPACED);
    const kube = adapter('auto');
    const snap = reachable(await kube.snapshot(targets, T0));
    expect(snap.unknownTargets).toBeUndefined();
    expect(kube.watchScope()).toMatchObject({ scope: 'namespaces', reason: expect.stringContaining('not allowed') });
    expect(kube.caches().map((c) => c.path).sort()).toEqual([
      '/api/v1/namespaces/ns-0/pods',
      '/api/v1/namespaces/ns-1/pods',
      '/api/v1/nodes',
      '/apis/apps/v1/namespaces/ns-0/deployments',
      '/apis/apps/v1/namespaces/ns-0/statefulsets',
      '/apis/apps/v1/namespaces/ns-1/deployments',
      '/apis/apps/v1/namespaces/ns-1/statefulsets',
    ]);
    // What auto was told is what the API does: the cluster-wide list is refused.
    const response = await fetch(`${simUrl}/api/v1/pods`);
    expect(response.status).toBe(403);
  });

  it('decides once per set of targets, again when they change, and stays per namespace for one namespace', async () => {
    const targets = spread(2);
    const kube = adapter('auto');
    reachable(await kube.snapshot(targets.slice(0, 2), T0));
    expect(kube.watchScope()).toMatchObject({ scope: 'namespaces', reason: 'the targets live in one namespace' });
    reachable(await kube.snapshot(targets.slice(0, 2), T0));
    reachable(await kube.snapshot(targets, T0));
    expect(kube.watchScope()).toMatchObject({ scope: 'cluster' });
    reachable(await kube.snapshot(targets, T0));
    expect(scopeLogs().map((l) => l.watchScope)).toEqual(['namespaces', 'cluster']);
    // The per-namespace caches of the first decision stopped: only the cluster-wide ones watch.
    await waitForCaches(sim, () => kube.caches());
    await expect.poll(() => sim.watches().length).toBe(4);
  });

  it('falls back to per-namespace caches, and says why, when the access review cannot be asked', async () => {
    const targets = spread(2);
    sim.failPath('/apis/authorization.k8s.io', 500);
    const kube = adapter('auto');
    reachable(await kube.snapshot(targets, T0));
    expect(kube.watchScope()).toMatchObject({ scope: 'namespaces', reason: expect.stringMatching(/^could not ask whether cluster-wide list\/watch is allowed: HTTP 500/) });
    expect(scopeLogs()).toHaveLength(1);
  });
});
