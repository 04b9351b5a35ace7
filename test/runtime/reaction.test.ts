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

// A schedule that never fires during a test: every cycle here is a reaction to the cluster.
const HOURLY = '0 0 * * * *';

function homelab(frigateProbe?: string) {
  return startEngine({
    schedule: HOURLY,
    targets: [
      { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' }, ...(frigateProbe ? { probe: { http: { url: frigateProbe } } } : {}) },
      { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' }, failureThreshold: 1 },
    ],
  });
}

describe('reaction in seconds: a watched change runs a cycle at once', () => {
  it('opens the node incident within 2 s of the node turning NotReady, without waiting for the schedule', async () => {
    probe = await startProbeServer();
    engine = await homelab(probe.url);
    const e = engine;
    await e.cycles(1);
    const probesBefore = probe.hits();
    e.runner.start();

    e.clock.advance(5_000);
    const notReadyAt = e.clock.now();
    e.sim.setNodeReady('node-a', 'False');
    // The test clock moves on about as fast as real time while the bot reacts; the schedule is an hour away.
    const incident = await expect
      .poll(
        () => {
          e.clock.advance(10);
          return e.store.openIncidents().find((x) => x.subject === 'node:node-a');
        },
        { interval: 10, timeout: 5_000 },
      )
      .toBeDefined()
      .then(() => e.store.openIncidents().find((x) => x.subject === 'node:node-a'));
    expect(incident).toMatchObject({ kind: 'node', state: 'open' });
    expect(incident!.openedAt - notReadyAt).toBeLessThan(2_000);
    expect(e.store.countEffects({ type: 'postMessage' })).toBe(1);
    // The reaction reads the cluster; frigate's HTTP probe waits for the schedule.
    expect(probe.hits()).toBe(probesBefore);
  });

  it('runs a cycle when a watched workload loses its last ready pod, and not for changes that do not matter', async () => {
    engine = await homelab();
    const e = engine;
    await e.cycles(1);
    const cyclesBefore = e.runner.lastCycleAt();
    e.runner.start();

    e.sim.cordon('node-b');
    e.sim.addNode('node-c');
    await e.settle();
    expect(e.runner.lastCycleAt()).toBe(cyclesBefore);

    e.clock.advance(1_000);
    e.sim.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await expect.poll(() => e.store.openIncidents().map((i) => i.subject)).toEqual(['target:hass']);
    expect(e.runner.lastCycleAt()).toBe(e.clock.now());
  });
});
