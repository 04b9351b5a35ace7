/**
 * The gate (SPEC §3) judging what the informers hold, for `/restart` and the scheduler alike: a cache
 * out of sync is "the Kubernetes API did not answer" for its targets only; a node cordoned after the
 * caches were filled (the change arrives by watch) is maintenance; a workload with no pod bound is
 * judged by the node its pods or its template pin through `nodeSelector` `kubernetes.io/hostname`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { createActions } from '../../src/runtime/actions/index.js';
import { startEngine, type Engine } from '../helpers/engine.js';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

// Engine rollouts replace pods 20 s (sim clock) after a restart.
const ROLLOUT_MS = 20_000;

function homelab() {
  return startEngine(
    {
      // One pod cache per namespace, so one namespace's cache can fall out of sync alone.
      kubernetes: { watchScope: 'namespaces' },
      targets: [
        { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } },
        { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' }, failureThreshold: 1 },
        { name: 'mqtt', namespace: 'home', workload: { kind: 'Pods', selector: 'app=mqtt' } },
      ],
    },
    (sim) => {
      sim.addNode('node-a');
      sim.addNode('node-b');
      sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
      sim.addDeployment({ namespace: 'home', name: 'hass', node: 'node-b' });
      sim.addPod({ namespace: 'home', name: 'mqtt-0', labels: { app: 'mqtt' }, node: 'node-b' });
    },
  );
}

/** `/restart` as a person runs it: the same actions the slash command and the button call. */
function restartByHand(e: Engine, target: string) {
  const actions = createActions({ config: e.config, store: e.store, cluster: e.kube, restarter: e.kube, clock: e.clock.now, logger: silentLogger(), deliver: async () => undefined });
  return actions.restart(target, 'u-operator', null);
}

const skipReasons = (e: Engine) => e.store.auditFor({ action: 'restartSkipped' }).map((a) => a.reason);
const refusals = (e: Engine) => e.store.auditFor({ action: 'restartRefused' }).map((a) => [a.subject, a.reason]);

describe('the gate on informer caches', () => {
  it('refuses a target whose cache is out of sync as "the API did not answer", and only that target', async () => {
    engine = await homelab();
    const e = engine;
    await e.cycles(1);

    // The pod watch of `home` breaks and is refused when it comes back.
    e.sim.failPath('/api/v1/namespaces/home/pods', 403);
    e.sim.breakWatches();
    await expect.poll(() => e.kube.caches().find((c) => c.path === '/api/v1/namespaces/home/pods')?.error?.status).toBe(403);

    expect(await restartByHand(e, 'hass')).toEqual({
      ok: false,
      message: expect.stringMatching(/^Not restarting hass: the Kubernetes API did not tell us about hass \(Pod in home: HTTP 403[^)]*\), so nothing is restarted\.$/),
    });
    expect(refusals(e)).toEqual([['target:hass', 'clusterUnreachable']]);
    expect(e.sim.restarts).toEqual([]);

    // frigate's caches are in sync: the same gate lets its restart through.
    expect(await restartByHand(e, 'frigate')).toMatchObject({ ok: true });
    expect(e.sim.restarts.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual(['Deployment nvr/frigate']);
  });

  it('refuses restarts on a node cordoned while watched, by hand and automatically', async () => {
    engine = await homelab();
    const e = engine;
    await e.cycles(1);

    e.sim.cordon('node-b');
    e.sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await e.cycles(4);

    expect(e.store.openIncidents().map((i) => i.subject)).toEqual(['target:hass']);
    expect(skipReasons(e)).toEqual(['nodeCordoned']);
    expect(await restartByHand(e, 'hass')).toEqual({ ok: false, message: 'Not restarting hass: node node-b is cordoned (maintenance).' });
    expect(e.sim.restarts).toEqual([]);
  });

  it('judges a workload whose new pods are not bound by the node its template pins', async () => {
    engine = await homelab();
    const e = engine;
    await e.cycles(1);

    // node-a goes NotReady during a rollout restart: frigate's new pod waits, unbound, for node-a.
    e.sim.setNodeReady('node-a', 'False');
    await e.kube.restart(e.config.targets[0]!, e.clock.now());
    e.clock.advance(ROLLOUT_MS);
    await e.settle();
    expect(e.sim.pods('nvr')).toEqual([expect.objectContaining({ node: null, phase: 'Pending' })]);

    expect(await restartByHand(e, 'frigate')).toEqual({ ok: false, message: 'Not restarting frigate: node node-a is NotReady.' });
    expect(refusals(e)).toEqual([['target:frigate', 'nodeNotReady']]);
  });

  it('judges a Pods target whose replacement pod is not bound by the node that pod pins', async () => {
    engine = await homelab();
    const e = engine;
    await e.cycles(1);

    // node-b goes NotReady; mqtt's pod is deleted and its replacement waits, unbound, for node-b.
    e.sim.setNodeReady('node-b', 'False');
    await e.kube.restart(e.config.targets[2]!, e.clock.now());
    e.clock.advance(ROLLOUT_MS);
    await e.settle();
    expect(e.sim.pods('home').filter((p) => p.name.startsWith('mqtt'))).toEqual([expect.objectContaining({ node: null, phase: 'Pending' })]);

    const snapshot = await e.kube.snapshot(e.config.targets, e.clock.now());
    expect(snapshot.reachable && snapshot.workloads.mqtt?.relevantNodes).toEqual(['node-b']);
    expect(await restartByHand(e, 'mqtt')).toEqual({ ok: false, message: 'Not restarting mqtt: node node-b is NotReady.' });
  });
});
