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
