import { describe, expect, it } from 'vitest';
import { evaluateGate, GATE_REASONS, restartHistorySince, type GateInput, type GateReason } from '../../src/core/gate.js';
import type { Silence } from '../../src/core/types.js';
import { container, failingPod, failingWorkload, gateInput as passing, HOUR, incident, MIN, node, restart, SEC, silence, snapshot, T0, target, workload } from './fixtures.js';

// `passing()` passes every check; each case below breaks exactly one precondition.

/** Node-a Ready, frigate's one pod on it failing as given. */
function failing(pod: ReturnType<typeof failingPod>, overrides: Parameters<typeof failingWorkload>[1] = {}) {
  return snapshot([node('node-a')], [failingWorkload(pod, overrides)]);
}

/** The open observer incident: the mass-failure brake holds. */
const observerIncident = incident({ id: 30, subject: 'observer', kind: 'observer', targets: ['frigate'], cause: '3 of 4 targets stopped answering at once while Kubernetes reports them Ready — is stormguard\'s network broken?' });

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

describe('evaluateGate', () => {
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
        targets: [target('frigate', { autoRestart: false })],
      }),
      (i) => ({ ...i, restarts: [10, 20, 30].map((m, n) => restart({ id: n, requestedAt: T0 - m * MIN })) }),
      (i) => ({ ...i, targets: [target('frigate')] }),
      (i) => ({ ...i, snapshot: snapshot([node('node-a')], [workload('frigate', ['node-a'])]) }),
      (i) => ({ ...i, silences: [] }),
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
