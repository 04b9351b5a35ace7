import { describe, expect, it } from 'vitest';
import { planCycle, type CycleInput } from '../../src/core/plan.js';
import { CLUSTER_SUBJECT } from '../../src/core/subject.js';
import { initialTargetState } from '../../src/core/hysteresis.js';
import type { Incident, Observation, Silence, TargetState } from '../../src/core/types.js';
import { HOUR, incident, MIN, node, restart, SEC, silence, snapshot, T0, target, workload } from './fixtures.js';
import { Loop } from './loop.js';

const fail = (t: string, detail = 'HTTP 503'): Observation => ({ target: t, result: 'fail', detail });
const ok = (t: string): Observation => ({ target: t, result: 'ok', detail: 'HTTP 200' });
const config = { targets: [target('frigate'), target('hass')], watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } };
const down = (name: string, overrides: Partial<TargetState> = {}): TargetState => ({
  ...initialTargetState(name),
  health: 'down',
  consecutiveFailures: 2,
  lastDetail: 'HTTP 503',
  lastObservedAt: T0 - 30 * SEC,
  ...overrides,
});

/** The Kubernetes API after one failed cycle: the next failed one confirms it down (thresholds 2). */
const apiFailedOnce: TargetState = { ...initialTargetState(CLUSTER_SUBJECT), consecutiveFailures: 1, lastDetail: 'ECONNREFUSED', lastObservedAt: T0 - 30 * SEC };

/** One cycle at T0 from a complete input; every case states only what differs from a quiet cluster. */
function plan(overrides: Partial<CycleInput> = {}) {
  return planCycle({
    now: T0,
    config,
    snapshot: snapshot([node('node-a'), node('node-b')], [workload('frigate', ['node-a']), workload('hass', ['node-b'])]),
    observations: [],
    targetStates: {},
    incidents: [],
    silences: [],
    restarts: [],
    ...overrides,
  });
}

const effectTypes = (p: ReturnType<typeof plan>, subject: string) => p.incidents.find((i) => i.incident.subject === subject)?.effects.map((e) => e.type);
const planned = (p: ReturnType<typeof plan>, subject: string) => p.incidents.find((i) => i.incident.subject === subject);

describe('planCycle: a quiet cluster', () => {
  it('plans nothing when nothing changes', () => {
    const p = plan({ observations: [ok('frigate'), ok('hass')], targetStates: { frigate: initialTargetState('frigate'), hass: initialTargetState('hass') } });
    expect(p.incidents).toEqual([]);
    expect(p.targetStates.map((s) => [s.target, s.health, s.consecutiveSuccesses])).toEqual([
      ['frigate', 'up', 1],
      ['hass', 'up', 1],
    ]);
  });

  it('keeps the state of a target without an observation and ignores observations of unknown targets', () => {
    const before = down('frigate', { lastGateReason: 'cooldown' });
    const p = plan({ observations: [fail('zigbee')], targetStates: { frigate: before }, incidents: [incident()], restarts: [restart({ requestedAt: T0 - MIN })] });
    expect(p.targetStates).toEqual([before, initialTargetState('hass')]);
  });

  it('forgets the remembered refusal of a target that is up', () => {
    const p = plan({ observations: [ok('frigate')], targetStates: { frigate: { ...initialTargetState('frigate'), lastGateReason: 'nodeNotReady' } } });
    expect(p.targetStates[0]?.lastGateReason).toBeNull();
  });
});

describe('planCycle: several targets at once', () => {
  it('a NotReady node gets one incident for its targets; a target elsewhere gets its own and is restarted', () => {
    const snap = snapshot([node('node-a', { ready: 'False' }), node('node-b')], [workload('frigate', ['node-a']), workload('hass', ['node-b'])]);
    const p = plan({ snapshot: snap, observations: [fail('frigate'), fail('hass', 'connection refused')], targetStates: { frigate: down('frigate'), hass: down('hass') } });
    expect(p.incidents.map((i) => [i.incident.subject, i.incident.targets, i.incident.cause])).toEqual([
      ['node:node-a', ['frigate'], 'node node-a is NotReady'],
      ['target:hass', ['hass'], 'hass is down: connection refused'],
    ]);
    expect(planned(p, 'target:hass')?.restarts).toContainEqual({ target: 'hass', automatic: true, requestedBy: 'scheduler' });
    expect(planned(p, 'node:node-a')?.restarts).toEqual([]);
    expect(planned(p, 'node:node-a')?.audit.find((a) => a.action === 'restartSkipped')).toMatchObject({ reason: 'nodeNotReady', detail: { target: 'frigate' } });
    expect(p.targetStates.map((s) => [s.target, s.lastGateReason])).toEqual([
      ['frigate', 'nodeNotReady'],
      ['hass', null],
    ]);
  });

  it('a target whose probe gave no detail is "failing"', () => {
    const p = plan({ targetStates: { hass: down('hass', { lastDetail: '' }) } });
    expect(planned(p, 'target:hass')?.incident.cause).toBe('hass is down: failing');
  });

  it('the first NotReady node in name order takes a target with pods on several bad nodes', () => {
    const snap = snapshot([node('node-c', { ready: 'False' }), node('node-b', { ready: 'Unknown' }), node('node-a')], [workload('frigate', ['node-c', 'node-b', 'node-a'])]);
    const p = plan({ snapshot: snap, targetStates: { frigate: down('frigate') } });
    expect(p.incidents.map((i) => [i.incident.subject, i.incident.targets])).toEqual([
      ['node:node-b', ['frigate']],
      ['node:node-c', []],
    ]);
  });

  it('a target already in an open incident of its own stays there when its node goes NotReady', () => {
    const snap = snapshot([node('node-a', { ready: 'False' }), node('node-b')], [workload('frigate', ['node-a'])]);
    const p = plan({ snapshot: snap, targetStates: { frigate: down('frigate') }, incidents: [incident()] });
    expect(planned(p, 'node:node-a')?.incident.targets).toEqual([]);
    expect(planned(p, 'target:frigate')?.audit.find((a) => a.action === 'restartSkipped')).toMatchObject({ reason: 'nodeNotReady' });
  });
});

describe('planCycle: watchNodes off', () => {
  const off = { ...config, watchNodes: false };

  it('still opens the node incident for targets down behind a NotReady node', () => {
    const snap = snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a'])]);
    const p = plan({ config: off, snapshot: snap, targetStates: { frigate: down('frigate') } });
    expect(p.incidents.map((i) => [i.incident.subject, i.incident.state, i.incident.targets])).toEqual([['node:node-a', 'open', ['frigate']]]);
  });

  it('opens nothing for a NotReady node with nothing down on it', () => {
    const snap = snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a'])]);
    expect(plan({ config: off, snapshot: snap }).incidents).toEqual([]);
  });

  it('keeps following an open node incident after its targets came back while the node is still bad', () => {
    const snap = snapshot([node('node-a', { ready: 'Unknown' })], [workload('frigate', ['node-a'])]);
    const open = incident({ id: 3, subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['frigate'] });
    const p = plan({ config: off, snapshot: snap, incidents: [open] });
    expect(planned(p, 'node:node-a')?.incident.cause).toBe("node node-a's readiness is Unknown (its kubelet stopped reporting)");
    expect(planned(p, 'node:node-a')?.audit.map((a) => a.action)).toEqual(['causeChanged']);
  });
});

describe('planCycle: nodes that come back or disappear', () => {
  const nodeIncident = (overrides: Partial<Incident> = {}) =>
    incident({ id: 3, subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['frigate'], ...overrides });

  it('a node that disappears from the cluster: its incident says so and nothing on it is restarted', () => {
    const snap = snapshot([node('node-b')], [workload('frigate', ['node-a'])]);
    const p = plan({ snapshot: snap, targetStates: { frigate: down('frigate') }, incidents: [nodeIncident()] });
    const step = planned(p, 'node:node-a');
    expect(step?.incident).toMatchObject({ state: 'open', cause: 'node node-a is not in the cluster', targets: ['frigate'] });
    expect(step?.effects).toContainEqual({ type: 'threadNote', text: 'node node-a is not in the cluster' });
    expect(step?.audit.find((a) => a.action === 'restartSkipped')).toMatchObject({ reason: 'nodeMissing' });
  });

  it('an open node incident whose node vanished with nothing down on it stays open and says why', () => {
    const p = plan({ snapshot: snapshot([node('node-b')], []), incidents: [nodeIncident({ targets: [] })] });
    expect(planned(p, 'node:node-a')?.incident).toMatchObject({ state: 'open', cause: 'node node-a is not in the cluster' });
  });

  it('a Ready node keeps its incident open while a target it lists is down, then resolves', () => {
    const back = snapshot([node('node-a', { readySince: T0 - 5 * MIN })], [workload('frigate', ['node-a'])]);
    const p = plan({ snapshot: back, targetStates: { frigate: down('frigate') }, incidents: [nodeIncident()] });
    expect(planned(p, 'node:node-a')?.incident).toMatchObject({ state: 'open', cause: 'node node-a is Ready again; still down: frigate' });
    // The node has been Ready past the grace: the restart passes the gate, in the node's thread.
    expect(planned(p, 'node:node-a')?.restarts).toContainEqual({ target: 'frigate', automatic: true, requestedBy: 'scheduler' });
    const recovered = plan({ snapshot: back, observations: [ok('frigate'), ok('frigate')], targetStates: { frigate: down('frigate', { consecutiveSuccesses: 1 }) }, incidents: [nodeIncident()] });
    expect(planned(recovered, 'node:node-a')?.incident).toMatchObject({ state: 'resolved', cause: 'node node-a is Ready and everything on it is up' });
  });

  it('a node incident resolves when the node is Ready and nothing is listed as down', () => {
    const p = plan({ incidents: [nodeIncident({ targets: [] })] });
    expect(planned(p, 'node:node-a')?.incident).toMatchObject({ state: 'resolved', resolvedAt: T0 });
    expect(effectTypes(p, 'node:node-a')).toEqual(['editMessage', 'threadNote', 'archiveThread']);
  });

  it('waits out the node recovery grace before restarting, then restarts', () => {
    const justBack = snapshot([node('node-a', { readySince: T0 - 10 * SEC })], [workload('frigate', ['node-a'])]);
    const p = plan({ snapshot: justBack, targetStates: { frigate: down('frigate') }, incidents: [nodeIncident()] });
    expect(planned(p, 'node:node-a')?.audit.find((a) => a.action === 'restartSkipped')).toMatchObject({ reason: 'nodeRecovering' });
    expect(p.targetStates[0]?.lastGateReason).toBe('nodeRecovering');
  });
});

describe('planCycle: which incident a down target joins', () => {
  it('a target the cluster reported no workload for gets an incident of its own', () => {
    const snap = snapshot([node('node-a'), node('node-b')], [workload('hass', ['node-b'])]);
    const p = plan({ snapshot: snap, targetStates: { frigate: down('frigate') } });
    expect(p.incidents.map((i) => [i.incident.subject, i.incident.kind, i.incident.targets])).toEqual([['target:frigate', 'target', ['frigate']]]);
  });

  it('another target’s open incident does not take it in', () => {
    const hassIncident = incident({ id: 8, subject: 'target:hass', targets: ['hass'], cause: 'hass is down: HTTP 503' });
    const p = plan({ targetStates: { frigate: down('frigate'), hass: down('hass') }, incidents: [hassIncident], restarts: [restart({ target: 'hass', incidentId: 8, requestedAt: T0 - MIN })] });
    const withFrigate = p.incidents.filter((i) => i.incident.targets.includes('frigate'));
    expect(withFrigate.map((i) => [i.incident.subject, i.incident.id, i.incident.targets])).toEqual([['target:frigate', null, ['frigate']]]);
  });

  it('a recently resolved incident of another target does not take it in', () => {
    const hassIncident = incident({ id: 8, subject: 'target:hass', targets: ['hass'], state: 'resolved', resolvedAt: T0 - MIN });
    const p = plan({ targetStates: { frigate: down('frigate') }, incidents: [hassIncident] });
    expect(p.incidents.map((i) => [i.incident.subject, i.incident.id])).toEqual([['target:frigate', null]]);
  });

  it('an open node incident that does not list it does not take it in', () => {
    const nodeB = incident({ id: 3, subject: 'node:node-b', kind: 'node', targets: ['hass'], cause: 'node node-b is Ready again; still down: hass' });
    const p = plan({ targetStates: { frigate: down('frigate'), hass: down('hass') }, incidents: [nodeB], restarts: [restart({ target: 'hass', incidentId: 3, requestedAt: T0 - MIN })] });
    const withFrigate = p.incidents.filter((i) => i.incident.targets.includes('frigate'));
    expect(withFrigate.map((i) => [i.incident.subject, i.incident.targets])).toEqual([['target:frigate', ['frigate']]]);
  });

  it('a Ready node lists every target of its that is still down', () => {
    const snap = snapshot([node('node-a')], [workload('frigate', ['node-a']), workload('hass', ['node-a'])]);
    const open = incident({ id: 3, subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['frigate', 'hass'] });
    const p = plan({ snapshot: snap, targetStates: { frigate: down('frigate'), hass: down('hass') }, incidents: [open] });
    expect(planned(p, 'node:node-a')?.incident.cause).toBe('node node-a is Ready again; still down: frigate, hass');
  });

  it('a node that left the cluster long ago, with its incident resolved, opens nothing', () => {
    const old = incident({ id: 3, subject: 'node:node-z', kind: 'node', state: 'resolved', resolvedAt: T0 - 2 * MIN, targets: [] });
    expect(plan({ incidents: [old] }).incidents).toEqual([]);
  });

  it('ticks subjects in a stable order, whatever order the store returned them in', () => {
    // While the API is unreachable only the ticks touch target incidents: their order is the plan's.
    const stale = (name: string, id: number) => incident({ id, subject: `target:${name}`, targets: [name], notifiedAt: T0 - 20 * MIN });
    const unreachable = { reachable: false as const, observedAt: T0, error: 'ECONNREFUSED' };
    for (const incidents of [
      [stale('hass', 2), stale('frigate', 1)],
      [stale('frigate', 1), stale('hass', 2)],
    ]) {
      expect(plan({ snapshot: unreachable, incidents, clusterState: apiFailedOnce }).incidents.map((i) => i.incident.subject)).toEqual(['cluster', 'target:frigate', 'target:hass']);
    }
  });
});

describe('planCycle: incidents whose target left the configuration', () => {
  it('resolves them, saying why', () => {
    const gone = incident({ id: 4, subject: 'target:zigbee', targets: ['zigbee'], cause: 'zigbee is down: HTTP 503' });
    const p = plan({ incidents: [gone] });
    expect(planned(p, 'target:zigbee')?.incident).toMatchObject({ id: 4, state: 'resolved', cause: 'zigbee is no longer in the configuration' });
  });

  it('names the target from the subject when the incident lists none', () => {
    const gone = incident({ id: 4, subject: 'target:zigbee', targets: [] });
    expect(planned(plan({ incidents: [gone] }), 'target:zigbee')?.incident.cause).toBe('zigbee is no longer in the configuration');
  });

  it('leaves an open incident of a configured target alone while the target is still down', () => {
    const p = plan({ targetStates: { frigate: down('frigate', { lastGateReason: 'cooldown' }) }, incidents: [incident()], restarts: [restart({ requestedAt: T0 - MIN })] });
    expect(p.incidents).toEqual([]);
  });

  it('resolves a configured target’s incident once it is up', () => {
    const p = plan({ incidents: [incident()] });
    expect(planned(p, 'target:frigate')?.incident).toMatchObject({ state: 'resolved', cause: 'frigate is healthy again' });
  });
});

describe('planCycle: silences of one target leave the others ringing', () => {
  const bothDown = { frigate: down('frigate'), hass: down('hass') };

  it.each([
    ['frigate silenced', [silence({ scope: { kind: 'target', name: 'frigate' } })], { frigate: false, hass: true }],
    ['hass silenced', [silence({ scope: { kind: 'target', name: 'hass' } })], { frigate: true, hass: false }],
    ['both silenced', [silence({ scope: { kind: 'target', name: 'frigate' } }), silence({ id: 2, scope: { kind: 'target', name: 'hass' } })], { frigate: false, hass: false }],
    ['everything silenced', [silence({ scope: { kind: 'everything' } })], { frigate: false, hass: false }],
    ['silence over', [silence({ scope: { kind: 'target', name: 'frigate' }, endsAt: T0 })], { frigate: true, hass: true }],
    ['silence lifted', [silence({ scope: { kind: 'target', name: 'frigate' }, liftedAt: T0 - MIN })], { frigate: true, hass: true }],
    // Made "after" now: the clock stepped back since; a silence is never pending, it stays in force.
    ['silence made after now', [silence({ scope: { kind: 'target', name: 'frigate' }, startsAt: T0 + MIN })], { frigate: false, hass: true }],
  ] as Array<[string, Silence[], Record<string, boolean>]>)('%s', (_name, silences, rings) => {
    const p = plan({ targetStates: bothDown, silences });
    for (const [name, ring] of Object.entries(rings)) {
      const step = planned(p, `target:${name}`);
      expect(step?.effects[0]).toEqual({ type: 'postMessage', mention: ring });
      expect(step?.incident.notifiedAt).toBe(ring ? T0 : null);
      // A silenced target is not restarted automatically either.
      expect((step?.restarts.length ?? 0) > 0).toBe(ring);
    }
  });

  it('a node incident rings unless every target it affects is silenced', () => {
    const snap = snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a']), workload('hass', ['node-a'])]);
    const one = plan({ snapshot: snap, targetStates: bothDown, silences: [silence({ scope: { kind: 'target', name: 'frigate' } })] });
    expect(planned(one, 'node:node-a')?.effects[0]).toEqual({ type: 'postMessage', mention: true });
    const all = plan({ snapshot: snap, targetStates: bothDown, silences: [silence({ scope: { kind: 'target', name: 'frigate' } }), silence({ id: 2, scope: { kind: 'target', name: 'hass' } })] });
    expect(planned(all, 'node:node-a')?.effects[0]).toEqual({ type: 'postMessage', mention: false });
  });

  it('a silence of a node incident’s subject mutes it', () => {
    const snap = snapshot([node('node-a', { ready: 'False' })], []);
    const p = plan({ snapshot: snap, silences: [silence({ scope: { kind: 'node', name: 'node-a' } })] });
    expect(planned(p, 'node:node-a')?.effects[0]).toEqual({ type: 'postMessage', mention: false });
  });
});

describe('planCycle: the cluster API', () => {
  const unreachable = { reachable: false as const, observedAt: T0, error: 'ECONNREFUSED' };

  it('opens one cluster incident, keeps every target state and still escalates what is open', () => {
    const states = { frigate: down('frigate') };
    const stale = incident({ notifiedAt: T0 - 20 * MIN });
    const p = plan({ snapshot: unreachable, observations: [fail('frigate'), fail('hass')], targetStates: states, incidents: [stale], clusterState: apiFailedOnce });
    expect(p.targetStates).toEqual([states.frigate, initialTargetState('hass')]);
    expect(planned(p, CLUSTER_SUBJECT)?.incident).toMatchObject({ subject: 'cluster', kind: 'cluster', cause: 'Kubernetes API unreachable: ECONNREFUSED', targets: [] });
    expect(effectTypes(p, 'target:frigate')).toEqual(['ring', 'email', 'push']);
    expect(p.incidents.flatMap((i) => i.restarts)).toEqual([]);
  });

  it.each([
    ['the first failed cycle', undefined, false],
    ['the second failed cycle in a row', apiFailedOnce, true],
  ] as Array<[string, TargetState | undefined, boolean]>)('with thresholds 2, %s opens the cluster incident: %s', (_name, before, opens) => {
    const p = plan({ snapshot: unreachable, clusterState: before });
    expect(p.clusterState).toMatchObject({ health: opens ? 'down' : 'up', consecutiveFailures: opens ? 2 : 1, lastDetail: 'ECONNREFUSED' });
    expect(planned(p, CLUSTER_SUBJECT)?.effects ?? []).toEqual(opens ? [{ type: 'postMessage', mention: true }, { type: 'push', reason: 'open' }] : []);
  });

  it('an answer between two failed cycles starts the count again', () => {
    const answered = plan({ clusterState: apiFailedOnce }).clusterState;
    expect(answered).toMatchObject({ health: 'up', consecutiveFailures: 0 });
    expect(plan({ snapshot: unreachable, clusterState: answered }).incidents).toEqual([]);
  });

  it('takes the smallest thresholds of any target: with one target at failureThreshold 1 the first failed cycle opens it', () => {
    const sensitive = { ...config, targets: [target('frigate', { failureThreshold: 1 }), target('hass', { failureThreshold: 5 })] };
    expect(planned(plan({ config: sensitive, snapshot: unreachable }), CLUSTER_SUBJECT)?.incident.state).toBe('open');
    const patient = { ...config, targets: [target('frigate', { failureThreshold: 3 }), target('hass', { failureThreshold: 5 })] };
    expect(planned(plan({ config: patient, snapshot: unreachable, clusterState: apiFailedOnce }), CLUSTER_SUBJECT)).toBeUndefined();
  });

  it('without targets, the default thresholds (2) hold', () => {
    const none = { ...config, targets: [] };
    expect(plan({ config: none, snapshot: unreachable }).incidents).toEqual([]);
    expect(planned(plan({ config: none, snapshot: unreachable, clusterState: apiFailedOnce }), CLUSTER_SUBJECT)?.incident.state).toBe('open');
  });

  it('keeps the cluster incident open until successThreshold cycles answered in a row, judging targets on the fresh data meanwhile', () => {
    const cluster = incident({ id: 9, subject: 'cluster', kind: 'cluster', targets: [], cause: 'Kubernetes API unreachable: ECONNREFUSED' });
    const apiDown: TargetState = { ...apiFailedOnce, health: 'down', consecutiveFailures: 6 };
    const first = plan({ incidents: [cluster], clusterState: apiDown, observations: [fail('frigate')], targetStates: { frigate: down('frigate') } });
    expect(first.clusterState).toMatchObject({ health: 'down', consecutiveSuccesses: 1 });
    expect(planned(first, CLUSTER_SUBJECT)).toBeUndefined();
    expect(planned(first, 'target:frigate')?.incident.state).toBe('open');
    const second = plan({ incidents: [cluster], clusterState: first.clusterState });
    expect(planned(second, CLUSTER_SUBJECT)?.incident).toMatchObject({ state: 'resolved', cause: 'the Kubernetes API answers again' });
  });

  it('resolves the cluster incident when the API answers again', () => {
    const cluster = incident({ id: 9, subject: 'cluster', kind: 'cluster', targets: [], cause: 'Kubernetes API unreachable: ECONNREFUSED' });
    const p = plan({ incidents: [cluster] });
    expect(planned(p, 'cluster')?.incident).toMatchObject({ state: 'resolved', cause: 'the Kubernetes API answers again' });
  });
});

describe('planCycle: which remembered incident a subject continues', () => {
  const older = incident({ id: 1, state: 'resolved', openedAt: T0 - 60 * MIN, resolvedAt: T0 - 50 * MIN });
  const newer = incident({ id: 2, state: 'resolved', openedAt: T0 - 8 * MIN, resolvedAt: T0 - 2 * MIN });

  it.each([
    ['older first', [older, newer]],
    ['newer first', [newer, older]],
  ])('the latest opened one reopens (%s)', (_name, incidents) => {
    const p = plan({ targetStates: { frigate: down('frigate') }, incidents });
    expect(planned(p, 'target:frigate')?.incident).toMatchObject({ id: 2, state: 'open', reopenCount: 1 });
  });

  it.each([
    [10 * MIN, 'node:node-a'],
    [10 * MIN + 1, 'target:frigate'],
  ])('a target down again %d ms after its node incident resolved goes to %s', (ago, subject) => {
    const resolved = incident({ id: 3, subject: 'node:node-a', kind: 'node', state: 'resolved', resolvedAt: T0 - ago, targets: ['frigate'] });
    const p = plan({ targetStates: { frigate: down('frigate') }, incidents: [resolved] });
    expect(p.incidents.filter((i) => i.incident.state === 'open').map((i) => i.incident.subject)).toEqual([subject]);
  });

  it('folds into the most recently resolved of several candidates, never into the cluster incident', () => {
    const nodeA = incident({ id: 3, subject: 'node:node-a', kind: 'node', state: 'resolved', resolvedAt: T0 - 5 * MIN, targets: ['frigate'] });
    const nodeB = incident({ id: 4, subject: 'node:node-b', kind: 'node', state: 'resolved', resolvedAt: T0 - 2 * MIN, targets: ['frigate'] });
    const cluster = incident({ id: 5, subject: 'cluster', kind: 'cluster', state: 'resolved', resolvedAt: T0 - MIN, targets: ['frigate'] });
    for (const incidents of [
      [nodeA, nodeB, cluster],
      [cluster, nodeB, nodeA],
    ]) {
      const p = plan({ targetStates: { frigate: down('frigate') }, incidents });
      expect(p.incidents.filter((i) => i.incident.state === 'open').map((i) => i.incident.id)).toEqual([4]);
    }
  });

  it('a target freshly replacing a resolved incident starts its own effect list', () => {
    const old = incident({ id: 1, state: 'resolved', resolvedAt: T0 - HOUR });
    const p = plan({ targetStates: { frigate: down('frigate') }, incidents: [old] });
    const step = planned(p, 'target:frigate');
    expect(step?.incident.id).toBeNull();
    expect(step?.effects.map((e) => e.type)).toEqual(['postMessage', 'push', 'threadNote', 'editMessage']);
    expect(step?.restarts).toEqual([{ target: 'frigate', automatic: true, requestedBy: 'scheduler' }]);
  });
});

describe('planCycle over time: automatic restarts, backoff and the circuit breaker', () => {
  const snap = snapshot([node('node-a')], [workload('frigate', ['node-a'])]);

  it('restarts with growing backoff, then stops after circuitBreakAfter, without ringing twice after the escalation', () => {
    const frigate = target('frigate', { restart: { ...target('frigate').restart, maxPerHour: 10 } });
    const loop = new Loop({ config: { ...config, targets: [frigate] }, silences: [] });
    for (let i = 0; i < 60; i++) loop.cycle(T0 + i * 30 * SEC, snap, [fail('frigate')]);
    // Down at 30s; the 2m cooldown hides the 1m first backoff; then 5m; then 15m before the breaker.
    expect(loop.restarts.map((r) => (r.requestedAt - T0) / SEC)).toEqual([30, 150, 450]);
    // Unacknowledged 15m after the ring it escalated (930s); the breaker (1350s) must not ring again.
    expect(loop.incidents).toMatchObject([{ subject: 'target:frigate', restartCount: 3, needsHuman: true, escalatedAt: T0 + 930 * SEC }]);
    expect(loop.effects('ring')).toEqual([expect.objectContaining({ reason: 'escalation' })]);
    expect(loop.audits('circuitOpen').map((a) => a.at)).toEqual([T0 + 1350 * SEC]);
    expect(loop.audits('restartSkipped').map((a) => [(a.at - T0) / SEC, a.reason])).toEqual([
      [60, 'cooldown'],
      [180, 'cooldown'],
      [270, 'backoff'],
      [480, 'cooldown'],
      [570, 'backoff'],
      [1350, 'circuitOpen'],
    ]);
  });

  it('with the defaults (3 per hour, breaker after 3) the hourly limit speaks first, the breaker an hour after the first restart', () => {
    const loop = new Loop({ config: { ...config, targets: [target('frigate')] }, silences: [] });
    for (let i = 0; i < 125; i++) loop.cycle(T0 + i * 30 * SEC, snap, [fail('frigate')]);
    expect(loop.restarts.map((r) => (r.requestedAt - T0) / SEC)).toEqual([30, 150, 450]);
    expect(loop.audits('restartSkipped').map((a) => [(a.at - T0) / SEC, a.reason])).toEqual([
      [60, 'cooldown'],
      [180, 'cooldown'],
      [270, 'backoff'],
      [480, 'cooldown'],
      [570, 'rateLimited'],
      [3630, 'circuitOpen'],
    ]);
  });
});
