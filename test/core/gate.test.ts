import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/types.js';
import { evaluateGate, GATE_REASONS, isWaitingReason, restartHistorySince, type GateInput, type GateReason } from '../../src/core/gate.js';
import type { Silence } from '../../src/core/types.js';
import type { MaintenanceWindow } from '../../src/core/windows.js';
import { container, failingPod, failingWorkload, gateInput as passing, HOUR, incident, maintenanceRecord, MIN, node, restart, SEC, silence, snapshot, T0, target, workload } from './fixtures.js';

// `passing()` passes every check; each case below breaks exactly one precondition.

/** Node-a Ready, frigate's one pod on it failing as given. */
function failing(pod: ReturnType<typeof failingPod>, overrides: Parameters<typeof failingWorkload>[1] = {}) {
  return snapshot([node('node-a')], [failingWorkload(pod, overrides)]);
}

/** The open observer incident: the mass-failure brake holds. */
const observerIncident = incident({ id: 30, subject: 'observer', kind: 'observer', targets: ['frigate'], cause: '3 of 4 targets stopped answering at once while Kubernetes reports them Ready — is stormguard\'s network broken?' });

/** frigate on node-a and hass on node-b, both healthy; frigate's open incident is #7. */
function input(overrides: Partial<GateInput> = {}): GateInput {
  return {
    targetName: 'frigate',
    mode: 'automatic',
    targets: [target('frigate'), target('hass')],
    snapshot: snapshot([node('node-a'), node('node-b')], [workload('frigate', ['node-a']), workload('hass', ['node-b'])]),
    restarts: [],
    incident: incident(),
    silences: [],
    now: T0,
    ...overrides,
  };
}

const withRestart = (overrides: Partial<TargetConfig['restart']>): TargetConfig[] => [
  target('frigate', { restart: { ...target('frigate').restart, ...overrides } }),
  target('hass'),
];

const verdict = (i: GateInput): string => {
  const d = evaluateGate(i);
  return d.allowed ? 'allowed' : d.reason;
};

const cases: Array<{ reason: GateReason; input: GateInput; mentions: string[] }> = [
  { reason: 'unknownTarget', input: passing({ targetName: 'kube-system/coredns' }), mentions: ['kube-system/coredns', 'not a configured target'] },
  {
    reason: 'clusterUnreachable',
    input: passing({ snapshot: { reachable: false, observedAt: T0, error: 'connect ECONNREFUSED' } }),
    mentions: ['Kubernetes API', 'ECONNREFUSED'],
  },
  {
    // The fourth target in the configuration: the sentence points at targets[3].
    reason: 'workloadMissing',
    input: passing({
      targets: [target('a'), target('b'), target('c'), target('frigate')],
      snapshot: snapshot([node('node-a')], [workload('frigate', [], { found: false, pods: [], readyReplicas: 0, desiredReplicas: 0 })]),
    }),
    mentions: ['Deployment nvr/frigate not found — check targets[3].workload'],
  },
  {
    // Before the node's own state: the maintenance explains also a drained pod rescheduling elsewhere.
    reason: 'nodeMaintenance',
    input: passing({ snapshot: snapshot([node('node-a', { ready: 'False', unschedulable: true })], [workload('frigate', ['node-a'])]), maintenance: { records: [maintenanceRecord({ signals: ['cordoned', 'kured reboot'] })], settleAfter: 10 * MIN } }),
    mentions: ['node-a is in planned maintenance (cordoned, kured reboot)'],
  },
  { reason: 'nodeMissing', input: passing({ snapshot: snapshot([], [workload('frigate', ['node-a'])]) }), mentions: ['node-a'] },
  {
    reason: 'nodeNotReady',
    input: passing({ snapshot: snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a'])]) }),
    mentions: ['node-a', 'NotReady'],
  },
  {
    reason: 'nodeUnknown',
    input: passing({ snapshot: snapshot([node('node-a', { ready: 'Unknown' })], [workload('frigate', ['node-a'])]) }),
    mentions: ['node-a', 'Unknown'],
  },
  {
    reason: 'nodeCordoned',
    input: passing({ snapshot: snapshot([node('node-a', { unschedulable: true })], [workload('frigate', ['node-a'])]) }),
    mentions: ['node-a', 'cordoned'],
  },
  {
    reason: 'imagePull',
    input: passing({ snapshot: failing(failingPod([container({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/blakeblackshear/frigate:0.14"' } })])) }),
    mentions: ['a restart cannot help', 'ImagePullBackOff in container frigate', 'frigate:0.14 cannot be pulled', 'check the tag'],
  },
  {
    reason: 'containerConfig',
    input: passing({ snapshot: failing(failingPod([container({ waiting: { reason: 'CreateContainerConfigError', message: 'secret "frigate-mqtt" not found' } })])) }),
    mentions: ['CreateContainerConfigError', 'secret "frigate-mqtt" not found', 'create it'],
  },
  {
    reason: 'containerCreate',
    input: passing({ snapshot: failing(failingPod([container({ name: 'setup', init: true, waiting: { reason: 'RunContainerError', message: 'exec: "/init.sh": permission denied' } })])) }),
    mentions: ['RunContainerError in container init:setup', 'permission denied'],
  },
  {
    reason: 'unschedulable',
    input: passing({ snapshot: failing(failingPod([], { node: null, phase: 'Pending', unschedulable: '0/3 nodes are available: 3 Insufficient memory.' })) }),
    mentions: ['Unschedulable', '0/3 nodes are available: 3 Insufficient memory.', 'free capacity'],
  },
  {
    reason: 'volume',
    input: passing({
      snapshot: failing(failingPod([container({ waiting: { reason: 'ContainerCreating', message: '' } })]), {
        events: [{ reason: 'FailedAttachVolume', message: 'Multi-Attach error for volume "pvc-1" Volume is already exclusively attached to one node', object: 'Pod/frigate-7d9f-abcde', count: 4, lastSeen: T0 - MIN }],
      }),
    }),
    mentions: ['FailedAttachVolume', 'Multi-Attach error', 'the node that still holds it'],
  },
  {
    // Stuck for ever "in progress": the deadline the Deployment controller reports decides first.
    reason: 'rolloutStuck',
    input: passing({ snapshot: failing(failingPod([container()]), { rolloutInProgress: true, progressDeadlineExceeded: 'ReplicaSet "frigate-7d9f" has timed out progressing.' }) }),
    mentions: ['ProgressDeadlineExceeded', 'has timed out progressing', 'roll back'],
  },
  {
    reason: 'oomKilled',
    input: passing({ snapshot: failing(failingPod([container({ memoryLimit: '512Mi', restartCount: 5, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' }, lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: T0 - MIN } })])) }),
    mentions: ['an automatic restart cannot help', 'memory limit 512Mi', 'OOMKilled', 'raise resources.limits.memory'],
  },
  {
    reason: 'restartInProgress',
    input: passing({ snapshot: snapshot([node('node-a')], [workload('frigate', ['node-a'], { rolloutInProgress: true })]) }),
    mentions: ['rollout'],
  },
  { reason: 'cooldown', input: passing({ restarts: [restart({ requestedAt: T0 - 30 * SEC })] }), mentions: ['30s ago', '1m30s'] },
  { reason: 'autoRestartDisabled', input: passing({ targets: [target('frigate', { autoRestart: false })] }), mentions: ['turned off'] },
  { reason: 'massFailure', input: passing({ observer: observerIncident }), mentions: ['automatic restarts hold', "stormguard's own view", 'a person may still restart'] },
  {
    reason: 'nodeRecovering',
    input: passing({ snapshot: snapshot([node('node-a', { readySince: T0 - 20 * SEC })], [workload('frigate', ['node-a'])]) }),
    mentions: ['node-a', '20s', '40s'],
  },
  { reason: 'silenced', input: passing({ silences: [silence()] }), mentions: ['silenced until'] },
  { reason: 'maintenanceWindow', input: passing({ windows: [maintenanceWindow()] }), mentions: ['frigate is in a maintenance window until', 'NAS firmware'] },
  {
    reason: 'rateLimited',
    input: passing({
      restarts: [10, 20, 30].map((m, i) => restart({ id: i, requestedAt: T0 - m * MIN, incidentId: 3 })),
    }),
    mentions: ['3 times', 'limit 3'],
  },
  { reason: 'backoff', input: passing({ restarts: [restart({ requestedAt: T0 - 3 * MIN })], targets: [target('frigate', { restart: { ...target('x').restart, backoff: [5 * MIN] } })] }), mentions: ['2m'] },
  {
    reason: 'circuitOpen',
    input: passing({ restarts: [2, 1.5, 1.2].map((h, i) => restart({ id: i, requestedAt: T0 - h * HOUR })) }),
    mentions: ['3 automatic restarts', 'frigate'],
  },
];

describe('evaluateGate: every reason, in SPEC order', () => {
  it('allows a restart when every precondition holds', () => {
    expect(evaluateGate(passing())).toMatchObject({ allowed: true });
    expect(evaluateGate(passing({ mode: 'manual' }))).toMatchObject({ allowed: true });
  });

  it('covers every reason it can give', () => {
    expect(cases.map((c) => c.reason)).toEqual([...GATE_REASONS]);
  });

  it.each(cases)('refuses with $reason and says why in words', ({ reason, input, mentions }) => {
    const decision = evaluateGate(input);
    expect(decision).toMatchObject({ allowed: false, reason });
    if (decision.allowed) return;
    for (const m of mentions) expect(decision.message).toContain(m);
  });

  it('checks in SPEC order: with every precondition broken, each fix reveals the next reason', () => {
    // Break everything at once, then repair one precondition at a time, in order.
    const broken: GateInput = passing({
      targetName: 'nope',
      snapshot: { reachable: false, observedAt: T0, error: 'down' },
    });
    const sequence: GateReason[] = [];
    let input = broken;
    const repairs: Array<(i: GateInput) => GateInput> = [
      (i) => ({ ...i, targetName: 'frigate' }),
      (i) => ({ ...i, snapshot: snapshot([node('node-a', { ready: 'False', unschedulable: true })], [workload('frigate', ['node-a'], { found: false, rolloutInProgress: true })]) }),
      (i) => ({ ...i, snapshot: snapshot([node('node-a', { ready: 'False', unschedulable: true })], [workload('frigate', ['node-a'], { rolloutInProgress: true })]) }),
      (i) => ({ ...i, snapshot: snapshot([node('node-a', { unschedulable: true, readySince: T0 - 5 * SEC })], [workload('frigate', ['node-a'], { rolloutInProgress: true })]) }),
      (i) => ({ ...i, snapshot: snapshot([node('node-a', { readySince: T0 - 5 * SEC })], [workload('frigate', ['node-a'], { rolloutInProgress: true })]) }),
      (i) => ({
        ...i,
        snapshot: snapshot([node('node-a', { readySince: T0 - 5 * SEC })], [workload('frigate', ['node-a'])]),
        restarts: [restart({ requestedAt: T0 - 10 * SEC })],
        silences: [silence()],
        windows: [maintenanceWindow()],
        targets: [target('frigate', { autoRestart: false })],
      }),
      (i) => ({ ...i, restarts: [10, 20, 30].map((m, n) => restart({ id: n, requestedAt: T0 - m * MIN })) }),
      (i) => ({ ...i, targets: [target('frigate')] }),
      (i) => ({ ...i, snapshot: snapshot([node('node-a')], [workload('frigate', ['node-a'])]) }),
      (i) => ({ ...i, silences: [] }),
      (i) => ({ ...i, windows: [] }),
    ];
    for (const repair of [(i: GateInput) => i, ...repairs]) {
      input = repair(input);
      const d = evaluateGate(input);
      sequence.push(d.allowed ? ('allowed' as GateReason) : d.reason);
    }
    expect(sequence).toEqual([
      'unknownTarget',
      'clusterUnreachable',
      'workloadMissing',
      'nodeNotReady',
      'nodeCordoned',
      'restartInProgress',
      'cooldown',
      'autoRestartDisabled',
      'nodeRecovering',
      'silenced',
      'maintenanceWindow',
      'rateLimited',
    ]);
  });

  it('lets a person restart past the automatic-only checks but never past a NotReady node', () => {
    const manual = passing({ mode: 'manual', silences: [silence()], targets: [target('frigate', { autoRestart: false })] });
    expect(evaluateGate(manual)).toMatchObject({ allowed: true });
    const notReady = { ...manual, snapshot: snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a'])]) };
    expect(evaluateGate(notReady)).toMatchObject({ allowed: false, reason: 'nodeNotReady' });
  });

  it('holds automatic restarts while the observer incident is open, not once it resolved; a person passes the hold', () => {
    expect(evaluateGate(passing({ observer: observerIncident }))).toMatchObject({ allowed: false, reason: 'massFailure', context: { observerIncidentId: 30 } });
    expect(evaluateGate(passing({ observer: { ...observerIncident, state: 'acknowledged', acknowledgedBy: '1', acknowledgedAt: T0 } }))).toMatchObject({ reason: 'massFailure' });
    expect(evaluateGate(passing({ observer: { ...observerIncident, state: 'resolved', resolvedAt: T0 - MIN } }))).toMatchObject({ allowed: true });
    expect(evaluateGate(passing({ observer: null }))).toMatchObject({ allowed: true });
    expect(evaluateGate(passing({ mode: 'manual', observer: observerIncident }))).toMatchObject({ allowed: true });
    // It comes after the restart-wide checks and before the node's recovery grace.
    expect(evaluateGate(passing({ observer: observerIncident, targets: [target('frigate', { autoRestart: false })] }))).toMatchObject({ reason: 'autoRestartDisabled' });
    const recovering = snapshot([node('node-a', { readySince: T0 - 5 * SEC })], [workload('frigate', ['node-a'])]);
    expect(evaluateGate(passing({ observer: observerIncident, snapshot: recovering }))).toMatchObject({ reason: 'massFailure' });
  });

  it('treats an in-flight restart attempt as a restart in progress', () => {
    const d = evaluateGate(passing({ mode: 'manual', restarts: [restart({ status: 'pending', requestedAt: T0 - 10 * MIN })] }));
    expect(d).toMatchObject({ allowed: false, reason: 'restartInProgress' });
  });

  it('counts backoff within the incident and grows it per attempt', () => {
    const attempts = (ago: number[]) => ago.map((m, i) => restart({ id: i, requestedAt: T0 - m * MIN }));
    // One attempt 2m ago: first backoff (1m) has passed.
    expect(evaluateGate(passing({ restarts: attempts([2 * 60]) })).allowed).toBe(true);
    // Two attempts, latest 3m ago: second backoff is 5m.
    expect(evaluateGate(passing({ restarts: attempts([70, 3]) }))).toMatchObject({ reason: 'backoff' });
    // Restarts from another incident do not count toward this one's backoff.
    expect(evaluateGate(passing({ restarts: [restart({ incidentId: 1, requestedAt: T0 - 3 * MIN })] }))).toMatchObject({ allowed: true });
  });

  it('reads the circuit breaker from the incident: once tripped it stays open with no restart rows at all', () => {
    const tripped = incident({ needsHuman: true, restartCount: 3 });
    expect(evaluateGate(passing({ incident: tripped, restarts: [] }))).toMatchObject({
      allowed: false,
      reason: 'circuitOpen',
      message: expect.stringContaining('a person needs to look'),
    });
    // A person is not held back by it.
    expect(evaluateGate(passing({ mode: 'manual', incident: tripped, restarts: [] }))).toMatchObject({ allowed: true });
  });

  it('is muted by a silence of the target, of everything, or of the incident that covers it — not of another node', () => {
    const nodeIncident = incident({ subject: 'node:node-a', kind: 'node', targets: ['frigate', 'hass'] });
    const muted = (scope: Silence['scope'], covering = nodeIncident) => evaluateGate(passing({ incident: covering, silences: [silence({ scope })] }));
    expect(muted({ kind: 'target', name: 'frigate' })).toMatchObject({ reason: 'silenced' });
    expect(muted({ kind: 'everything' })).toMatchObject({ reason: 'silenced' });
    expect(muted({ kind: 'node', name: 'node-a' })).toMatchObject({ reason: 'silenced' });
    expect(muted({ kind: 'node', name: 'node-b' })).toMatchObject({ allowed: true });
    expect(muted({ kind: 'target', name: 'hass' })).toMatchObject({ allowed: true });
  });

  it('looks back far enough for the hourly limit and the longest cooldown', () => {
    expect(restartHistorySince([target('a')], T0)).toBe(T0 - HOUR);
    expect(restartHistorySince([target('a'), target('b', { restart: { ...target('b').restart, cooldown: 2 * HOUR } })], T0)).toBe(T0 - 2 * HOUR);
  });
});

describe('evaluateGate: boundaries', () => {
  it.each([
    // cooldown 2m since the last restart of this target
    ['cooldown, exactly over', input({ restarts: [restart({ requestedAt: T0 - 2 * MIN, automatic: false, incidentId: null })] }), 'allowed'],
    ['cooldown, 1 ms short', input({ restarts: [restart({ requestedAt: T0 - 2 * MIN + 1, automatic: false, incidentId: null })] }), 'cooldown'],
    // node recovery grace 60s since the node became Ready
    ['grace, exactly over', input({ snapshot: snapshot([node('node-a', { readySince: T0 - 60 * SEC })], [workload('frigate', ['node-a'])]) }), 'allowed'],
    ['grace, 1 ms short', input({ snapshot: snapshot([node('node-a', { readySince: T0 - 60 * SEC + 1 })], [workload('frigate', ['node-a'])]) }), 'nodeRecovering'],
    ['grace, no transition time known', input({ snapshot: snapshot([node('node-a', { readySince: null })], [workload('frigate', ['node-a'])]) }), 'allowed'],
    // three restarts per hour: one exactly an hour old no longer counts
    [
      'hour, oldest exactly an hour ago',
      input({ restarts: [HOUR, 30 * MIN, 20 * MIN].map((ago, i) => restart({ id: i, requestedAt: T0 - ago, incidentId: 1 })) }),
      'allowed',
    ],
    [
      'hour, oldest 1 ms inside the hour',
      input({ restarts: [HOUR - 1, 30 * MIN, 20 * MIN].map((ago, i) => restart({ id: i, requestedAt: T0 - ago, incidentId: 1 })) }),
      'rateLimited',
    ],
    // backoff [1m, 5m, 15m] within the incident: the second wait is 5m
    ['backoff, exactly over', input({ restarts: [restart({ id: 1, requestedAt: T0 - 50 * MIN }), restart({ id: 2, requestedAt: T0 - 5 * MIN })] }), 'allowed'],
    ['backoff, 1 ms short', input({ restarts: [restart({ id: 1, requestedAt: T0 - 50 * MIN }), restart({ id: 2, requestedAt: T0 - 5 * MIN + 1 })] }), 'backoff'],
  ])('%s → %s', (_name, i, expected) => {
    expect(verdict(i)).toBe(expected);
  });
});

describe('evaluateGate: one target’s restarts never hold back another', () => {
  it.each([
    ['in flight', restart({ target: 'hass', status: 'pending', requestedAt: T0 - 10 * SEC, incidentId: 8 })],
    ['in its cooldown', restart({ target: 'hass', requestedAt: T0 - 10 * SEC, incidentId: 8 })],
  ])('hass %s: frigate may restart, hass may not', (_name, hassRestart) => {
    expect(verdict(input({ restarts: [hassRestart] }))).toBe('allowed');
    expect(verdict(input({ targetName: 'hass', mode: 'manual', restarts: [hassRestart] }))).not.toBe('allowed');
  });

  it('the hourly limit counts only this target’s restarts', () => {
    const hassRestarts = [50, 40, 30].map((m, i) => restart({ id: i, target: 'hass', incidentId: 8, requestedAt: T0 - m * MIN }));
    expect(verdict(input({ restarts: hassRestarts }))).toBe('allowed');
    expect(verdict(input({ targetName: 'hass', incident: incident({ id: 8, subject: 'target:hass', targets: ['hass'] }), restarts: hassRestarts }))).toBe('rateLimited');
  });

  it('the hourly limit counts a person’s restarts of the target too', () => {
    const manual = [50, 40, 30].map((m, i) => restart({ id: i, automatic: false, incidentId: null, requestedBy: '42', requestedAt: T0 - m * MIN }));
    expect(verdict(input({ restarts: manual }))).toBe('rateLimited');
  });

  it('another target’s silence does not hold frigate back', () => {
    expect(verdict(input({ silences: [silence({ scope: { kind: 'target', name: 'hass' } })] }))).toBe('allowed');
    expect(verdict(input({ silences: [silence({ scope: { kind: 'target', name: 'frigate' } })] }))).toBe('silenced');
    expect(verdict(input({ silences: [silence({ scope: { kind: 'everything' } })] }))).toBe('silenced');
  });

  it('a silence of the incident’s subject holds back its targets', () => {
    const nodeIncident = incident({ id: 3, subject: 'node:node-a', kind: 'node', targets: ['frigate'] });
    expect(verdict(input({ incident: nodeIncident, silences: [silence({ scope: { kind: 'node', name: 'node-a' } })] }))).toBe('silenced');
    expect(verdict(input({ incident: nodeIncident, silences: [silence({ scope: { kind: 'node', name: 'node-b' } })] }))).toBe('allowed');
  });

  it('every relevant node is checked, not just the first', () => {
    const snap = snapshot([node('node-a'), node('node-b', { ready: 'False' })], [workload('frigate', ['node-a', 'node-b'])]);
    expect(verdict(input({ snapshot: snap }))).toBe('nodeNotReady');
    const recovering = snapshot([node('node-a'), node('node-b', { readySince: T0 - 5 * SEC })], [workload('frigate', ['node-a', 'node-b'])]);
    expect(verdict(input({ snapshot: recovering }))).toBe('nodeRecovering');
  });

  it('a workload the cluster did not report has no nodes to wait for', () => {
    expect(verdict(input({ snapshot: snapshot([node('node-a')], []) }))).toBe('allowed');
  });
});

describe('evaluateGate: backoff and the breaker count this incident’s automatic restarts only', () => {
  it.each([
    ['a person’s restart', restart({ automatic: false, requestedBy: '42', requestedAt: T0 - 3 * MIN })],
    ['an earlier incident’s automatic restart', restart({ incidentId: 1, requestedAt: T0 - 3 * MIN })],
  ])('%s 3m ago does not start a backoff', (_name, r) => {
    // Backoff 5m from the first attempt: only a restart that counts would refuse here.
    const targets = withRestart({ backoff: [5 * MIN] });
    expect(verdict(input({ targets, restarts: [r] }))).toBe('allowed');
    expect(verdict(input({ targets, restarts: [restart({ requestedAt: T0 - 3 * MIN })] }))).toBe('backoff');
  });

  it('without an incident there is no backoff', () => {
    expect(verdict(input({ incident: null, targets: withRestart({ backoff: [5 * MIN] }), restarts: [restart({ requestedAt: T0 - 3 * MIN })] }))).toBe('allowed');
  });

  it.each([
    [1, 1 * MIN],
    [2, 5 * MIN],
    [3, 15 * MIN],
    [4, 15 * MIN],
    [6, 15 * MIN],
  ])('after %d attempts the wait is %d ms (the last step repeats)', (attempts, wait) => {
    const targets = withRestart({ circuitBreakAfter: 10, maxPerHour: 10, cooldown: 30 * SEC });
    const restarts = (lastAgo: number) =>
      Array.from({ length: attempts }, (_, i) => restart({ id: i, requestedAt: i === attempts - 1 ? T0 - lastAgo : T0 - 5 * HOUR + i * MIN }));
    expect(verdict(input({ targets, restarts: restarts(wait) }))).toBe('allowed');
    expect(verdict(input({ targets, restarts: restarts(wait - 1) }))).toBe('backoff');
  });

  it('without an incident there is no breaker to trip, however low its limit', () => {
    const targets = [target('frigate', { restart: { ...target('frigate').restart, circuitBreakAfter: 1 } })];
    const snap = snapshot([node('node-a')], [workload('frigate', ['node-a'])]);
    expect(evaluateGate({ targetName: 'frigate', targets, snapshot: snap, silences: [], now: T0, mode: 'automatic', incident: null, restarts: [restart({ requestedAt: T0 - 3 * 3_600_000 })] })).toMatchObject({ allowed: true });
  });

  it('an empty backoff list means no wait beyond the cooldown', () => {
    expect(verdict(input({ targets: withRestart({ backoff: [] }), restarts: [restart({ requestedAt: T0 - 2 * MIN })] }))).toBe('allowed');
  });

  it('the backoff waits from the latest attempt, whatever order the records come in', () => {
    const targets = withRestart({ backoff: [5 * MIN, 5 * MIN] });
    const old = restart({ id: 1, requestedAt: T0 - 50 * MIN });
    const recent = restart({ id: 2, requestedAt: T0 - 3 * MIN });
    expect(verdict(input({ targets, restarts: [old, recent] }))).toBe('backoff');
    expect(verdict(input({ targets, restarts: [recent, old] }))).toBe('backoff');
  });

  it.each([
    ['two automatic restarts', [true, true], 2, 'allowed'],
    ['three automatic restarts', [true, true, true], 3, 'circuitOpen'],
    ['two automatic and a person’s', [true, true, false], 2, 'allowed'],
  ])('%s in this incident → %s', (_name, automatic, restartCount, expected) => {
    const restarts = automatic.map((a, i) => restart({ id: i, automatic: a, requestedAt: T0 - (3 - i) * HOUR }));
    expect(verdict(input({ incident: incident({ restartCount }), restarts }))).toBe(expected);
  });
});

describe('evaluateGate: what it says', () => {
  it('cooldown says how long ago and how long to wait, in whole seconds', () => {
    const d = evaluateGate(input({ restarts: [restart({ requestedAt: T0 - 30 * SEC - 400 })] }));
    expect(d).toEqual({
      allowed: false,
      reason: 'cooldown',
      message: 'frigate was restarted 30s ago; the next restart is possible in 1m30s',
      context: { lastRestartAt: T0 - 30 * SEC - 400, retryInMs: 90 * SEC - 400 },
    });
  });

  it('a wait of a few milliseconds is still "1s", never "0s"', () => {
    const d = evaluateGate(input({ restarts: [restart({ requestedAt: T0 - 2 * MIN + 5 })] }));
    expect(d.allowed ? '' : d.message).toBe('frigate was restarted 1m59s ago; the next restart is possible in 1s');
    const justNow = evaluateGate(input({ restarts: [restart({ requestedAt: T0 - 200 })] }));
    expect(justNow.allowed ? '' : justNow.message).toBe('frigate was restarted 1s ago; the next restart is possible in 2m');
  });

  it.each([
    ['nodeRecovering', input({ snapshot: snapshot([node('node-a', { readySince: T0 - 20 * SEC })], [workload('frigate', ['node-a'])]) }), 'node node-a has been Ready for only 20s; waiting 40s more for its pods to come back by themselves', { node: 'node-a', readySince: T0 - 20 * SEC, retryInMs: 40 * SEC }],
    ['silenced', input({ silences: [silence({ id: 5, endsAt: T0 + HOUR })] }), `frigate is silenced until ${new Date(T0 + HOUR).toISOString()}`, { silenceId: 5, until: T0 + HOUR }],
    ['rateLimited', input({ restarts: [50, 40, 30].map((m, i) => restart({ id: i, incidentId: 1, requestedAt: T0 - m * MIN })) }), 'frigate was restarted 3 times in the last hour (limit 3)', { count: 3, limit: 3 }],
    ['backoff', input({ restarts: [restart({ id: 1, requestedAt: T0 - 50 * MIN }), restart({ id: 2, requestedAt: T0 - 3 * MIN })] }), 'the next automatic restart of frigate is due in 2m', { attempts: 2, retryInMs: 2 * MIN }],
    ['circuitOpen', input({ incident: incident({ restartCount: 3 }), restarts: [3, 2, 1.5].map((h, i) => restart({ id: i, requestedAt: T0 - h * HOUR })) }), '3 automatic restarts did not bring frigate back; automatic restarts stopped, a person needs to look', { attempts: 3 }],
    ['autoRestartDisabled', input({ targets: [target('frigate', { autoRestart: false })] }), 'automatic restarts are turned off for frigate', {}],
    ['unknownTarget', input({ targetName: 'zigbee' }), '“zigbee” is not a configured target', { target: 'zigbee' }],
    ['clusterUnreachable', input({ snapshot: { reachable: false, observedAt: T0, error: 'ETIMEDOUT' } }), 'the Kubernetes API did not answer (ETIMEDOUT), so nothing is restarted', { error: 'ETIMEDOUT' }],
    ['nodeMissing', input({ snapshot: snapshot([], [workload('frigate', ['node-a'])]) }), 'node node-a is not in the cluster', { node: 'node-a' }],
    ['nodeCordoned', input({ snapshot: snapshot([node('node-a', { unschedulable: true })], [workload('frigate', ['node-a'])]) }), 'node node-a is cordoned (maintenance)', { node: 'node-a' }],
    ['restartInProgress', input({ restarts: [restart({ id: 9, status: 'pending', requestedAt: T0 - 10 * MIN })] }), 'a restart of frigate is already being carried out', { attemptId: 9 }],
  ] as Array<[string, GateInput, string, Record<string, unknown>]>)('%s', (reason, i, message, context) => {
    expect(evaluateGate(i)).toEqual({ allowed: false, reason, message, context });
  });

  it('a rollout in progress names the target', () => {
    const rolling = snapshot([node('node-a')], [workload('frigate', ['node-a'], { rolloutInProgress: true })]);
    expect(evaluateGate({ targetName: 'frigate', targets: [target('frigate')], snapshot: rolling, silences: [], now: T0, mode: 'manual', incident: null, restarts: [] })).toEqual({
      allowed: false,
      reason: 'restartInProgress',
      message: 'a rollout of frigate is still in progress',
      context: { target: 'frigate' },
    });
  });

  it('allows with the configured target', () => {
    expect(evaluateGate(input())).toEqual({ allowed: true, target: target('frigate') });
  });

  it.each([
    ['restartInProgress', true],
    ['cooldown', true],
    ['backoff', true],
    ['nodeNotReady', false],
    ['circuitOpen', false],
  ])('%s is only waiting: %s', (reason, waiting) => {
    expect(isWaitingReason(reason)).toBe(waiting);
  });
});

describe('evaluateGate: restarts that cannot help (SPEC §11)', () => {
  const imagePull = failingPod([container({ waiting: { reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/blakeblackshear/frigate:0.14": not found' } })]);
  const oom = failingPod([container({ memoryLimit: '512Mi', restartCount: 3, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' }, lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: T0 - MIN } })]);
  const crash = failingPod([container({ restartCount: 4, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container' }, lastTerminated: { reason: 'Error', exitCode: 1, finishedAt: T0 - MIN } })]);
  const on = (pod: ReturnType<typeof failingPod>) => snapshot([node('node-a')], [failingWorkload(pod)]);

  it('refuses a person the same restart it refuses the scheduler, with the reason and what to do', () => {
    const manual = evaluateGate(passing({ mode: 'manual', snapshot: on(imagePull) }));
    const automatic = evaluateGate(passing({ snapshot: on(imagePull) }));
    expect(manual).toEqual(automatic);
    expect(manual).toMatchObject({ allowed: false, reason: 'imagePull', context: { target: 'frigate', apiReason: 'ErrImagePull', container: 'frigate' } });
  });

  it('holds automatic restarts of a container OOMKilled again and again, and lets a person restart it with a warning', () => {
    expect(evaluateGate(passing({ snapshot: on(oom) }))).toMatchObject({ allowed: false, reason: 'oomKilled' });
    const manual = evaluateGate(passing({ mode: 'manual', snapshot: on(oom) }));
    expect(manual).toMatchObject({ allowed: true });
    expect(manual.allowed && manual.warning).toBe(
      'an automatic restart cannot help: frigate — OOMKilled in container frigate: OOMKilled (exit code 137), restarted 3 times; restarting anyway, as you asked',
    );
  });

  it('restarts a plain crash (exit code 1) as before, automatically and by hand, with no warning', () => {
    expect(evaluateGate(passing({ snapshot: on(crash) }))).toEqual({ allowed: true, target: expect.objectContaining({ name: 'frigate' }) });
    expect(evaluateGate(passing({ mode: 'manual', snapshot: on(crash) }))).toEqual({ allowed: true, target: expect.objectContaining({ name: 'frigate' }) });
  });

  it('still says a NotReady node first: the node decides before the pods it cannot run', () => {
    const down = snapshot([node('node-a', { ready: 'False' })], [failingWorkload(imagePull)]);
    expect(evaluateGate(passing({ snapshot: down }))).toMatchObject({ allowed: false, reason: 'nodeNotReady' });
  });
});

describe('evaluateGate: one breaker, one sentence', () => {
  it('says the same whether the incident already tripped it or its restarts trip it now', () => {
    const message = (attempts: number) => `${attempts} automatic restarts did not bring frigate back; automatic restarts stopped, a person needs to look`;
    // Tripped long ago: the restarts are out of the history, the incident's state still holds the breaker open.
    const tripped = evaluateGate(passing({ incident: incident({ needsHuman: true, restartCount: 4 }), restarts: [] }));
    expect(tripped).toEqual({ allowed: false, reason: 'circuitOpen', message: message(4), context: { attempts: 4 } });
    const now = evaluateGate(passing({ restarts: [2, 1.5, 1.2].map((h, i) => restart({ id: i, requestedAt: T0 - h * HOUR })) }));
    expect(now).toEqual({ allowed: false, reason: 'circuitOpen', message: message(3), context: { attempts: 3 } });
  });
});

/** A maintenance window over node-a, in force at T0. */
function maintenanceWindow(): MaintenanceWindow {
  return { id: 1, nodes: ['node-a'], targets: [], startsAt: T0 - MIN, endsAt: T0 + HOUR, reason: 'NAS firmware', createdBy: '111', createdByName: 'alice', recurring: null, endedAt: null, reportedAt: null };
}
