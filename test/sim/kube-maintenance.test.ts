import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { createKubeSimulator, KURED, type KubeSimulator } from '../../src/sim/kube/index.js';
import { kubectlPath, kubectlUnavailableReason } from '../helpers/kubectl.js';

// Planned maintenance in the Kubernetes simulator (issue 23): a drain through the Eviction API,
// kured's lock on its DaemonSet, and system-upgrade-controller Plans.

const T0 = Date.parse('2026-12-07T02:00:00Z');
let clock = T0;
let sim: KubeSimulator;
let url: string;
let kc: KubeConfig;

beforeEach(async () => {
  clock = T0;
  sim = createKubeSimulator({ now: () => clock, rolloutDelayMs: 2000, terminationMs: 5000 });
  url = (await sim.start()).url;
  kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
});
afterEach(async () => {
  await sim.stop();
});

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path);
  return { status: res.status, body: await res.json() };
}

async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const eviction = (ns: string, name: string) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } });
const condition = (pod: V1Pod, type: string) => pod.status?.conditions?.find((c) => c.type === type);

describe('kube simulator: eviction and drain', () => {
  beforeEach(() => {
    sim.addNode('node-a');
    sim.addNode('node-b');
  });

  it('an eviction adds DisruptionTarget=True/EvictionByEvictionAPI, then deletes gracefully; the ReplicaSet reschedules on a Ready node', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'frigate' });
    const core = kc.makeApiClient(CoreV1Api);
    const [before] = sim.pods('nvr');
    expect(before).toMatchObject({ ready: true });
    sim.cordon(before!.node!);

    const answer = await post(`/api/v1/namespaces/nvr/pods/${before!.name}/eviction`, eviction('nvr', before!.name));
    expect(answer).toEqual({ status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } });

    const evicted = await core.readNamespacedPod({ namespace: 'nvr', name: before!.name });
    expect(condition(evicted, 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
    expect(evicted.metadata?.deletionTimestamp?.toISOString()).toBe(new Date(T0).toISOString());
    expect(condition(evicted, 'Ready')?.status).toBe('False');
    // The ReplicaSet counts a terminating pod as gone: its replacement is already on the other node.
    const replacement = sim.pods('nvr').find((p) => p.name !== before!.name)!;
    expect(replacement).toMatchObject({ node: before!.node === 'node-a' ? 'node-b' : 'node-a', ready: true });
    expect(sim.pods('nvr').find((p) => p.name === before!.name)).toMatchObject({ terminating: true });
    expect((sim.workload('Deployment', 'nvr', 'frigate') as any).status).toMatchObject({ replicas: 1, readyReplicas: 1 });

    clock += 5000;
    expect(sim.pods('nvr').map((p) => p.name)).toEqual([replacement.name]);
    expect((await get(`/api/v1/namespaces/nvr/pods/${before!.name}`)).status).toBe(404);
  });

  it('a replacement with no Ready schedulable node stays Pending with PodScheduled=False/Unschedulable', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    const result = sim.drainNode('node-a');
    expect(result.evicted).toHaveLength(1);
    const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'nvr' })).items;
    const pending = pods.find((p) => p.metadata?.deletionTimestamp === undefined)!;
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.spec?.nodeName).toBeUndefined();
    expect(condition(pending, 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(condition(pending, 'PodScheduled')?.message).toContain('node(s) were unschedulable');

    // Uncordoned, the scheduler binds it.
    sim.cordon('node-a', false);
    expect(sim.pods('nvr').find((p) => p.name === pending.metadata!.name)).toMatchObject({ node: 'node-a', phase: 'Running' });
  });

  it('a pod evicted from a node that then goes NotReady stays Terminating until the node is back', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    const [old] = sim.pods('nvr');
    sim.drainNode('node-a');
    sim.setNodeReady('node-a', 'Unknown');
    clock += 60_000;
    expect(sim.pods('nvr').find((p) => p.name === old!.name)).toMatchObject({ terminating: true });
    sim.setNodeReady('node-a', 'True');
    expect(sim.pods('nvr').some((p) => p.name === old!.name)).toBe(false);
  });

  it('a StatefulSet pod comes back under its ordinal name only once the evicted one is gone', () => {
    sim.addStatefulSet({ namespace: 'home', name: 'mqtt' });
    const [old] = sim.pods('home');
    sim.evictPod('home', old!.name);
    expect(sim.pods('home')).toEqual([expect.objectContaining({ name: 'mqtt-0', uid: old!.uid, terminating: true })]);
    clock += 5000;
    const [next] = sim.pods('home');
    expect(next).toMatchObject({ name: 'mqtt-0', ready: true });
    expect(next!.uid).not.toBe(old!.uid);
  });

  it('refuses what the API server refuses: a body that is not an Eviction, a name mismatch, a missing pod', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'frigate' });
    const [pod] = sim.pods('nvr');
    expect((await post(`/api/v1/namespaces/nvr/pods/${pod!.name}/eviction`, { kind: 'Pod' })).status).toBe(400);
    const mismatch = await post(`/api/v1/namespaces/nvr/pods/${pod!.name}/eviction`, eviction('nvr', 'other'));
    expect(mismatch).toMatchObject({ status: 400, body: { message: 'name in URL does not match name in Eviction object' } });
    expect((await post('/api/v1/namespaces/nvr/pods/nope/eviction', eviction('nvr', 'nope'))).status).toBe(404);
    expect(sim.pods('nvr')).toEqual([expect.objectContaining({ name: pod!.name, ready: true })]);
    expect(sim.pods('nvr')[0]!.terminating).toBeUndefined();
  });

  it('the real client evicts through policy/v1; RBAC needs `create pods/eviction`', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'frigate' });
    const [pod] = sim.pods('nvr');
    const policy = kc.makeApiClient(CoreV1Api);
    sim.setRbac([{ verbs: ['get', 'list', 'watch', 'delete'], resources: ['pods'] }]);
    const refused = await policy.createNamespacedPodEviction({ namespace: 'nvr', name: pod!.name, body: eviction('nvr', pod!.name) }).catch((e: { code: number; body: string }) => e);
    expect((refused as { code: number }).code).toBe(403);
    expect(JSON.parse((refused as { body: string }).body).message).toContain('cannot create resource "pods/eviction" in API group "" in the namespace "nvr"');
    expect(sim.pods('nvr')[0]!.terminating).toBeUndefined();

    sim.setRbac([{ verbs: ['create'], resources: ['pods/eviction'], namespaces: ['nvr'] }]);
    await policy.createNamespacedPodEviction({ namespace: 'nvr', name: pod!.name, body: eviction('nvr', pod!.name) });
    expect(sim.pods('nvr').find((p) => p.name === pod!.name)).toMatchObject({ terminating: true });
  });

  it('cordon and annotations by PATCH of the node (kubectl cordon sends a strategic merge patch)', async () => {
    const res = await fetch(`${url}/api/v1/nodes/node-a`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({ spec: { unschedulable: true }, metadata: { annotations: { [KURED.rebootAnnotation]: '2026-12-07T02:00:00Z' } } }),
    });
    expect(res.status).toBe(200);
    const node = await kc.makeApiClient(CoreV1Api).readNode({ name: 'node-a' });
    expect(node.spec?.unschedulable).toBe(true);
    expect(node.metadata?.annotations).toEqual({ [KURED.rebootAnnotation]: '2026-12-07T02:00:00Z' });
    expect(node.spec?.taints).toEqual([expect.objectContaining({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })]);
    // Uncordon: the two-way patch of `true` → unset is a null.
    await fetch(`${url}/api/v1/nodes/node-a`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { unschedulable: null } }) });
    expect((await get('/api/v1/nodes/node-a')).body.spec.unschedulable).toBeUndefined();
    const jsonPatch = await fetch(`${url}/api/v1/nodes/node-a`, { method: 'PATCH', headers: { 'content-type': 'application/json-patch+json' }, body: '[]' });
    expect(jsonPatch.status).toBe(415);
  });

  it('lists pods by spec.nodeName (what kubectl drain asks) and refuses unknown field labels', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    sim.addDeployment({ namespace: 'home', name: 'hass', node: 'node-b' });
    const onA = (await get('/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a')).body.items.map((p: any) => p.metadata.namespace);
    expect(onA).toEqual(['nvr']);
    expect((await get('/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-c')).body.items).toEqual([]);
    expect((await get('/api/v1/pods?fieldSelector=status.podIP%3D1')).status).toBe(400);
  });
});

describe('kube simulator: kured lock', () => {
  beforeEach(() => {
    sim.addNode('node-a');
    sim.addNode('node-b');
    sim.addDaemonSet({ namespace: KURED.namespace, name: KURED.daemonSet });
  });

  const lockOf = async () => {
    const ds = await kc.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ namespace: 'kube-system', name: 'kured' });
    const raw = ds.metadata?.annotations?.['weave.works/kured-node-lock'];
    return raw === undefined ? undefined : JSON.parse(raw);
  };

  it('single-owner form: {nodeID, metadata, created, TTL} as kured marshals LockAnnotationValue', async () => {
    sim.cordon('node-a');
    expect(sim.takeKuredLock('node-a', { ttlMs: 30 * 60_000 })).toBe(true);
    expect(await lockOf()).toEqual({ nodeID: 'node-a', metadata: { unschedulable: true }, created: new Date(T0).toISOString(), TTL: 1_800_000_000_000 });
    sim.releaseKuredLock('node-b');
    expect((await lockOf())?.nodeID).toBe('node-a');
    sim.releaseKuredLock('node-a');
    expect(await lockOf()).toBeUndefined();
  });

  it('multi-owner form: {maxOwners, locks: [...]}, full at maxOwners, entries released one by one', async () => {
    sim.addNode('node-c');
    expect(sim.takeKuredLock('node-a', { maxOwners: 2 })).toBe(true);
    clock += 1000;
    expect(sim.takeKuredLock('node-b', { maxOwners: 2 })).toBe(true);
    expect(sim.takeKuredLock('node-c', { maxOwners: 2 })).toBe(false);
    expect(await lockOf()).toEqual({
      maxOwners: 2,
      locks: [
        { nodeID: 'node-a', metadata: { unschedulable: false }, created: new Date(T0).toISOString(), TTL: 0 },
        { nodeID: 'node-b', metadata: { unschedulable: false }, created: new Date(T0 + 1000).toISOString(), TTL: 0 },
      ],
    });
    sim.releaseKuredLock('node-a');
    expect((await lockOf()).locks.map((l: any) => l.nodeID)).toEqual(['node-b']);
  });

  it('the lock lives on the DaemonSet a watch by metadata.name sees change', async () => {
    const list = (await get('/apis/apps/v1/namespaces/kube-system/daemonsets?fieldSelector=metadata.name%3Dkured')).body;
    const ac = new AbortController();
    const res = await fetch(`${url}/apis/apps/v1/namespaces/kube-system/daemonsets?watch=true&fieldSelector=metadata.name%3Dkured&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
    const reader = res.body!.getReader();
    sim.takeKuredLock('node-b');
    let text = '';
    while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    const event = JSON.parse(text.split('\n')[0]!);
    expect(event.type).toBe('MODIFIED');
    expect(JSON.parse(event.object.metadata.annotations['weave.works/kured-node-lock']).nodeID).toBe('node-b');
  });

  it('the node annotation weave.works/kured-reboot-in-progress is set and removed', async () => {
    sim.setNodeAnnotation('node-a', KURED.rebootAnnotation, '2026-12-07T02:00:00Z');
    expect((await get('/api/v1/nodes/node-a')).body.metadata.annotations).toEqual({ 'weave.works/kured-reboot-in-progress': '2026-12-07T02:00:00Z' });
    sim.setNodeAnnotation('node-a', KURED.rebootAnnotation, null);
    expect((await get('/api/v1/nodes/node-a')).body.metadata.annotations).toBeUndefined();
  });
});

describe('kube simulator: system-upgrade-controller Plans', () => {
  it('without the CRD the group is absent from discovery and every path is a 404', async () => {
    expect((await get('/apis')).body.groups.map((g: any) => g.name)).not.toContain('upgrade.cattle.io');
    expect((await get('/apis/upgrade.cattle.io/v1')).status).toBe(404);
    expect((await get('/apis/upgrade.cattle.io/v1/plans')).status).toBe(404);
    expect((await get('/apis/upgrade.cattle.io/v1/plans?watch=true')).status).toBe(404);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const err = await custom.listClusterCustomObject({ group: 'upgrade.cattle.io', version: 'v1', plural: 'plans' }).catch((e: { code: number }) => e);
    expect((err as { code: number }).code).toBe(404);
  });

  it('with the CRD: discoverable, listed, read and watched; status.applying names the nodes', async () => {
    sim.addNode('node-a');
    sim.addPlan({ name: 'server-plan', applying: ['node-a'] });
    expect((await get('/apis')).body.groups.map((g: any) => g.name)).toContain('upgrade.cattle.io');
    expect((await get('/apis/upgrade.cattle.io')).body).toMatchObject({ kind: 'APIGroup', preferredVersion: { groupVersion: 'upgrade.cattle.io/v1' } });
    expect((await get('/apis/upgrade.cattle.io/v1')).body.resources.map((r: any) => r.name)).toEqual(['plans', 'plans/status']);

    const custom = kc.makeApiClient(CustomObjectsApi);
    const list = (await custom.listClusterCustomObject({ group: 'upgrade.cattle.io', version: 'v1', plural: 'plans' })) as any;
    expect(list).toMatchObject({ apiVersion: 'upgrade.cattle.io/v1', kind: 'PlanList' });
    expect(list.items).toEqual([expect.objectContaining({ kind: 'Plan', metadata: expect.objectContaining({ name: 'server-plan', namespace: 'system-upgrade' }), status: expect.objectContaining({ applying: ['node-a'] }) })]);
    const one = (await custom.getNamespacedCustomObject({ group: 'upgrade.cattle.io', version: 'v1', namespace: 'system-upgrade', plural: 'plans', name: 'server-plan' })) as any;
    expect(one.status.applying).toEqual(['node-a']);

    const ac = new AbortController();
    const res = await fetch(`${url}/apis/upgrade.cattle.io/v1/namespaces/system-upgrade/plans?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { signal: ac.signal });
    const reader = res.body!.getReader();
    sim.setPlanApplying('system-upgrade', 'server-plan', []);
    let text = '';
    while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    const event = JSON.parse(text.split('\n')[0]!);
    expect(event).toMatchObject({ type: 'MODIFIED', object: { kind: 'Plan', metadata: { name: 'server-plan' } } });
    // `applying` is omitempty in PlanStatus: an empty list is absent.
    expect(event.object.status.applying).toBeUndefined();
  });

  it('reading Plans needs RBAC in upgrade.cattle.io (403 before 404, as the authorizer runs first)', async () => {
    sim.addPlan({ name: 'agent-plan' });
    sim.setRbac([{ verbs: ['get', 'list', 'watch'], resources: ['nodes'] }]);
    const refused = await get('/apis/upgrade.cattle.io/v1/plans');
    expect(refused).toMatchObject({ status: 403, body: { message: expect.stringContaining('cannot list resource "plans" in API group "upgrade.cattle.io"') } });
    sim.setRbac([{ verbs: ['list'], apiGroups: ['upgrade.cattle.io'], resources: ['plans'] }]);
    expect((await get('/apis/upgrade.cattle.io/v1/plans')).status).toBe(200);
  });
});

describe.skipIf(kubectlUnavailableReason() !== undefined)('kube simulator: the real kubectl', () => {
  let dir: string;
  beforeEach(async () => {
    // kubectl polls in real seconds: this simulator runs on the real clock.
    await sim.stop();
    sim = createKubeSimulator({ terminationMs: 200 });
    url = (await sim.start()).url;
    dir = mkdtempSync(join(tmpdir(), 'stormguard-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig());
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (...args: string[]) => (await promisify(execFile)(kubectlPath(), ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 60_000 })).stdout;

  it('`kubectl drain node-a --ignore-daemonsets --delete-emptydir-data` cordons, evicts and waits until the pods are gone', async () => {
    sim.addNode('node-a');
    sim.addNode('node-b');
    sim.addDaemonSet({ namespace: 'kube-system', name: 'kured' });
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    sim.addDeployment({ namespace: 'home', name: 'hass' });
    const before = sim.pods().filter((p) => p.node === 'node-a' && p.namespace !== 'kube-system');

    const out = await run('drain', 'node-a', '--ignore-daemonsets', '--delete-emptydir-data');
    expect(out).toContain('node/node-a cordoned');
    for (const p of before) expect(out).toContain(`evicting pod ${p.namespace}/${p.name}`);
    expect(out).toContain('node/node-a drained');
    expect(sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/eviction')).length).toBe(before.length);
    // Gone, DaemonSet pod left, pinned replacement Pending, unpinned one rescheduled on node-b.
    const after = sim.pods();
    for (const p of before) expect(after.some((q) => q.uid === p.uid)).toBe(false);
    expect(after.filter((p) => p.namespace === 'kube-system' && p.node === 'node-a')).toHaveLength(1);
    expect(after.find((p) => p.namespace === 'nvr')).toMatchObject({ node: null, phase: 'Pending' });
    expect(after.find((p) => p.namespace === 'home')).toMatchObject({ node: 'node-b', ready: true });

    expect(await run('uncordon', 'node-a')).toContain('node/node-a uncordoned');
    expect(sim.pods('nvr')[0]).toMatchObject({ node: 'node-a', ready: true });
  }, 60_000);

  it('`kubectl get plans -A` finds the group by discovery and lists the Plans; without the CRD it says the type is unknown', async () => {
    const missing = await run('get', 'plans', '-A').catch((e: { stderr: string }) => e.stderr);
    expect(missing).toContain(`the server doesn't have a resource type "plans"`);
    sim.addNode('node-a');
    sim.addPlan({ name: 'server-plan', applying: ['node-a'] });
    sim.addPlan({ name: 'agent-plan' });
    const out = await run('get', 'plans', '-A');
    expect(out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+IMAGE\s+CHANNEL\s+VERSION\s+COMPLETE\s+MESSAGE\s+AGE$/);
    expect(out).toMatch(/system-upgrade\s+agent-plan\s+rancher\/k3s-upgrade\s+v1\.31\.5\+k3s1\s+\d+s\n/);
    expect(out).toMatch(/system-upgrade\s+server-plan/);
    // Applying is a priority-10 column of the CRD: only -o wide shows it.
    const wide = await run('get', 'plans', '-A', '-o', 'wide');
    expect(wide.split('\n')[0]).toContain(' APPLYING ');
    expect(wide).toMatch(/server-plan\s+rancher\/k3s-upgrade\s+v1\.31\.5\+k3s1\s+\["node-a"\]\s+\d+s/);
    const json = JSON.parse(await run('get', 'plans.upgrade.cattle.io', '-n', 'system-upgrade', 'server-plan', '-o', 'json'));
    expect(json.status.applying).toEqual(['node-a']);
  }, 60_000);
});
