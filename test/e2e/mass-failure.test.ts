import { afterEach, describe, expect, it } from 'vitest';
import { OBSERVER_SUBJECT, targetSubject } from '../../src/core/subject.js';
import { addHomelab, HOMELAB_DISCORD } from '../../src/sim/homelab.js';
import type { KubeSimulator } from '../../src/sim/kube/index.js';
import { startProbeServer, type ProbeServer } from '../helpers/probeServer.js';
import { answer, closeWorld, messageOf, OPERATOR, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
let probes: ProbeServer[] = [];

afterEach(async () => {
  const violations = world ? await closeWorld(world) : [];
  await Promise.all(probes.map((p) => p.close()));
  world = undefined;
  probes = [];
  expect(violations).toEqual([]);
});

const NAMES = Array.from({ length: 20 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);

/** 20 Deployments in namespace apps, on the homelab's two nodes, all Ready (beside the homelab's own). */
function populate(kube: KubeSimulator): void {
  addHomelab(kube);
  NAMES.forEach((name, i) => kube.addDeployment({ namespace: 'apps', name, node: i % 2 === 0 ? 'node-a' : 'node-b' }));
}

/** Workload PATCHes and pod DELETEs the Kubernetes simulator received: every restart request. */
function restartRequests(w: World): number {
  return w.kube.countRequests({ method: 'PATCH' }) + w.kube.countRequests({ method: 'DELETE' });
}

describe('the mass-failure brake (issue 10 item 8), end to end', () => {
  it('14 of 20 HTTP probes hanging at once while Kubernetes reports them Ready: one incident, one ring, no restart; a person may still /restart; when the probes come back for all but one, that one gets its own incident', async () => {
    probes = await Promise.all(NAMES.map(() => startProbeServer()));
    const targets = NAMES.map((name, i) => ({
      name,
      namespace: 'apps',
      workload: { kind: 'Deployment', name },
      probe: { http: { url: probes[i]!.url, timeout: '1s' } },
    }));
    world = await startWorld({ targets }, {}, { populate });
    const w = world;
    await w.cycles(1);
    expect(topLevel(w)).toEqual([]);

    // stormguard's own network path to 14 services breaks: their probes hang until the 1s timeout.
    const hanging = probes.slice(0, 14);
    for (const p of hanging) p.setHanging(true);
    await w.cycles(1);
    expect(topLevel(w)).toEqual([]);
    await w.cycles(4);

    const messages = topLevel(w);
    expect(messages).toHaveLength(1);
    expect(messageOf(w, OBSERVER_SUBJECT)?.content).toBe(
      `<@&${HOMELAB_DISCORD.oncall}> Incident #1: 14 of 20 targets stopped answering at once while Kubernetes reports them Ready — is stormguard's network broken?`,
    );
    expect(roleRings(w)).toBe(1);
    expect(restartRequests(w)).toBe(0);
    expect(w.kube.restarts).toEqual([]);
    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual([OBSERVER_SUBJECT]);
    expect(new Set(w.app.store.auditFor({ action: 'restartSkipped' }).map((a) => a.reason))).toEqual(new Set(['massFailure']));

    // The brake's state is the observer incident: a restart of stormguard keeps it holding, quietly.
    await w.restartBot();
    await w.cycles(2);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
    expect(restartRequests(w)).toBe(0);
    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual([OBSERVER_SUBJECT]);

    // A person's /restart passes this hold (the one gate, in manual mode).
    const restart = await w.discord.slashCommand({ name: 'restart', options: { target: 'svc-00' }, user: OPERATOR });
    expect(answer(restart)).toBe('Restarting svc-00 (rollout restart requested).');
    expect(w.kube.restarts.map((r) => r.name)).toEqual(['svc-00']);

    // The network heals for all but svc-13: after successThreshold (2) cycles the brake releases and
    // svc-13, still down while Kubernetes says it is Ready, is judged alone, as usual.
    for (const p of hanging) if (p !== probes[13]) p.setHanging(false);
    await w.cycles(1);
    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual([OBSERVER_SUBJECT]);
    await w.cycles(1);
    const bySubject = Object.fromEntries(w.app.store.recentIncidents(0).map((i) => [i.subject, i.state]));
    expect(bySubject).toEqual({ [OBSERVER_SUBJECT]: 'resolved', [targetSubject('svc-13')]: 'open' });
    expect(topLevel(w)).toHaveLength(2);
    expect(messageOf(w, targetSubject('svc-13'))?.content).toBe(`<@&${HOMELAB_DISCORD.oncall}> Incident #2: svc-13 is down (timeout after 1s)`);
    expect(roleRings(w)).toBe(2);
    // Its own incident restarts it automatically, as for any target down alone: the only automatic restart.
    expect(w.kube.restarts.map((r) => r.name)).toEqual(['svc-00', 'svc-13']);
    expect(restartRequests(w)).toBe(2);
  });
});
