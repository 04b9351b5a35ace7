import { describe, expect, it } from 'vitest';
import { evaluateGate, isWaitingReason, type GateInput } from '../../src/core/gate.js';
import type { TargetConfig } from '../../src/config/types.js';
import { HOUR, incident, MIN, node, restart, SEC, silence, snapshot, T0, target, workload } from './fixtures.js';

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
