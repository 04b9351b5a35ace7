import { afterEach, describe, expect, it } from 'vitest';
import { startEngine, type Engine } from '../helpers/engine.js';
import { startProbeServer, type ProbeServer } from '../helpers/probeServer.js';

const MIN = 60_000;

let engine: Engine | undefined;
let probe: ProbeServer | undefined;
afterEach(async () => {
  await engine?.close();
  await probe?.close();
  engine = probe = undefined;
});

function frigateConfig(url: string, restart: Record<string, unknown> = {}) {
  return {
    targets: [
      {
        name: 'frigate',
        namespace: 'nvr',
        workload: { kind: 'Deployment', name: 'frigate' },
        probe: { http: { url, timeout: '2s' } },
        restart,
      },
    ],
  };
}

function countIncidents(e: Engine): number {
  return e.store.recentIncidents(0).length;
}

function skipReasons(e: Engine): string[] {
  return e.store.auditFor({ action: 'restartSkipped' }).map((a) => a.reason ?? '');
}

describe('the motivating outage, at engine level', () => {
  it('one node-grouped incident, no futile restarts, one restart after the node returns, then resolved', async () => {
    probe = await startProbeServer();
    engine = await startEngine(frigateConfig(probe.url));
    const e = engine;

    // node-a goes down for maintenance while frigate on it is unhealthy: 2 hours of 30-second cycles.
    e.sim.setNodeReady('node-a', 'False');
    probe.setStatus(503);
    await e.cycles(240);

    expect(countIncidents(e)).toBe(1);
    const [incident] = e.store.openIncidents();
    expect(incident).toMatchObject({ subject: 'node:node-a', kind: 'node', state: 'open', targets: ['frigate'] });
    expect(e.sim.restarts).toHaveLength(0);
    expect(skipReasons(e)).toEqual(['nodeNotReady']);
    expect(e.store.countEffects({ type: 'postMessage' })).toBe(1);

    // node-a is Ready again, frigate still fails: the gate waits nodeRecoveryGrace, then restarts once.
    e.sim.setNodeReady('node-a', 'True');
    await e.cycles(1);
    expect(e.sim.restarts).toHaveLength(0);
    expect(skipReasons(e)).toEqual(['nodeNotReady', 'nodeRecovering']);
    await e.cycles(2);
    expect(e.sim.restarts).toHaveLength(1);
    expect(e.sim.restarts[0]).toMatchObject({ kind: 'Deployment', namespace: 'nvr', name: 'frigate', contentType: 'application/strategic-merge-patch+json' });

    // The restart fixes frigate.
    probe.setStatus(200);
    await e.cycles(10);
    expect(e.sim.restarts).toHaveLength(1);
    expect(countIncidents(e)).toBe(1);
    const resolved = e.store.getIncident(incident!.id!);
    expect(resolved).toMatchObject({ state: 'resolved', restartCount: 1 });
    const actions = e.store.auditFor({ incidentId: incident!.id! }).map((a) => a.action);
    expect(actions.filter((a) => a === 'restartRequested')).toHaveLength(1);
    expect(actions.filter((a) => a === 'restartSucceeded')).toHaveLength(1);
    expect(actions.at(-1)).toBe('resolved');
    expect(e.store.countEffects({ type: 'postMessage' })).toBe(1);
    expect(e.store.countEffects({ type: 'archiveThread' })).toBe(1);

    // A second failure inside the reopen window reopens the same incident...
    probe.setStatus(503);
    await e.cycles(2);
    expect(countIncidents(e)).toBe(1);
    expect(e.store.getIncident(incident!.id!)).toMatchObject({ state: 'open', reopenCount: 1 });
    probe.setStatus(200);
    await e.cycles(2);
    expect(e.store.getIncident(incident!.id!)?.state).toBe('resolved');

    // ...and one after the window opens a new one.
    e.clock.advance(11 * MIN);
    probe.setStatus(503);
    await e.cycles(2);
    expect(countIncidents(e)).toBe(2);
    expect(e.store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
    expect(e.store.countEffects({ type: 'postMessage' })).toBe(2);
  });

  it('refuses restarts on a cordoned node as maintenance', async () => {
    probe = await startProbeServer();
    engine = await startEngine(frigateConfig(probe.url));
    const e = engine;
    e.sim.cordon('node-a');
    probe.setStatus(503);
    await e.cycles(60);
    expect(e.sim.restarts).toHaveLength(0);
    expect(e.store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
    expect(skipReasons(e)).toEqual(['nodeCordoned']);
  });

  it('stops automatic restarts with the circuit breaker after restarts that did not help, and escalates', async () => {
    probe = await startProbeServer();
    engine = await startEngine(frigateConfig(probe.url, { maxPerHour: 10, circuitBreakAfter: 3, backoff: ['1m', '2m', '4m'] }));
    const e = engine;
    probe.setStatus(503);
    await e.cycles(6 * 120); // six hours

    expect(e.sim.restarts).toHaveLength(3);
    const [incident] = e.store.openIncidents();
    expect(incident).toMatchObject({ subject: 'target:frigate', restartCount: 3, needsHuman: true });
    expect(e.store.auditFor({ action: 'circuitOpen' })).toHaveLength(1);
    expect(e.store.auditFor({ action: 'escalated' }).map((a) => a.reason)).toEqual(['circuitOpen']);
    expect(skipReasons(e)).toContain('circuitOpen');
  });

  it('records a failed restart call on the attempt, in the audit log and in the thread, without throwing', async () => {
    probe = await startProbeServer();
    engine = await startEngine(frigateConfig(probe.url));
    const e = engine;
    // A Role without `patch` (a missing workload no longer gets a restart at all: the gate refuses it),
    // so the rollout-restart PATCH is answered 403, as RBAC answers it.
    e.sim.setRbac([
      { verbs: ['get', 'list', 'watch'], resources: ['nodes', 'pods'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments'] },
    ]);
    probe.setStatus(503);
    await e.cycles(2);
    const attempts = e.store.restartsFor({ incidentIds: [], since: 0 });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 'failed', automatic: true });
    expect(attempts[0]!.error).toMatch(/nvr\/Deployment\/frigate failed: HTTP 403: deployments.apps "frigate" is forbidden/);
    expect(e.store.auditFor({ action: 'restartFailed' })).toHaveLength(1);
    expect(e.store.countEffects({ type: 'threadNote' })).toBeGreaterThanOrEqual(2);
    // The next cycles carry on; the cooldown keeps the failing call from being hammered.
    await e.cycles(3);
    expect(e.store.restartsFor({ incidentIds: [], since: 0 })).toHaveLength(1);
  });
});
