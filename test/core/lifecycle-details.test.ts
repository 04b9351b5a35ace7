import { describe, expect, it } from 'vitest';
import { isOpen, newIncident, transition, type IncidentEvent, type TransitionContext } from '../../src/core/lifecycle.js';
import type { Incident } from '../../src/core/types.js';
import { incident, MIN, T0 } from './fixtures.js';

const ctx: TransitionContext = { now: T0, reopenWindow: 10 * MIN, escalateAfter: 15 * MIN, silenced: false, actor: 'scheduler' };
const nodeIncident = incident({ id: 11, subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['frigate'] });
const clusterIncident = incident({ id: 12, subject: 'cluster', kind: 'cluster', cause: 'Kubernetes API unreachable: ECONNREFUSED', targets: [] });
const nodeFail = (cause: string, targets: string[]): IncidentEvent => ({ type: 'fail', subject: 'node:node-a', kind: 'node', cause, targets });
const targetFail: IncidentEvent = { type: 'fail', subject: 'target:frigate', kind: 'target', cause: 'frigate is down: timeout', targets: ['frigate'] };

describe('newIncident and isOpen', () => {
  it('a new incident is open, unsaved and has no history', () => {
    expect(newIncident('node:node-a', 'node', 'node node-a is NotReady', T0)).toEqual({
      id: null,
      subject: 'node:node-a',
      kind: 'node',
      state: 'open',
      cause: 'node node-a is NotReady',
      targets: [],
      openedAt: T0,
      resolvedAt: null,
      reopenCount: 0,
      acknowledgedBy: null,
      acknowledgedAt: null,
      notifiedAt: null,
      escalatedAt: null,
      restartCount: 0,
      needsHuman: false,
    });
  });

  it.each([
    [null, false],
    [incident({ state: 'open' }), true],
    [incident({ state: 'acknowledged' }), true],
    [incident({ state: 'resolved' }), false],
  ] as Array<[Incident | null, boolean]>)('isOpen(%j) is %s', (value, open) => {
    expect(isOpen(value)).toBe(open);
  });
});

describe('fail: opening', () => {
  it('opens with the subject, kind, cause and sorted targets, and audits both steps', () => {
    const out = transition(null, { type: 'fail', subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['hass', 'frigate'] }, ctx);
    expect(out.incident).toMatchObject({ id: null, subject: 'node:node-a', kind: 'node', state: 'open', cause: 'node node-a is NotReady', targets: ['frigate', 'hass'], openedAt: T0, notifiedAt: T0 });
    expect(out.effects).toEqual([{ type: 'postMessage', mention: true }, { type: 'push', reason: 'open' }]);
    expect(out.audit).toEqual([
      { at: T0, actor: 'scheduler', action: 'opened', subject: 'node:node-a', incidentId: null, reason: null, detail: { cause: 'node node-a is NotReady', targets: ['frigate', 'hass'] } },
      { at: T0, actor: 'scheduler', action: 'notified', subject: 'node:node-a', incidentId: null, reason: 'open', detail: {} },
    ]);
  });

  it('a muted opening audits why it did not ring', () => {
    const out = transition(null, targetFail, { ...ctx, silenced: true });
    expect(out.audit[1]).toMatchObject({ action: 'notificationMuted', reason: 'silenced' });
  });
});

describe('fail: the reopen window', () => {
  const resolvedAgo = (ago: number) => incident({ state: 'resolved', resolvedAt: T0 - ago, reopenCount: 2, restartCount: 3, needsHuman: true });

  it.each([
    [0, 'reopens'],
    [10 * MIN - 1, 'reopens'],
    [10 * MIN, 'reopens'],
    [10 * MIN + 1, 'opens anew'],
  ])('a failure %d ms after resolving %s', (ago, outcome) => {
    const out = transition(resolvedAgo(ago), targetFail, ctx);
    expect(out.incident?.id === null ? 'opens anew' : 'reopens').toBe(outcome);
  });

  it('reopening rings with the new cause, keeps its history and clears acknowledgement and escalation', () => {
    const before = incident({ state: 'resolved', resolvedAt: T0 - MIN, reopenCount: 2, acknowledgedBy: '42', acknowledgedAt: T0 - 5 * MIN, escalatedAt: T0 - 8 * MIN, targets: ['frigate'] });
    const out = transition(before, { ...targetFail, targets: ['hass'] } as IncidentEvent, ctx);
    expect(out.incident).toEqual({
      ...before,
      state: 'open',
      cause: 'frigate is down: timeout',
      targets: ['frigate', 'hass'],
      resolvedAt: null,
      reopenCount: 3,
      acknowledgedBy: null,
      acknowledgedAt: null,
      escalatedAt: null,
      notifiedAt: T0,
    });
    expect(out.effects).toEqual([
      { type: 'editMessage' },
      { type: 'threadNote', text: 'Reopened: frigate is down: timeout' },
      { type: 'ring', reason: 'reopen', text: 'Reopened: frigate is down: timeout' },
      { type: 'push', reason: 'reopen' },
    ]);
    expect(out.audit).toEqual([
      { at: T0, actor: 'scheduler', action: 'reopened', subject: 'target:frigate', incidentId: 7, reason: null, detail: { cause: 'frigate is down: timeout' } },
      { at: T0, actor: 'scheduler', action: 'notified', subject: 'target:frigate', incidentId: 7, reason: 'reopen', detail: {} },
    ]);
  });

  it('reopening while silenced edits and notes quietly and owes the ring', () => {
    const out = transition(incident({ state: 'resolved', resolvedAt: T0 - MIN }), targetFail, { ...ctx, silenced: true });
    expect(out.effects.map((e) => e.type)).toEqual(['editMessage', 'threadNote']);
    expect(out.incident?.notifiedAt).toBeNull();
    expect(out.audit.map((a) => [a.action, a.reason])).toEqual([
      ['reopened', null],
      ['notificationMuted', 'silenced'],
    ]);
  });

  it('a resolved incident without a resolution time opens anew', () => {
    expect(transition(incident({ state: 'resolved', resolvedAt: null }), targetFail, ctx).incident?.id).toBeNull();
  });
});

describe('fail on an open incident: targets and causes', () => {
  it.each([
    ['node', nodeIncident, nodeFail('node node-a is NotReady', ['frigate']), [], []],
    [
      'node, new cause',
      nodeIncident,
      nodeFail("node node-a's readiness is Unknown (its kubelet stopped reporting)", ['frigate']),
      [{ type: 'editMessage' }, { type: 'threadNote', text: "node node-a's readiness is Unknown (its kubelet stopped reporting)" }],
      [['causeChanged', { cause: "node node-a's readiness is Unknown (its kubelet stopped reporting)" }]],
    ],
    [
      'node, new target and new cause',
      nodeIncident,
      nodeFail('node node-a is not in the cluster', ['hass']),
      [{ type: 'editMessage' }, { type: 'threadNote', text: 'Also affected: hass' }, { type: 'threadNote', text: 'node node-a is not in the cluster' }],
      [
        ['targetsAdded', { targets: ['hass'] }],
        ['causeChanged', { cause: 'node node-a is not in the cluster' }],
      ],
    ],
    [
      'cluster, new cause',
      clusterIncident,
      { type: 'fail', subject: 'cluster', kind: 'cluster', cause: 'Kubernetes API unreachable: ETIMEDOUT', targets: [] },
      [{ type: 'editMessage' }, { type: 'threadNote', text: 'Kubernetes API unreachable: ETIMEDOUT' }],
      [['causeChanged', { cause: 'Kubernetes API unreachable: ETIMEDOUT' }]],
    ],
    ['target, new detail', incident(), targetFail, [], []],
    [
      'target, another target joins',
      incident(),
      { ...targetFail, targets: ['hass'] },
      [{ type: 'editMessage' }, { type: 'threadNote', text: 'Also affected: hass' }],
      [['targetsAdded', { targets: ['hass'] }]],
    ],
  ] as Array<[string, Incident, IncidentEvent, unknown[], Array<[string, unknown]>]>)('%s', (_name, before, event, effects, audits) => {
    const out = transition(before, event, ctx);
    expect(out.effects).toEqual(effects);
    expect(out.audit.map((a) => [a.action, a.detail])).toEqual(audits);
    for (const a of out.audit) expect(a).toMatchObject({ at: T0, actor: 'scheduler', subject: before.subject, incidentId: before.id, reason: null });
    const expectedCause = before.kind === 'target' || event.type !== 'fail' ? before.cause : event.cause;
    expect(out.incident?.cause).toBe(expectedCause);
    if (event.type === 'fail') expect(out.incident?.targets).toEqual([...new Set([...before.targets, ...event.targets])].sort());
    expect(out.incident?.state).toBe(before.state);
  });

  it('an acknowledged node incident takes the new cause without losing its acknowledgement', () => {
    const acked = { ...nodeIncident, state: 'acknowledged' as const, acknowledgedBy: '42', acknowledgedAt: T0 - MIN };
    const out = transition(acked, nodeFail('node node-a is not in the cluster', ['frigate']), ctx);
    expect(out.incident).toEqual({ ...acked, cause: 'node node-a is not in the cluster' });
  });

  it('adding several targets lists them sorted in one note', () => {
    const out = transition({ ...nodeIncident, targets: [] }, nodeFail('node node-a is NotReady', ['zigbee', 'frigate', 'hass']), ctx);
    expect(out.effects).toContainEqual({ type: 'threadNote', text: 'Also affected: frigate, hass, zigbee' });
    expect(out.incident?.targets).toEqual(['frigate', 'hass', 'zigbee']);
  });
});

describe('recover, acknowledge, silenceChanged', () => {
  it('resolving says why, records how long it was open and archives the thread', () => {
    const out = transition(incident({ openedAt: T0 - 25 * MIN }), { type: 'recover', cause: 'frigate is healthy again' }, ctx);
    expect(out.incident).toMatchObject({ state: 'resolved', resolvedAt: T0, cause: 'frigate is healthy again' });
    expect(out.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Resolved: frigate is healthy again' }, { type: 'archiveThread' }]);
    expect(out.audit).toEqual([
      { at: T0, actor: 'scheduler', action: 'resolved', subject: 'target:frigate', incidentId: 7, reason: null, detail: { cause: 'frigate is healthy again', openFor: 25 * MIN } },
    ]);
  });

  it('acknowledging records who and when, and notes it in the thread', () => {
    const out = transition(incident(), { type: 'acknowledge', by: '99' }, { ...ctx, actor: '99' });
    expect(out.incident).toMatchObject({ state: 'acknowledged', acknowledgedBy: '99', acknowledgedAt: T0 });
    expect(out.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Acknowledged by <@99>' }]);
    expect(out.audit).toEqual([{ at: T0, actor: '99', action: 'acknowledged', subject: 'target:frigate', incidentId: 7, reason: null, detail: {} }]);
  });

  it('a silence change is noted with its text and audited', () => {
    const out = transition(incident(), { type: 'silenceChanged', by: '42', text: 'Silenced for 1h by <@42>' }, { ...ctx, actor: '42' });
    expect(out.incident).toEqual(incident());
    expect(out.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Silenced for 1h by <@42>' }]);
    expect(out.audit).toEqual([{ at: T0, actor: '42', action: 'silenceChanged', subject: 'target:frigate', incidentId: 7, reason: null, detail: { text: 'Silenced for 1h by <@42>' } }]);
  });
});

describe('tick: the owed ring and escalation', () => {
  it('rings the owed notification with the cause and audits it', () => {
    const out = transition(incident({ notifiedAt: null }), { type: 'tick' }, ctx);
    expect(out.effects).toEqual([
      { type: 'ring', reason: 'unmuted', text: 'Silence ended and this is still open: frigate is down: HTTP 503' },
      { type: 'push', reason: 'unmuted' },
    ]);
    expect(out.audit).toEqual([{ at: T0, actor: 'scheduler', action: 'notified', subject: 'target:frigate', incidentId: 7, reason: 'unmuted', detail: {} }]);
  });

  it('does not ring an acknowledged incident whose ring was muted', () => {
    expect(transition(incident({ state: 'acknowledged', notifiedAt: null }), { type: 'tick' }, ctx).effects).toEqual([]);
  });

  it.each([
    [15 * MIN - 1, false],
    [15 * MIN, true],
    [15 * MIN + 1, true],
  ])('%d ms after the ring, escalation is due: %s', (since, due) => {
    const out = transition(incident({ notifiedAt: T0 - since }), { type: 'tick' }, ctx);
    expect(out.effects.length > 0).toBe(due);
  });

  it('escalates once, saying for how long, while silenced it waits', () => {
    const out = transition(incident({ notifiedAt: T0 - 20 * MIN }), { type: 'tick' }, ctx);
    expect(out.incident?.escalatedAt).toBe(T0);
    expect(out.effects).toEqual([
      { type: 'ring', reason: 'escalation', text: 'Still open and unacknowledged after 20m: frigate is down: HTTP 503' },
      { type: 'email', reason: 'escalation' },
      { type: 'push', reason: 'escalation' },
    ]);
    expect(out.audit).toEqual([{ at: T0, actor: 'scheduler', action: 'escalated', subject: 'target:frigate', incidentId: 7, reason: 'unacknowledged', detail: {} }]);
    expect(transition(incident({ notifiedAt: T0 - 20 * MIN }), { type: 'tick' }, { ...ctx, silenced: true }).effects).toEqual([]);
    expect(transition(incident({ notifiedAt: T0 - 20 * MIN, escalatedAt: T0 - MIN }), { type: 'tick' }, ctx).effects).toEqual([]);
  });
});

describe('restarts', () => {
  it('an automatic restart counts its attempt and says so', () => {
    const out = transition(incident({ restartCount: 1 }), { type: 'restartRequested', target: 'frigate', automatic: true, by: 'scheduler', reason: null }, ctx);
    expect(out.incident?.restartCount).toBe(2);
    expect(out.restarts).toEqual([{ target: 'frigate', automatic: true, requestedBy: 'scheduler' }]);
    expect(out.effects).toEqual([
      { type: 'threadNote', text: 'Restarting frigate automatically (attempt 2)' },
      { type: 'editMessage' },
    ]);
    expect(out.audit).toEqual([{ at: T0, actor: 'scheduler', action: 'restartRequested', subject: 'target:frigate', incidentId: 7, reason: null, detail: { target: 'frigate', automatic: true } }]);
  });

  it('a person may restart a target without an incident: carried out and audited under the target', () => {
    const out = transition(null, { type: 'restartRequested', target: 'hass', automatic: false, by: '42', reason: 'stuck' }, { ...ctx, actor: '42' });
    expect(out).toEqual({
      incident: null,
      restarts: [{ target: 'hass', automatic: false, requestedBy: '42' }],
      effects: [],
      audit: [{ at: T0, actor: '42', action: 'restartRequested', subject: 'target:hass', incidentId: null, reason: 'stuck', detail: { automatic: false } }],
    });
  });

  it.each([
    ['nodeNotReady', true],
    ['circuitOpen', true],
    ['restartInProgress', false],
    ['cooldown', false],
    ['backoff', false],
  ])('a refusal for %s is noted in the thread: %s', (reason, noted) => {
    const out = transition(incident(), { type: 'restartSkipped', target: 'frigate', reason, message: 'because' }, ctx);
    expect(out.effects).toEqual(noted ? [{ type: 'threadNote', text: 'Not restarting frigate: because' }] : []);
    expect(out.audit).toEqual([{ at: T0, actor: 'scheduler', action: 'restartSkipped', subject: 'target:frigate', incidentId: 7, reason, detail: { target: 'frigate', message: 'because' } }]);
  });

  it.each([
    ['succeeded, in an incident', incident(), true, null, [], { action: 'restartSucceeded', subject: 'target:frigate', incidentId: 7, reason: null }],
    ['failed, in an incident', incident(), false, 'HTTP 403', [{ type: 'threadNote', text: 'Restart of frigate failed: HTTP 403' }], { action: 'restartFailed', subject: 'target:frigate', incidentId: 7, reason: 'HTTP 403' }],
    ['succeeded, in a resolved incident', incident({ state: 'resolved', resolvedAt: T0 - MIN }), true, null, [], { action: 'restartSucceeded', incidentId: 7 }],
    ['failed, without an incident', null, false, 'HTTP 500', [], { action: 'restartFailed', subject: 'target:frigate', incidentId: null, reason: 'HTTP 500' }],
    ['in a node incident', nodeIncident, true, null, [], { action: 'restartSucceeded', subject: 'node:node-a', incidentId: 11 }],
  ] as Array<[string, Incident | null, boolean, string | null, unknown[], Record<string, unknown>]>)('a restart outcome %s keeps the incident id', (_name, before, ok, error, effects, entry) => {
    const out = transition(before, { type: 'restartFinished', target: 'frigate', ok, error }, ctx);
    expect(out.incident).toBe(before);
    expect(out.effects).toEqual(effects);
    expect(out.audit).toEqual([{ at: T0, actor: 'scheduler', subject: 'target:frigate', reason: error, detail: { target: 'frigate' }, ...entry }]);
  });
});

describe('the circuit breaker', () => {
  const open: IncidentEvent = { type: 'circuitOpen', target: 'frigate', message: '3 automatic restarts did not help' };

  it('trips once: needs a human, noted, and escalates an unescalated open incident', () => {
    const out = transition(incident(), open, ctx);
    expect(out.incident).toMatchObject({ needsHuman: true, escalatedAt: T0 });
    expect(out.effects).toEqual([
      { type: 'threadNote', text: 'Needs a human: 3 automatic restarts did not help' },
      { type: 'editMessage' },
      { type: 'ring', reason: 'escalation', text: 'Needs a human: 3 automatic restarts did not help' },
      { type: 'email', reason: 'escalation' },
      { type: 'push', reason: 'escalation' },
    ]);
    expect(out.audit).toEqual([
      { at: T0, actor: 'scheduler', action: 'circuitOpen', subject: 'target:frigate', incidentId: 7, reason: 'circuitOpen', detail: { target: 'frigate' } },
      { at: T0, actor: 'scheduler', action: 'escalated', subject: 'target:frigate', incidentId: 7, reason: 'circuitOpen', detail: {} },
    ]);
    expect(transition(out.incident, open, ctx)).toEqual({ incident: out.incident, effects: [], audit: [], restarts: [] });
  });

  it.each([
    ['already escalated', incident({ escalatedAt: T0 - 5 * MIN }), ctx],
    ['acknowledged', incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 - MIN }), ctx],
    ['silenced', incident(), { ...ctx, silenced: true }],
  ] as Array<[string, Incident, TransitionContext]>)('%s: notes it without ringing again', (_name, before, context) => {
    const out = transition(before, open, context);
    expect(out.incident).toEqual({ ...before, needsHuman: true });
    expect(out.effects).toEqual([{ type: 'threadNote', text: 'Needs a human: 3 automatic restarts did not help' }, { type: 'editMessage' }]);
    expect(out.audit.map((a) => a.action)).toEqual(['circuitOpen']);
  });
});
