import { afterEach, describe, expect, it } from 'vitest';
import { startEngine, type Engine } from '../helpers/engine.js';
import { startProbeServer, type ProbeServer } from '../helpers/probeServer.js';

let engine: Engine | undefined;
let probe: ProbeServer | undefined;
afterEach(async () => {
  await engine?.close();
  await probe?.close();
  engine = probe = undefined;
});

describe('Kubernetes API down', () => {
  it('restarts nothing, opens one cluster incident, and neither opens nor resolves target incidents on missing data', async () => {
    probe = await startProbeServer();
    engine = await startEngine(
      {
        targets: [
          { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' }, probe: { http: { url: probe.url } } },
          { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' } },
        ],
      },
      (sim) => {
        sim.addNode('node-a');
        sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
        sim.addDeployment({ namespace: 'home', name: 'hass', node: 'node-a' });
      },
    );
    const e = engine;
    // frigate is down before the API goes away: its incident is open.
    probe.setStatus(503);
    await e.cycles(2);
    expect(e.store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
    const restartsBefore = e.sim.restarts.length;

    e.sim.setApiDown(true);
    // While the API is down, frigate recovers and hass's pods fail: neither may change any incident.
    probe.setStatus(200);
    e.sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await e.cycles(120);

    expect(e.sim.restarts.length).toBe(restartsBefore);
    expect(e.store.openIncidents().map((i) => [i.subject, i.state])).toEqual([
      ['target:frigate', 'open'],
      ['cluster', 'open'],
    ]);
    expect(e.store.recentIncidents(0)).toHaveLength(2);
    expect(e.store.auditFor({ action: 'opened' }).map((a) => a.subject)).toEqual(['target:frigate', 'cluster']);

    // The API answers again: the cluster incident resolves and the targets are judged on fresh data.
    e.sim.setApiDown(false);
    await e.cycles(2);
    const bySubject = Object.fromEntries(e.store.recentIncidents(0).map((i) => [i.subject, i.state]));
    expect(bySubject).toEqual({ 'target:frigate': 'resolved', cluster: 'resolved', 'target:hass': 'open' });
  });
});

describe('a cache out of sync', () => {
  it('makes only its targets unknown: nothing opens, resolves or restarts for them until it resyncs', async () => {
    engine = await startEngine(
      {
        // One pod cache per namespace, so one namespace's cache can fall out of sync alone.
        kubernetes: { watchScope: 'namespaces' },
        targets: [
          { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } },
          { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' } },
          { name: 'mqtt', namespace: 'home', workload: { kind: 'Deployment', name: 'mqtt' } },
        ],
      },
      (sim) => {
        sim.addNode('node-a');
        for (const [namespace, name] of [['nvr', 'frigate'], ['home', 'hass'], ['home', 'mqtt']] as const) sim.addDeployment({ namespace, name, node: 'node-a' });
      },
    );
    const e = engine;
    // hass is down before its namespace's pod cache goes out of sync: its incident is open.
    e.sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await e.cycles(2);
    expect(e.store.openIncidents().map((i) => i.subject)).toEqual(['target:hass']);

    const restartsBefore = e.sim.restarts.length;

    // The pod watch of `home` breaks and cannot come back (refused): hass recovers and mqtt fails meanwhile.
    e.sim.failPath('/api/v1/namespaces/home/pods', 500);
    e.sim.breakWatches();
    await expect.poll(() => e.kube.caches().find((c) => c.path === '/api/v1/namespaces/home/pods')?.inSync).toBe(false);
    e.sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, true);
    e.sim.setPodsReady('home', { kind: 'Deployment', name: 'mqtt' }, false, { healAfterRestart: true });
    e.sim.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, false);
    await e.cycles(10);

    const snapshot = e.runner.lastSnapshot();
    expect(snapshot).toMatchObject({ reachable: true, unknownTargets: { hass: expect.stringMatching(/^Pod in home: HTTP 500/), mqtt: expect.any(String) } });
    // frigate, in a namespace whose cache is in sync, is judged as usual; hass and mqtt are not judged at all.
    expect(e.store.openIncidents().map((i) => i.subject).sort()).toEqual(['target:frigate', 'target:hass']);
    expect(e.store.loadTargetStates().mqtt?.health ?? 'up').toBe('up');
    expect(e.sim.restarts.slice(restartsBefore).filter((r) => r.namespace === 'home')).toEqual([]);

    // The cache resyncs: hass resolves, mqtt is judged on fresh data.
    e.sim.failPath('/api/v1/namespaces/home/pods', null);
    await e.cycles(2);
    const bySubject = Object.fromEntries(e.store.recentIncidents(0).map((i) => [i.subject, i.state]));
    expect(bySubject).toMatchObject({ 'target:hass': 'resolved', 'target:mqtt': 'open' });
  });
});
