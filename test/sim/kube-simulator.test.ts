import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinationV1Api, KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
let clock = T0;
let sim: KubeSimulator;
let url: string;

beforeEach(async () => {
  clock = T0;
  sim = createKubeSimulator({ now: () => clock, rolloutDelayMs: 2000 });
  url = (await sim.start()).url;
});
afterEach(async () => {
  await sim.stop();
});

async function get(path: string): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url + path);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function send(method: string, path: string, body: unknown, contentType = 'application/json') {
  const res = await fetch(url + path, { method, headers: { 'content-type': contentType }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

const restartBody = (at: string) => ({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } });

describe('kube simulator: shapes', () => {
  it('lists nodes as a NodeList with conditions, cordon flag and resourceVersion', async () => {
    sim.addNode('k3s-1');
    sim.addNode('k3s-2', { ready: 'False', unschedulable: true });
    const { status, headers, body } = await get('/api/v1/nodes');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json');
    expect(body).toMatchObject({ apiVersion: 'v1', kind: 'NodeList', metadata: { resourceVersion: expect.any(String) } });
    expect(body.items.map((n: any) => n.metadata.name)).toEqual(['k3s-1', 'k3s-2']);
    const [one, two] = body.items;
    expect(one).toMatchObject({ apiVersion: 'v1', kind: 'Node', metadata: { labels: { 'kubernetes.io/hostname': 'k3s-1' } } });
    expect(one.status.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', lastTransitionTime: new Date(T0).toISOString() });
    expect(two.spec.unschedulable).toBe(true);
    expect(two.status.conditions[0].status).toBe('False');
  });

  it('moves lastTransitionTime only when the Ready condition changes', async () => {
    sim.addNode('k3s-1');
    clock += 5000;
    sim.setNodeReady('k3s-1', 'True');
    expect((await get('/api/v1/nodes/k3s-1')).body.status.conditions[0].lastTransitionTime).toBe(new Date(T0).toISOString());
    sim.setNodeReady('k3s-1', 'Unknown');
    const cond = (await get('/api/v1/nodes/k3s-1')).body.status.conditions[0];
    expect(cond).toMatchObject({ status: 'Unknown', lastTransitionTime: new Date(T0 + 5000).toISOString() });
  });

  it('serves a Deployment with consistent status and its pods bound to the pinned node', async () => {
    sim.addNode('k3s-1');
    sim.addNode('k3s-2');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-2', replicas: 2 });
    const dep = (await get('/apis/apps/v1/namespaces/nvr/deployments/frigate')).body;
    expect(dep).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'frigate', namespace: 'nvr', generation: 1, resourceVersion: expect.any(String) },
      spec: { replicas: 2, selector: { matchLabels: { app: 'frigate' } }, template: { spec: { nodeSelector: { 'kubernetes.io/hostname': 'k3s-2' } } } },
      status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
    });
    const pods = (await get('/api/v1/namespaces/nvr/pods')).body;
    expect(pods.kind).toBe('PodList');
    expect(pods.items).toHaveLength(2);
    for (const p of pods.items) {
      expect(p).toMatchObject({ kind: 'Pod', spec: { nodeName: 'k3s-2' }, status: { phase: 'Running' } });
      expect(p.status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    }
    const list = (await get('/apis/apps/v1/namespaces/nvr/deployments')).body;
    expect(list).toMatchObject({ apiVersion: 'apps/v1', kind: 'DeploymentList', items: [{ metadata: { name: 'frigate' } }] });
  });

  it('runs a DaemonSet pod on each Ready, uncordoned node and reports its counters', async () => {
    sim.addNode('a');
    sim.addNode('b', { unschedulable: true });
    sim.addNode('c', { ready: 'False' });
    sim.addNode('d');
    sim.addDaemonSet({ namespace: 'kube-system', name: 'agent' });
    const ds = (await get('/apis/apps/v1/namespaces/kube-system/daemonsets/agent')).body;
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 });
    expect(sim.pods('kube-system').map((p) => p.node).sort()).toEqual(['a', 'd']);
  });

  it('serves StatefulSets with ordinal pod names', async () => {
    sim.addNode('a');
    sim.addStatefulSet({ namespace: 'db', name: 'pg', replicas: 2 });
    const sts = (await get('/apis/apps/v1/namespaces/db/statefulsets/pg')).body;
    expect(sts).toMatchObject({ kind: 'StatefulSet', status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2 } });
    expect(sts.status.currentRevision).toBe(sts.status.updateRevision);
    expect(sim.pods('db').map((p) => p.name)).toEqual(['pg-0', 'pg-1']);
  });

  it('filters pods by label selector: =, ==, != and comma-joined', async () => {
    sim.addNode('a');
    sim.addPod({ namespace: 'x', name: 'p1', labels: { app: 'web', tier: 'front' } });
    sim.addPod({ namespace: 'x', name: 'p2', labels: { app: 'web', tier: 'back' } });
    sim.addPod({ namespace: 'x', name: 'p3', labels: { app: 'db' } });
    sim.addPod({ namespace: 'y', name: 'p4', labels: { app: 'web' } });
    const names = async (path: string) => (await get(path)).body.items.map((p: any) => p.metadata.name);
    expect(await names('/api/v1/namespaces/x/pods?labelSelector=app%3Dweb')).toEqual(['p1', 'p2']);
    expect(await names('/api/v1/namespaces/x/pods?labelSelector=app%3D%3Dweb')).toEqual(['p1', 'p2']);
    expect(await names('/api/v1/namespaces/x/pods?labelSelector=app%21%3Dweb')).toEqual(['p3']);
    expect(await names('/api/v1/namespaces/x/pods?labelSelector=app%3Dweb%2Ctier%21%3Dfront')).toEqual(['p2']);
    expect(await names('/api/v1/pods?labelSelector=app%3Dweb')).toEqual(['p1', 'p2', 'p4']);
  });
});

describe('kube simulator: errors', () => {
  it('answers missing objects and unknown paths with a NotFound Status', async () => {
    const node = await get('/api/v1/nodes/nope');
    expect(node.status).toBe(404);
    expect(node.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'nodes "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', kind: 'nodes' },
      code: 404,
    });
    const dep = await get('/apis/apps/v1/namespaces/nvr/deployments/frigate');
    expect(dep.body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404, message: 'deployments.apps "frigate" not found' });
    expect((await get('/apis/batch/v1/jobs')).body).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });

  it('rejects patch types other than strategic-merge and merge patch with 415', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate' });
    const res = await send('PATCH', '/apis/apps/v1/namespaces/nvr/deployments/frigate', [{ op: 'add', path: '/x', value: 1 }], 'application/json-patch+json');
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'UnsupportedMediaType', code: 415 });
    const merge = await send('PATCH', '/apis/apps/v1/namespaces/nvr/deployments/frigate', { metadata: { labels: { team: 'nvr' } } }, 'application/merge-patch+json');
    expect(merge.status).toBe(200);
    expect(merge.body.metadata.labels.team).toBe('nvr');
    expect(merge.body.metadata.generation).toBe(1); // metadata changes do not start a rollout
  });
});

describe('kube simulator: leases', () => {
  const path = '/apis/coordination.k8s.io/v1/namespaces/stormguard/leases';
  const lease = (rv?: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'stormguard', ...(rv ? { resourceVersion: rv } : {}) },
    spec: { holderIdentity: 'a', leaseDurationSeconds: 30 },
  });

  it('creates once, then answers AlreadyExists', async () => {
    const created = await send('POST', path, lease());
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: 'stormguard', namespace: 'stormguard', resourceVersion: expect.any(String) });
    const again = await send('POST', path, lease());
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', code: 409 });
  });

  it('updates with the current resourceVersion and refuses a stale one with Conflict', async () => {
    const created = await send('POST', path, lease());
    const rv = created.body.metadata.resourceVersion as string;
    const updated = await send('PUT', `${path}/stormguard`, lease(rv));
    expect(updated.status).toBe(200);
    expect(updated.body.metadata.resourceVersion).not.toBe(rv);
    const stale = await send('PUT', `${path}/stormguard`, lease(rv));
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    expect((await get(`${path}/other`)).body).toMatchObject({ reason: 'NotFound', code: 404 });
  });

  it('works with the real client: a stale replace is an ApiException 409', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig());
    const api = kc.makeApiClient(CoordinationV1Api);
    const body: V1Lease = { metadata: { name: 'leader' }, spec: { holderIdentity: 'a' } };
    const first = await api.createNamespacedLease({ namespace: 'stormguard', body });
    const read = await api.readNamespacedLease({ name: 'leader', namespace: 'stormguard' });
    expect(read.spec?.holderIdentity).toBe('a');
    await api.replaceNamespacedLease({ name: 'leader', namespace: 'stormguard', body: { ...read, spec: { holderIdentity: 'b' } } });
    await expect(
      api.replaceNamespacedLease({ name: 'leader', namespace: 'stormguard', body: { ...first, spec: { holderIdentity: 'c' } } }),
    ).rejects.toMatchObject({ code: 409 });
  });
});

describe('kube simulator: rollouts on the injected clock', () => {
  it('bumps the generation at once and replaces the pods rolloutDelayMs later', async () => {
    sim.addNode('k3s-1');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-1' });
    const before = sim.pods('nvr').map((p) => p.name);
    const res = await send('PATCH', '/apis/apps/v1/namespaces/nvr/deployments/frigate', restartBody('2025-01-01T00:00:00Z'), 'application/strategic-merge-patch+json');
    expect(res.status).toBe(200);
    expect(res.body.metadata.generation).toBe(2);
    expect(res.body.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBe('2025-01-01T00:00:00Z');
    expect(res.body.status.updatedReplicas).toBeUndefined(); // omitted when 0, like the real API

    clock += 1999;
    expect(sim.pods('nvr').map((p) => p.name)).toEqual(before);
    clock += 1;
    const after = sim.pods('nvr');
    expect(after).toHaveLength(1);
    expect(after[0]!.name).not.toBe(before[0]);
    expect(after[0]).toMatchObject({ node: 'k3s-1', phase: 'Running', ready: true });
    const dep = (await get('/apis/apps/v1/namespaces/nvr/deployments/frigate')).body;
    expect(dep.status).toMatchObject({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 });
    expect(dep.status.conditions).toContainEqual(expect.objectContaining({ type: 'Progressing', reason: 'NewReplicaSetAvailable' }));
    expect(sim.restarts).toEqual([
      { kind: 'Deployment', namespace: 'nvr', name: 'frigate', at: T0, contentType: 'application/strategic-merge-patch+json', body: restartBody('2025-01-01T00:00:00Z') },
    ]);
  });

  it('leaves the new pod unscheduled while its pinned node is NotReady, and binds it when the node returns', async () => {
    sim.addNode('k3s-2');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-2' });
    sim.setNodeReady('k3s-2', 'False');
    await send('PATCH', '/apis/apps/v1/namespaces/nvr/deployments/frigate', restartBody('x'), 'application/strategic-merge-patch+json');
    clock += 2000;
    const pending = (await get('/api/v1/namespaces/nvr/pods')).body.items[0];
    expect(pending.spec.nodeName).toBeUndefined();
    expect(pending.spec.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'k3s-2' });
    expect(pending.status.phase).toBe('Pending');
    const dep = (await get('/apis/apps/v1/namespaces/nvr/deployments/frigate')).body;
    expect(dep.status.availableReplicas).toBeUndefined();
    expect(dep.status.conditions).toContainEqual(expect.objectContaining({ type: 'Progressing', reason: 'ReplicaSetUpdated' }));

    sim.setNodeReady('k3s-2', 'True');
    expect(sim.pods('nvr')[0]).toMatchObject({ node: 'k3s-2', phase: 'Running', ready: true });
  });

  it('keeps unhealthy pods unhealthy after a restart unless healAfterRestart was set', async () => {
    sim.addNode('a');
    sim.addDeployment({ namespace: 'ns', name: 'stuck' });
    sim.addDeployment({ namespace: 'ns', name: 'fixable' });
    sim.setPodsReady('ns', { kind: 'Deployment', name: 'stuck' }, false);
    sim.setPodsReady('ns', { kind: 'Deployment', name: 'fixable' }, false, { healAfterRestart: true });
    expect(sim.pods('ns').every((p) => !p.ready)).toBe(true);
    for (const name of ['stuck', 'fixable']) {
      await send('PATCH', `/apis/apps/v1/namespaces/ns/deployments/${name}`, restartBody('x'), 'application/strategic-merge-patch+json');
    }
    clock += 2000;
    const ready = Object.fromEntries(sim.pods('ns').map((p) => [p.name.split('-')[0], p.ready]));
    expect(ready).toEqual({ stuck: false, fixable: true });
  });

  it('records a pod delete and replaces a controlled bare pod under a new name after the delay', async () => {
    sim.addNode('a');
    sim.addPod({ namespace: 'x', name: 'web', labels: { app: 'web' }, node: 'a' });
    const res = await fetch(`${url}/api/v1/namespaces/x/pods/web`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(sim.pods('x')).toEqual([]);
    expect(sim.restarts).toMatchObject([{ kind: 'Pod', namespace: 'x', name: 'web', at: T0 }]);
    clock += 2000;
    const [pod] = sim.pods('x');
    expect(pod?.name).toMatch(/^web-/);
    expect(pod).toMatchObject({ node: 'a', ready: true });
    expect((await fetch(`${url}/api/v1/namespaces/x/pods/web`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('kube simulator: faults and request log', () => {
  it('fails the next n requests with the given status', async () => {
    sim.failNext(2, 503);
    const a = await get('/api/v1/nodes');
    expect(a.status).toBe(503);
    expect(a.body).toMatchObject({ kind: 'Status', status: 'Failure', code: 503 });
    expect((await get('/api/v1/nodes')).status).toBe(503);
    expect((await get('/api/v1/nodes')).status).toBe(200);
  });

  it('drops connections while the API is down', async () => {
    sim.setApiDown(true);
    await expect(fetch(`${url}/api/v1/nodes`)).rejects.toThrow();
    sim.setApiDown(false);
    expect((await get('/api/v1/nodes')).status).toBe(200);
  });

  it('delays answers by the configured latency', async () => {
    sim.setLatency(60);
    const started = performance.now();
    await get('/api/v1/nodes');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('logs method, path, query and content type of every request', async () => {
    await get('/api/v1/namespaces/x/pods?labelSelector=app%3Dweb');
    await send('POST', '/apis/coordination.k8s.io/v1/namespaces/x/leases', { metadata: { name: 'l' } });
    expect(sim.requests).toEqual([
      { method: 'GET', path: '/api/v1/namespaces/x/pods', query: { labelSelector: 'app=web' }, contentType: null, at: T0 },
      { method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/x/leases', query: {}, contentType: 'application/json', at: T0 },
    ]);
    expect(sim.countRequests({ method: 'GET' })).toBe(1);
    expect(sim.countRequests({ pathPrefix: '/apis/coordination.k8s.io' })).toBe(1);
    sim.resetRequests();
    expect(sim.requests).toEqual([]);
  });

  it('produces a kubeconfig the real client accepts', () => {
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig());
    expect(kc.getCurrentContext()).toBe('sim');
    expect(kc.getCurrentCluster()).toMatchObject({ name: 'sim', server: url, skipTLSVerify: true });
    expect(kc.getCurrentUser()?.token).toBe('sim-token');
  });
});
