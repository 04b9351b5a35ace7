/**
 * Events (list, watch, field selectors, aggregation, the events failures emit) and pods/log
 * (container, previous, tailLines, limitBytes, the kubelet's refusals) in the Kubernetes simulator,
 * over HTTP, through @kubernetes/client-node, with RBAC, and with a real kubectl.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, type CoreV1Event } from '@kubernetes/client-node';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { kubectlPath, kubectlUnavailableReason } from '../helpers/kubectl.js';
import { apiShapeProblems } from './kube-api-shape.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
let clock = T0;
let sim: KubeSimulator;
let url: string;
let core: CoreV1Api;
const closers: (() => void)[] = [];

beforeEach(async () => {
  clock = T0;
  sim = createKubeSimulator({ now: () => clock, rolloutDelayMs: 2000, bookmarkIntervalMs: 50 });
  url = (await sim.start()).url;
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  core = kc.makeApiClient(CoreV1Api);
  sim.addNode('k3s-1');
  sim.addNode('k3s-2');
  sim.addNode('k3s-3');
  sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'k3s-2', containers: [{ name: 'frigate', image: 'ghcr.io/blakeblackshear/frigate:0.14' }] });
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  await sim.stop();
});

const FRIGATE = { kind: 'Deployment', name: 'frigate' } as const;

async function get(path: string): Promise<{ status: number; type: string | null; text: string; body: any }> {
  const res = await fetch(url + path);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text (logs)
  }
  return { status: res.status, type: res.headers.get('content-type'), text, body };
}

async function warnings(fieldSelector = 'type=Warning'): Promise<CoreV1Event[]> {
  return (await core.listNamespacedEvent({ namespace: 'nvr', fieldSelector })).items;
}

function podName(prefix = 'frigate-'): string {
  return sim.pods('nvr').find((p) => p.name.startsWith(prefix))!.name;
}

/** Opens a watch and collects its JSON lines. */
function watch(path: string): Promise<{ status: number; lines: { type: string; object: any }[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, (res) => {
      const w = { status: res.statusCode ?? 0, lines: [] as { type: string; object: any }[] };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          w.lines.push(JSON.parse(buffer.slice(0, nl)));
          buffer = buffer.slice(nl + 1);
        }
      });
      res.on('error', () => undefined);
      closers.push(() => req.destroy());
      resolve(w);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('events emitted by failures', () => {
  it('an image that cannot be pulled: Failed and BackOff events, counted and moved on with the clock, never duplicated', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'imagePull' });
    const pod = podName();
    clock += 31_000; // pull attempts at 0, 10 s, 30 s
    const list = (await core.listNamespacedEvent({ namespace: 'nvr' })).items;
    const failed = list.find((e) => e.reason === 'Failed' && e.message!.startsWith('Failed to pull image'))!;
    expect(failed).toMatchObject({
      type: 'Warning',
      count: 3,
      involvedObject: { kind: 'Pod', namespace: 'nvr', name: pod, apiVersion: 'v1', fieldPath: 'spec.containers{frigate}' },
      source: { component: 'kubelet', host: 'k3s-2' },
      firstTimestamp: new Date(T0),
      lastTimestamp: new Date(T0 + 30_000),
    });
    expect(failed.message).toBe(
      'Failed to pull image "ghcr.io/blakeblackshear/frigate:0.14": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/blakeblackshear/frigate:0.14": failed to resolve reference "ghcr.io/blakeblackshear/frigate:0.14": ghcr.io/blakeblackshear/frigate:0.14: not found',
    );
    expect(list.find((e) => e.message === 'Error: ErrImagePull')).toMatchObject({ type: 'Warning', reason: 'Failed', count: 3 });
    expect(list.find((e) => e.message === 'Error: ImagePullBackOff')).toMatchObject({ type: 'Warning', reason: 'Failed', count: 3 });
    // The kubelet records the pull back-off as a Normal event.
    expect(list.find((e) => e.reason === 'BackOff')).toMatchObject({ type: 'Normal', message: 'Back-off pulling image "ghcr.io/blakeblackshear/frigate:0.14"' });

    const names = list.map((e) => e.metadata!.name);
    clock += 40_000; // the 4th attempt at 70 s
    const later = (await core.listNamespacedEvent({ namespace: 'nvr' })).items;
    expect(later.map((e) => e.metadata!.name).sort()).toEqual([...names].sort());
    expect(later.find((e) => e.metadata!.name === failed.metadata!.name)).toMatchObject({ count: 4, lastTimestamp: new Date(T0 + 70_000) });
    for (const e of (await get('/api/v1/namespaces/nvr/events')).body.items) expect(apiShapeProblems(e)).toEqual([]);
  });

  it.each([
    [{ kind: 'createConfig', message: 'secret "frigate-mqtt" not found' } as const, 'Failed', 'Error: secret "frigate-mqtt" not found', 'kubelet'],
    [{ kind: 'crashLoop', exitCode: 1 } as const, 'BackOff', /^Back-off restarting failed container frigate in pod frigate-[a-z0-9-]+_nvr\(/, 'kubelet'],
    [{ kind: 'unschedulable', message: '0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient memory.' } as const, 'FailedScheduling', '0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient memory.', 'default-scheduler'],
    [{ kind: 'mount', attach: true } as const, 'FailedAttachVolume', /^Multi-Attach error for volume "pvc-[0-9a-f-]+" Volume is already exclusively attached to one node and can't be attached to another$/, 'attachdetach-controller'],
    [{ kind: 'mount', message: 'MountVolume.SetUp failed for volume "config" : configmap "frigate" not found' } as const, 'FailedMount', 'MountVolume.SetUp failed for volume "config" : configmap "frigate" not found', 'kubelet'],
    [{ kind: 'readiness' } as const, 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'kubelet'],
  ])('%o emits Warning %s', async (failure, reason, message, component) => {
    sim.failPods('nvr', FRIGATE, failure);
    clock += 5 * 60_000;
    const pod = podName();
    const found = (await warnings(`involvedObject.name=${pod}`)).filter((e) => e.reason === reason);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    expect(found[0]!.reportingComponent).toBe(component);
    expect(found[0]!.count ?? found[0]!.series!.count).toBeGreaterThan(1);
    expect(sim.pods('nvr')[0]!.ready).toBe(false);
  });

  it('the scheduler records through events.k8s.io/v1: eventTime and series, no count, null timestamps, empty source', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'unschedulable' });
    const raw = async () => (await get('/api/v1/namespaces/nvr/events?fieldSelector=reason%3DFailedScheduling')).body.items;
    let [e] = await raw();
    expect(e).toMatchObject({ type: 'Warning', action: 'Scheduling', reportingComponent: 'default-scheduler', source: {}, firstTimestamp: null, lastTimestamp: null, eventTime: '2025-01-01T00:00:00.000000Z' });
    expect(e.message).toBe('0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    expect(e.count).toBeUndefined();
    expect(e.series).toBeUndefined();
    clock += 12_000; // attempts at 0, 1, 3, 7 s
    [e] = await raw();
    expect(e.series).toEqual({ count: 4, lastObservedTime: '2025-01-01T00:00:07.000000Z' });
    expect(apiShapeProblems(e)).toEqual([]);
    expect((await get('/api/v1/namespaces/nvr/events?fieldSelector=reportingComponent%3Ddefault-scheduler')).body.items).toHaveLength(1);
    expect((await get('/api/v1/namespaces/nvr/events?fieldSelector=source%3Ddefault-scheduler')).body.items).toHaveLength(0);
  });

  it('the crash-loop BackOff count follows the restarts', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1, runsForMs: 1000 });
    // Exits at 1 s (restarted at once), then 2, 13, 34, 75, 156 s, each followed by a back-off.
    clock = T0 + 200_000;
    const [backoff] = (await warnings()).filter((e) => e.reason === 'BackOff');
    expect(backoff).toMatchObject({ count: 5, firstTimestamp: new Date(T0 + 2_000), lastTimestamp: new Date(T0 + 156_000) });
    const pod = (await core.listNamespacedPod({ namespace: 'nvr' })).items[0]!;
    expect(pod.status!.containerStatuses![0]!.restartCount).toBe(5);
  });
});

describe('events API', () => {
  const ref = (name: string) => ({ kind: 'Pod', namespace: 'nvr', name, uid: `uid-${name}`, apiVersion: 'v1' });

  it('aggregates a repeat into count and lastTimestamp on the same object, with a new resourceVersion', async () => {
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'Unhealthy', message: 'Liveness probe failed', type: 'Warning' });
    const [first] = await warnings();
    clock += 7_000;
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'Unhealthy', message: 'Liveness probe failed', type: 'Warning' });
    const [second, ...rest] = await warnings();
    expect(rest).toEqual([]);
    expect(second!.metadata!.name).toBe(first!.metadata!.name);
    expect(second).toMatchObject({ count: 2, firstTimestamp: new Date(T0), lastTimestamp: new Date(T0 + 7_000) });
    expect(Number(second!.metadata!.resourceVersion)).toBeGreaterThan(Number(first!.metadata!.resourceVersion));
    // Another message is another event.
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'Unhealthy', message: 'Readiness probe failed', type: 'Warning' });
    expect(await warnings()).toHaveLength(2);
  });

  it('filters lists with type, involvedObject.name and involvedObject.kind, with =, == and !=', async () => {
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'BackOff', message: 'x', type: 'Warning' });
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('b'), reason: 'Pulled', message: 'y', type: 'Normal' });
    sim.emitEvent({ namespace: 'nvr', involvedObject: { kind: 'Deployment', namespace: 'nvr', name: 'frigate', apiVersion: 'apps/v1' }, reason: 'ScalingReplicaSet', message: 'z', type: 'Normal', source: { component: 'deployment-controller' } });
    sim.emitEvent({ namespace: 'home', involvedObject: { ...ref('c'), namespace: 'home' }, reason: 'BackOff', message: 'w', type: 'Warning' });
    const reasons = (events: CoreV1Event[]) => events.map((e) => e.reason).sort();
    expect(reasons(await warnings('type=Warning'))).toEqual(['BackOff']);
    expect(reasons(await warnings('type==Normal'))).toEqual(['Pulled', 'ScalingReplicaSet']);
    expect(reasons(await warnings('involvedObject.kind=Pod,type!=Warning'))).toEqual(['Pulled']);
    expect(reasons(await warnings('involvedObject.name=frigate,involvedObject.kind=Deployment'))).toEqual(['ScalingReplicaSet']);
    expect(reasons(await warnings('source=deployment-controller'))).toEqual(['ScalingReplicaSet']);
    expect(reasons((await core.listEventForAllNamespaces({ fieldSelector: 'type=Warning' })).items)).toEqual(['BackOff', 'BackOff']);
  });

  it('refuses a field the API does not support, and a malformed selector, with 400', async () => {
    const refused = await get('/api/v1/namespaces/nvr/events?fieldSelector=type%3DWarning,foo%3Dbar');
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'field label not supported: foo' });
    expect((await get('/api/v1/events?fieldSelector=type')).status).toBe(400);
    expect((await get('/api/v1/namespaces/nvr/events?watch=true&fieldSelector=spec.nodeName%3Dx')).body.message).toBe('field label not supported: spec.nodeName');
  });

  it('watches events with the field selector: ADDED, MODIFIED on a repeat, bookmarks', async () => {
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'BackOff', message: 'one', type: 'Warning' });
    const list = (await get('/api/v1/namespaces/nvr/events')).body;
    const w = await watch(`/api/v1/namespaces/nvr/events?watch=true&allowWatchBookmarks=true&fieldSelector=type%3DWarning&resourceVersion=${list.metadata.resourceVersion}`);
    expect(w.status).toBe(200);
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('b'), reason: 'Pulled', message: 'normal', type: 'Normal' });
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('b'), reason: 'FailedMount', message: 'two', type: 'Warning' });
    clock += 1_000;
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'BackOff', message: 'one', type: 'Warning' });
    await expect.poll(() => w.lines.filter((l) => l.type !== 'BOOKMARK').map((l) => `${l.type} ${l.object.message} ${l.object.count}`)).toEqual(['ADDED two 1', 'MODIFIED one 2']);
    await expect.poll(() => w.lines.some((l) => l.type === 'BOOKMARK' && l.object.kind === 'Event')).toBe(true);
    expect(sim.watches()).toEqual([{ resource: 'events', namespace: 'nvr', labels: [], name: null, fields: [{ field: 'type', op: '=', value: 'Warning' }] }]);
  });

  it('latestResourceVersion of a filtered events watch ignores what the filter leaves out', async () => {
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'BackOff', message: 'warned', type: 'Warning' });
    const warned = sim.latestResourceVersion('/api/v1/namespaces/nvr/events?fieldSelector=type%3DWarning');
    sim.emitEvent({ namespace: 'nvr', involvedObject: ref('a'), reason: 'Pulled', message: 'fine', type: 'Normal' });
    expect(sim.latestResourceVersion('/api/v1/namespaces/nvr/events?fieldSelector=type%3DWarning')).toBe(warned);
    expect(sim.latestResourceVersion('/api/v1/namespaces/nvr/events')).toBeGreaterThan(warned);
  });

  it('a storm of events is stored and listed, and events older than an hour disappear', async () => {
    sim.eventStorm('nvr', 1_000, { objects: 10 });
    expect((await warnings()).length).toBe(1_000);
    clock += 3_600_001;
    expect(await warnings()).toEqual([]);
  });
});

describe('pods/log', () => {
  it('answers text/plain; tailLines and limitBytes cut it; the container may be left out of a one-container pod', async () => {
    const pod = podName();
    sim.setLogs('nvr', FRIGATE, 'frigate', ['one', 'two', 'three', 'four']);
    const all = await get(`/api/v1/namespaces/nvr/pods/${pod}/log`);
    expect(all).toMatchObject({ status: 200, text: 'one\ntwo\nthree\nfour\n' });
    expect(all.type).toBe('text/plain');
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}/log?container=frigate&tailLines=2`)).text).toBe('three\nfour\n');
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}/log?limitBytes=6`)).text).toBe('one\ntw');
    expect(await core.readNamespacedPodLog({ namespace: 'nvr', name: pod, container: 'frigate', tailLines: 1 })).toBe('four\n');
  });

  it('serves the previous container of a crash loop, and refuses previous when there is none', async () => {
    const pod = podName();
    const none = await get(`/api/v1/namespaces/nvr/pods/${pod}/log?previous=true`);
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: `previous terminated container "frigate" in pod "${pod}" not found` });

    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 137, reason: 'OOMKilled' });
    sim.setLogs('nvr', FRIGATE, 'frigate', ['loading model', 'allocating 900Mi'], { previous: true });
    clock += 60_000;
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}/log?container=frigate&previous=true&tailLines=1`)).text).toBe('allocating 900Mi\n');
    // Waiting in CrashLoopBackOff, the current log is the last terminated container's.
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}/log`)).text).toBe('loading model\nallocating 900Mi\n');
  });

  it('gives a failing container default lines that say how it ended', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 3 });
    clock += 30_000;
    expect((await get(`/api/v1/namespaces/nvr/pods/${podName()}/log?previous=true`)).text).toMatch(/exiting with code 3\n$/);
  });

  it("refuses like the kubelet: a container that never started, a multi-container pod without a container, an unknown container, an unbound pod", async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'imagePull', reason: 'ImagePullBackOff' });
    const pod = podName();
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}/log`)).body.message).toBe(`container "frigate" in pod "${pod}" is waiting to start: trying and failing to pull image`);
    sim.failPods('nvr', FRIGATE, { kind: 'createConfig', message: 'secret "x" not found' });
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}/log`)).body.message).toBe(`container "frigate" in pod "${pod}" is waiting to start: CreateContainerConfigError`);

    sim.addPod({ namespace: 'nvr', name: 'two', node: 'k3s-1', containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }], initContainers: [{ name: 'init', image: 'i:1' }] });
    const multi = await get('/api/v1/namespaces/nvr/pods/two/log');
    expect(multi.status).toBe(400);
    expect(multi.body.message).toBe('a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]');
    expect((await get('/api/v1/namespaces/nvr/pods/two/log?container=c')).body.message).toBe('container c is not valid for pod two');
    expect((await get('/api/v1/namespaces/nvr/pods/two/log?container=b')).status).toBe(200);
    expect((await get('/api/v1/namespaces/nvr/pods/nope/log')).status).toBe(404);

    sim.addPod({ namespace: 'nvr', name: 'pending', labels: { app: 'pending' } });
    sim.failPods('nvr', 'app=pending', { kind: 'unschedulable' });
    expect((await get('/api/v1/namespaces/nvr/pods/pending/log')).body.message).toBe('pod pending does not have a host assigned');
  });
});

describe('RBAC for events and pods/log', () => {
  it('refuses events list/watch and pods/log get unless granted, as Forbidden', async () => {
    const pod = podName();
    sim.setRbac([{ verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['nvr'] }]);
    const list = await get('/api/v1/namespaces/nvr/events');
    expect(list.status).toBe(403);
    expect(list.body.message).toBe('events is forbidden: User "system:serviceaccount:stormguard:stormguard" cannot list resource "events" in API group "" in the namespace "nvr"');
    expect((await get('/api/v1/namespaces/nvr/events?watch=true')).status).toBe(403);
    const log = await get(`/api/v1/namespaces/nvr/pods/${pod}/log`);
    expect(log.status).toBe(403);
    expect(log.body.message).toBe(`pods/log "${pod}" is forbidden: User "system:serviceaccount:stormguard:stormguard" cannot get resource "pods/log" in API group "" in the namespace "nvr"`);
    expect(sim.serves('/api/v1/namespaces/nvr/events')).toBe(false);

    sim.setRbac([
      { verbs: ['list', 'watch'], resources: ['events'], namespaces: ['nvr'] },
      { verbs: ['get'], resources: ['pods/log'], namespaces: ['nvr'] },
    ]);
    expect((await get('/api/v1/namespaces/nvr/events')).status).toBe(200);
    expect((await get('/api/v1/namespaces/home/events')).status).toBe(403);
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}/log`)).status).toBe(200);
    // pods/log does not grant reading the pod itself.
    expect((await get(`/api/v1/namespaces/nvr/pods/${pod}`)).status).toBe(403);
  });
});

describe.skipIf(kubectlUnavailableReason() !== undefined)('a real kubectl', () => {
  let dir: string;
  const run = async (...args: string[]) => {
    try {
      const { stdout } = await promisify(execFile)(kubectlPath(), ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { env: { PATH: process.env.PATH ?? '', HOME: dir } });
      return stdout;
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      throw new Error(`kubectl ${args.join(' ')}: ${e.stderr ?? ''}${e.stdout ?? ''}`, { cause: error });
    }
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stormguard-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig());
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('get events --field-selector type=Warning lists only warnings', async () => {
    sim.emitEvent({ namespace: 'nvr', involvedObject: { kind: 'Pod', namespace: 'nvr', name: 'x', apiVersion: 'v1' }, reason: 'FailedMount', message: 'warned', type: 'Warning' });
    sim.emitEvent({ namespace: 'nvr', involvedObject: { kind: 'Pod', namespace: 'nvr', name: 'x', apiVersion: 'v1' }, reason: 'Pulled', message: 'fine', type: 'Normal' });
    const out = await run('get', 'events', '-n', 'nvr', '--field-selector', 'type=Warning', '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message');
    expect(out).toMatch(/Warning\s+FailedMount\s+warned/);
    expect(out).not.toMatch(/Pulled/);
  });

  it('logs -c --previous --tail=5 prints the previous container', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1 });
    sim.setLogs('nvr', FRIGATE, 'frigate', ['1', '2', '3', '4', '5', '6', '7'], { previous: true });
    clock += 30_000;
    expect(await run('logs', podName(), '-n', 'nvr', '-c', 'frigate', '--previous', '--tail=5')).toBe('3\n4\n5\n6\n7\n');
  });

  it('set image starts a rollout whose template and pods carry the new image', async () => {
    await run('set', 'image', 'deployment/frigate', 'frigate=ghcr.io/blakeblackshear/frigate:0.15', '-n', 'nvr');
    expect(sim.workload('Deployment', 'nvr', 'frigate')).toMatchObject({
      metadata: { annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: { template: { spec: { containers: [{ name: 'frigate', image: 'ghcr.io/blakeblackshear/frigate:0.15' }] } } },
    });
    clock += 2_000;
    expect((await core.listNamespacedPod({ namespace: 'nvr' })).items[0]!.status!.containerStatuses![0]!.image).toBe('ghcr.io/blakeblackshear/frigate:0.15');
  });

  it('describe pod shows the waiting reason, the last state and the events', async () => {
    sim.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 137, reason: 'OOMKilled' });
    clock += 120_000;
    const out = await run('describe', 'pod', podName(), '-n', 'nvr');
    expect(out).toMatch(/State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff/);
    expect(out).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+OOMKilled\n\s+Exit Code:\s+137/);
    expect(out).toMatch(/Restart Count:\s+4/);
    expect(out).toMatch(/Warning\s+BackOff\s+.*kubelet\s+Back-off restarting failed container frigate/);
  });
});
