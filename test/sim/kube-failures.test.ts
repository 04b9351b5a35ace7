/**
 * The Kubernetes simulator says why pods fail the way the real API does: container states and
 * `lastState`, `restartCount` growing under the kubelet's back-off, the scheduler's Unschedulable
 * condition, a rollout past its deadline, template changes — checked over HTTP, through
 * @kubernetes/client-node's typed objects, and against the API's own field definitions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1ContainerStatus, type V1Pod } from '@kubernetes/client-node';
import { createKubeSimulator, type KubeSimulator, type SimFailure } from '../../src/sim/kube/index.js';
import { apiShapeProblems } from './kube-api-shape.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
let clock = T0;
let sim: KubeSimulator;
let url: string;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeEach(async () => {
  clock = T0;
  sim = createKubeSimulator({ now: () => clock, rolloutDelayMs: 2000 });
  url = (await sim.start()).url;
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  sim.addNode('k3s-1');
  sim.addNode('k3s-2');
  sim.addNode('k3s-3');
  sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-2', containers: [{ name: 'frigate', image: 'ghcr.io/blakeblackshear/frigate:0.13', memoryLimit: '1Gi' }] });
});
afterEach(async () => {
  await sim.stop();
});

const FRIGATE = { kind: 'Deployment', name: 'frigate' } as const;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path);
  return { status: res.status, body: await res.json() };
}

async function pods(): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: 'nvr' })).items;
}

async function status(): Promise<V1ContainerStatus> {
  const [pod] = await pods();
  return pod!.status!.containerStatuses![0]!;
}

/** Every pod of nvr as raw JSON, checked against the API's definitions. */
async function expectApiShapes(): Promise<void> {
  const list = (await get('/api/v1/namespaces/nvr/pods')).body;
  for (const pod of list.items) expect(apiShapeProblems(pod)).toEqual([]);
  const events = (await get('/api/v1/namespaces/nvr/events')).body;
  for (const e of events.items) expect(apiShapeProblems(e)).toEqual([]);
}

describe('container statuses', () => {
  it('a healthy pod reports its container running, started and ready, with image, imageID and containerID', async () => {
    const [pod] = await pods();
    expect(pod!.status!.phase).toBe('Running');
    const s = pod!.status!.containerStatuses![0]!;
    expect(s).toMatchObject({ name: 'frigate', image: 'ghcr.io/blakeblackshear/frigate:0.13', ready: true, started: true, restartCount: 0 });
    expect(s.imageID).toMatch(/^ghcr\.io\/blakeblackshear\/frigate@sha256:[0-9a-f]{64}$/);
    expect(s.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(s.state!.running!.startedAt).toEqual(new Date(T0));
    expect(s.lastState).toEqual({});
    expect(pod!.spec!.containers[0]).toMatchObject({ name: 'frigate', image: 'ghcr.io/blakeblackshear/frigate:0.13', resources: { limits: { memory: '1Gi' } } });
    await expectApiShapes();
  });

  it('reports init containers as Completed, and a failing one keeps the pod Pending and Initialized=False', async () => {
    sim.addDeployment({
      namespace: 'home',
      name: 'hass',
      node: 'k3s-1',
      initContainers: [{ name: 'migrate', image: 'hass-migrate:1' }],
      containers: [{ name: 'hass', image: 'homeassistant/home-assistant:2025.1' }],
    });
    let pod = (await core.listNamespacedPod({ namespace: 'home' })).items[0]!;
    expect(pod.status!.initContainerStatuses![0]).toMatchObject({ name: 'migrate', ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(pod.status!.phase).toBe('Running');

    sim.failPods('home', { kind: 'Deployment', name: 'hass' }, { kind: 'crashLoop', exitCode: 1, init: true });
    clock += 20_000;
    pod = (await core.listNamespacedPod({ namespace: 'home' })).items[0]!;
    expect(pod.status!.phase).toBe('Pending');
    expect(pod.status!.initContainerStatuses![0]).toMatchObject({ name: 'migrate', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    expect(pod.status!.containerStatuses![0]).toMatchObject({ name: 'hass', ready: false, state: { waiting: { reason: 'PodInitializing' } } });
    expect(pod.status!.conditions!.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized' });
    const raw = (await get('/api/v1/namespaces/home/pods')).body.items[0];
    expect(apiShapeProblems(raw)).toEqual([]);
  });
});

describe('image pull failures', () => {
  it('alternates ErrImagePull and ImagePullBackOff with the kubelet back-off, Pending and not ready', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'imagePull' });
    let s = await status();
    expect(s.state!.waiting).toEqual({
      reason: 'ErrImagePull',
      message: 'rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/blakeblackshear/frigate:0.13": failed to resolve reference "ghcr.io/blakeblackshear/frigate:0.13": ghcr.io/blakeblackshear/frigate:0.13: not found',
    });
    expect(s).toMatchObject({ ready: false, started: false, restartCount: 0 });
    clock += 5_000;
    s = await status();
    expect(s.state!.waiting!.reason).toBe('ImagePullBackOff');
    expect(s.state!.waiting!.message).toMatch(/^Back-off pulling image "ghcr\.io\/blakeblackshear\/frigate:0\.13": ErrImagePull: rpc error/);
    // Pull attempts at 0, 10 s, 30 s: the third has just happened.
    clock = T0 + 30_500;
    expect((await status()).state!.waiting!.reason).toBe('ErrImagePull');
    const [pod] = await pods();
    expect(pod!.status!.phase).toBe('Pending');
    expect(pod!.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [frigate]' });
    await expectApiShapes();
  });

  it.each([
    ['InvalidImageName', /^Failed to apply default image tag/],
    ['ErrImageNeverPull', /is not present with pull policy of Never$/],
    ['ImagePullBackOff', /^Back-off pulling image/],
    ['ErrImagePull', /^rpc error/],
  ] as const)('holds a fixed reason %s with the kubelet message', async (reason, message) => {
    sim.failPods('nvr', FRIGATE, { kind: 'imagePull', reason });
    clock += 45_000;
    expect((await status()).state!.waiting).toEqual({ reason, message: expect.stringMatching(message) });
    await expectApiShapes();
  });

  it('survives a rollout restart and a pod delete — a bad template is what restarts cannot fix — until cleared', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'imagePull', reason: 'ImagePullBackOff' });
    const before = (await pods())[0]!.metadata!.name!;
    const patch = await fetch(`${url}/apis/apps/v1/namespaces/nvr/deployments/frigate`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/strategic-merge-patch+json' },
      body: JSON.stringify({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': iso(clock) } } } } }),
    });
    expect(patch.status).toBe(200);
    clock += 2_000;
    const after = await pods();
    expect(after.map((p) => p.metadata!.name)).not.toContain(before);
    expect(after[0]!.status!.containerStatuses![0]!.state!.waiting!.reason).toBe('ImagePullBackOff');

    await core.deleteNamespacedPod({ namespace: 'nvr', name: after[0]!.metadata!.name! });
    // The ReplicaSet replaces the deleted pod from the same template: it fails the same way.
    const recreated = (await pods()).filter((p) => p.metadata!.name!.startsWith('frigate-'));
    expect(recreated).toHaveLength(1);
    expect(recreated[0]!.metadata!.name).not.toBe(after[0]!.metadata!.name);
    expect(recreated[0]!.status!.containerStatuses![0]!.state!.waiting!.reason).toBe('ImagePullBackOff');
    sim.addPod({ namespace: 'nvr', name: 'bare', labels: { app: 'bare' }, node: 'k3s-1' });
    sim.failPods('nvr', 'app=bare', { kind: 'createConfig', message: 'secret "frigate-mqtt" not found' });
    await core.deleteNamespacedPod({ namespace: 'nvr', name: 'bare' });
    clock += 2_000;
    const replaced = (await pods()).find((p) => p.metadata!.name!.startsWith('bare-'))!;
    expect(replaced.status!.containerStatuses![0]!.state!.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'secret "frigate-mqtt" not found' });

    sim.clearPodFailure('nvr', FRIGATE);
    sim.clearPodFailure('nvr', 'app=bare');
    expect(sim.pods('nvr').every((p) => p.ready)).toBe(true);
  });
});

describe('pod DELETE of a workload pod', () => {
  it('the controller replaces it at once: a StatefulSet pod keeps its name with a new uid, crash-looping again from zero', async () => {
    sim.addStatefulSet({ namespace: 'nvr', name: 'mqtt', node: 'k3s-1', replicas: 2 });
    sim.failPods('nvr', { kind: 'StatefulSet', name: 'mqtt' }, { kind: 'crashLoop', exitCode: 1 });
    clock += 60_000;
    const before = sim.pods('nvr').find((p) => p.name === 'mqtt-1')!;
    await core.deleteNamespacedPod({ namespace: 'nvr', name: 'mqtt-1' });
    const after = (await pods()).find((p) => p.metadata!.name === 'mqtt-1')!;
    expect(after.metadata!.uid).not.toBe(before.uid);
    expect(after.status!.containerStatuses![0]).toMatchObject({ restartCount: 0, state: { running: {} } });
    expect(sim.pods('nvr').filter((p) => p.name.startsWith('mqtt-')).map((p) => p.name)).toEqual(['mqtt-0', 'mqtt-1']);
  });
});

describe('container creation failures', () => {
  it.each([
    [{ kind: 'createConfig', message: 'secret "frigate-mqtt" not found' }, 'CreateContainerConfigError'],
    [{ kind: 'createContainer', message: 'failed to reserve container name' }, 'CreateContainerError'],
    [{ kind: 'runContainer', message: 'failed to create containerd task: exec: "/init": permission denied' }, 'RunContainerError'],
  ] as [SimFailure, string][])('%o waits with reason %s and its message', async (failure, reason) => {
    sim.failPods('nvr', FRIGATE, failure);
    const s = await status();
    expect(s.state!.waiting).toEqual({ reason, message: (failure as { message: string }).message });
    expect(s.ready).toBe(false);
    expect((await pods())[0]!.status!.phase).toBe('Pending');
    await expectApiShapes();
  });
});

describe('CrashLoopBackOff', () => {
  it('restartCount grows with the clock under the back-off (10 s doubling, capped at 5 min), with lastState.terminated', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1, runsForMs: 1000 });
    // Runs start at 0 s, 1 s (immediate first restart), 12 s, 33 s, 74 s, 155 s, 316 s, 617 s, 918 s …
    const at = async (ms: number) => {
      clock = T0 + ms;
      return status();
    };
    let s = await at(500);
    expect(s).toMatchObject({ restartCount: 0, started: true, state: { running: { startedAt: new Date(T0) } } });
    s = await at(20_000);
    expect(s.restartCount).toBe(2);
    expect(s.state!.waiting).toEqual({ reason: 'CrashLoopBackOff', message: expect.stringMatching(/^back-off 20s restarting failed container=frigate pod=frigate-[a-z0-9]+-[a-z0-9]+_nvr\(/) });
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 1, reason: 'Error', startedAt: new Date(T0 + 12_000), finishedAt: new Date(T0 + 13_000) });
    expect((await pods())[0]!.status!.phase).toBe('Running');
    expect((await at(316_500)).restartCount).toBe(6);
    s = await at(700_000);
    expect(s.restartCount).toBe(7);
    expect(s.state!.waiting!.message).toMatch(/^back-off 5m0s /);
    // Capped: one restart per 5 min (+ the 1 s run) from now on.
    expect((await at(700_000 + 3 * 301_000)).restartCount).toBe(10);
    await expectApiShapes();
  });

  it('OOMKilled: exit code 137 and reason OOMKilled in lastState', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 137, reason: 'OOMKilled' });
    clock += 60_000;
    const s = await status();
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(s.state!.waiting!.reason).toBe('CrashLoopBackOff');
  });

  it('a watcher hears of each restart the clock brings, without any other change', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1 });
    const rv1 = sim.latestResourceVersion('/api/v1/namespaces/nvr/pods');
    clock += 15_000;
    const rv2 = sim.latestResourceVersion('/api/v1/namespaces/nvr/pods');
    expect(rv2).toBeGreaterThan(rv1);
    expect(sim.latestResourceVersion('/api/v1/namespaces/nvr/pods')).toBe(rv2);
  });
});

describe('Unschedulable', () => {
  it('leaves the pods Pending with no node and PodScheduled=False reason Unschedulable and the scheduler message', async () => {
    const message = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    sim.failPods('nvr', FRIGATE, { kind: 'unschedulable', message });
    const [pod] = await pods();
    expect(pod!.spec!.nodeName).toBeUndefined();
    expect(pod!.status!.phase).toBe('Pending');
    expect(pod!.status!.conditions).toEqual([{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: expect.any(Date) }]);
    expect(pod!.status!.containerStatuses).toBeUndefined();
    expect(sim.pods('nvr')[0]).toMatchObject({ node: null, ready: false });
    sim.clearPodFailure('nvr', FRIGATE);
    expect(sim.pods('nvr')[0]).toMatchObject({ node: 'k3s-2', ready: true });
    await expectApiShapes();
  });
});

describe('the model\'s own scheduling', () => {
  it('a new pod pinned to a NotReady node waits with the scheduler\'s reason per node', async () => {
    sim.setNodeReady('k3s-2', 'Unknown');
    sim.cordon('k3s-3');
    sim.setImage('nvr', 'Deployment', 'frigate', 'ghcr.io/blakeblackshear/frigate:0.14');
    clock += 2_000;
    const [pod] = await pods();
    expect(pod!.status!.conditions![0]).toMatchObject({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    });
  });

  it('renders the Recreate strategy it carries out: every pod is replaced at once', async () => {
    const d = await apps.readNamespacedDeployment({ namespace: 'nvr', name: 'frigate' });
    expect(d.spec!.strategy).toEqual({ type: 'Recreate' });
  });
});

describe('volume failures', () => {
  it('keeps containers in ContainerCreating, Pending', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'mount', attach: true });
    const [pod] = await pods();
    expect(pod!.status!.phase).toBe('Pending');
    expect(pod!.status!.containerStatuses![0]!.state).toEqual({ waiting: { reason: 'ContainerCreating' } });
    expect(pod!.status!.conditions!.map((c) => `${c.type}=${c.status}`)).toEqual(['PodScheduled=True', 'Initialized=True', 'ContainersReady=False', 'Ready=False']);
    await expectApiShapes();
  });
});

describe('template changes and the progress deadline', () => {
  it('setImage starts a new revision whose template shows the new image and memory limit', async () => {
    sim.setImage('nvr', 'Deployment', 'frigate', 'ghcr.io/blakeblackshear/frigate:0.14', { memoryLimit: '512Mi' });
    const d = await apps.readNamespacedDeployment({ namespace: 'nvr', name: 'frigate' });
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.spec!.template.spec!.containers[0]).toMatchObject({ image: 'ghcr.io/blakeblackshear/frigate:0.14', resources: { limits: { memory: '512Mi' } } });
    clock += 2_000;
    const [pod] = await pods();
    expect(pod!.spec!.containers[0]).toMatchObject({ image: 'ghcr.io/blakeblackshear/frigate:0.14', resources: { limits: { memory: '512Mi' } } });
    expect(pod!.status!.containerStatuses![0]!.image).toBe('ghcr.io/blakeblackshear/frigate:0.14');
    const raw = (await get('/apis/apps/v1/namespaces/nvr/deployments/frigate')).body;
    expect(apiShapeProblems(raw)).toEqual([]);
  });

  it('a strategic-merge PATCH of the template containers (kubectl set image / set resources) is a template change', async () => {
    const patch = (body: unknown, type = 'application/strategic-merge-patch+json') =>
      fetch(`${url}/apis/apps/v1/namespaces/nvr/deployments/frigate`, { method: 'PATCH', headers: { 'content-type': type }, body: JSON.stringify(body) });
    expect((await patch({ spec: { template: { spec: { containers: [{ name: 'frigate', resources: { limits: { memory: '2Gi' } } }] } } } })).status).toBe(200);
    let d = await apps.readNamespacedDeployment({ namespace: 'nvr', name: 'frigate' });
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.spec!.template.spec!.containers).toMatchObject([{ name: 'frigate', image: 'ghcr.io/blakeblackshear/frigate:0.13', resources: { limits: { memory: '2Gi' } } }]);
    // The same values again change nothing: no new revision.
    await patch({ spec: { template: { spec: { containers: [{ name: 'frigate', image: 'ghcr.io/blakeblackshear/frigate:0.13' }] } } } });
    d = await apps.readNamespacedDeployment({ namespace: 'nvr', name: 'frigate' });
    expect(d.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('2');
    clock += 2_000;
    expect((await pods())[0]!.spec!.containers[0]!.resources).toEqual({ limits: { memory: '2Gi' } });
  });

  it('a rollout whose pods never become ready gets Progressing=False ProgressDeadlineExceeded after progressDeadlineSeconds', async () => {
    sim.addDeployment({ namespace: 'nvr', name: 'go2rtc', node: 'k3s-1', progressDeadlineSeconds: 60 });
    clock += 1_000;
    sim.failPods('nvr', { kind: 'Deployment', name: 'go2rtc' }, { kind: 'imagePull' });
    sim.setImage('nvr', 'Deployment', 'go2rtc', 'alexxit/go2rtc:9.9.9');
    // The controller's last progress: the new pods, created rolloutDelayMs later.
    clock += 2_000;
    const startedAt = clock;
    expect(sim.pods('nvr').filter((p) => p.name.startsWith('go2rtc-'))).toHaveLength(1);
    const progressing = async () => (await apps.readNamespacedDeployment({ namespace: 'nvr', name: 'go2rtc' })).status!.conditions!.find((c) => c.type === 'Progressing')!;
    clock += 59_000;
    expect(await progressing()).toMatchObject({ status: 'True', reason: 'ReplicaSetUpdated' });
    clock += 2_000;
    const c = await progressing();
    expect(c).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: expect.stringMatching(/^ReplicaSet "go2rtc-[a-z0-9]{10}" has timed out progressing\.$/) });
    expect(c.lastTransitionTime).toEqual(new Date(startedAt + 60_000));
    const rs = (await pods()).find((p) => p.metadata!.name!.startsWith('go2rtc-'))!.metadata!.ownerReferences![0]!.name;
    expect(c.message).toBe(`ReplicaSet "${rs}" has timed out progressing.`);
  });

  it('a complete rollout stays NewReplicaSetAvailable when its pods later crash', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1 });
    clock += 3_600_000;
    const d = await apps.readNamespacedDeployment({ namespace: 'nvr', name: 'frigate' });
    expect(d.status!.conditions!.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(d.status!.readyReplicas).toBeUndefined();
  });
});
