import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/core/diagnosis.js';
import { isOpen, newIncident, reopenWindowStart, transition, transitionContext, withinReopenWindow, type IncidentEvent, type TransitionContext } from '../../src/core/lifecycle.js';
import type { Incident } from '../../src/core/types.js';
import { HOUR, incident, MIN, T0 } from './fixtures.js';

const ctx: TransitionContext = { now: T0, reopenWindow: 10 * MIN, escalateAfter: 15 * MIN, silenced: false, actor: 'scheduler' };
const targetFail: IncidentEvent = { type: 'fail', subject: 'target:frigate', kind: 'target', cause: 'frigate is down: timeout', targets: ['frigate'] };
const nodeIncident = incident({ id: 11, subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['frigate'] });
const clusterIncident = incident({ id: 12, subject: 'cluster', kind: 'cluster', cause: 'Kubernetes API unreachable: ECONNREFUSED', targets: [] });
const nodeFail = (cause: string, targets: string[]): IncidentEvent => ({ type: 'fail', subject: 'node:node-a', kind: 'node', cause, targets });

const states: Record<string, Incident | null> = {
  none: null,
  open: incident(),
  acknowledged: incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 - 5 * MIN }),
  resolvedRecently: incident({ state: 'resolved', resolvedAt: T0 - 5 * MIN }),
  resolvedLongAgo: incident({ state: 'resolved', resolvedAt: T0 - 60 * MIN }),
};

const events: Record<string, IncidentEvent> = {
  fail: targetFail,
  recover: { type: 'recover', cause: 'frigate is healthy again' },
  acknowledge: { type: 'acknowledge', by: '99' },
  tick: { type: 'tick' },
  restartRequested: { type: 'restartRequested', target: 'frigate', automatic: true, by: 'scheduler', reason: null },
  restartSkipped: { type: 'restartSkipped', target: 'frigate', reason: 'nodeNotReady', message: 'node node-a is NotReady' },
  restartFailed: { type: 'restartFinished', target: 'frigate', ok: false, error: 'HTTP 403' },
  circuitOpen: { type: 'circuitOpen', target: 'frigate', message: '3 automatic restarts did not help' },
  silenceChanged: { type: 'silenceChanged', by: '42', text: 'Silenced for 1h by <@42>' },
  note: { type: 'note', by: '42', text: 'the UPS tripped' },
};

/** Expected [next state or 'none' / 'new', effect types, audit actions] for each state × event. */
type Row = [string, string, string[], string[]];
const table: Record<string, Record<string, Row>> = {
  none: {
    fail: ['open', 'new', ['postMessage', 'push'], ['opened', 'notified']],
    recover: ['none', '', [], []],
    acknowledge: ['none', '', [], []],
    tick: ['none', '', [], []],
    restartRequested: ['none', '', ['restart'], ['restartRequested']],
    restartSkipped: ['none', '', [], []],
    restartFailed: ['none', '', [], ['restartFailed']],
    circuitOpen: ['none', '', [], []],
    silenceChanged: ['none', '', [], []],
    note: ['none', '', [], []],
  },
  open: {
    fail: ['open', 'same', [], []],
    recover: ['resolved', 'same', ['editMessage', 'threadNote', 'archiveThread'], ['resolved']],
    acknowledge: ['acknowledged', 'same', ['editMessage', 'threadNote'], ['acknowledged']],
    tick: ['open', 'same', [], []],
    restartRequested: ['open', 'same', ['restart', 'threadNote', 'editMessage'], ['restartRequested']],
    restartSkipped: ['open', 'same', ['threadNote'], ['restartSkipped']],
    restartFailed: ['open', 'same', ['threadNote'], ['restartFailed']],
    circuitOpen: ['open', 'same', ['threadNote', 'editMessage', 'ring', 'email', 'push'], ['circuitOpen', 'escalated']],
    silenceChanged: ['open', 'same', ['editMessage', 'threadNote'], ['silenceChanged']],
    note: ['open', 'same', ['threadNote'], ['note']],
  },
  acknowledged: {
    fail: ['acknowledged', 'same', [], []],
    recover: ['resolved', 'same', ['editMessage', 'threadNote', 'archiveThread'], ['resolved']],
    acknowledge: ['acknowledged', 'same', [], []],
    tick: ['acknowledged', 'same', [], []],
    restartRequested: ['acknowledged', 'same', ['restart', 'threadNote', 'editMessage'], ['restartRequested']],
    restartSkipped: ['acknowledged', 'same', ['threadNote'], ['restartSkipped']],
    restartFailed: ['acknowledged', 'same', ['threadNote'], ['restartFailed']],
    circuitOpen: ['acknowledged', 'same', ['threadNote', 'editMessage'], ['circuitOpen']],
    silenceChanged: ['acknowledged', 'same', ['editMessage', 'threadNote'], ['silenceChanged']],
    note: ['acknowledged', 'same', ['threadNote'], ['note']],
  },
  resolvedRecently: {
    fail: ['open', 'same', ['editMessage', 'threadNote', 'ring', 'push'], ['reopened', 'notified']],
    recover: ['resolved', 'same', [], []],
    acknowledge: ['resolved', 'same', [], []],
    tick: ['resolved', 'same', [], []],
    restartRequested: ['resolved', 'same', ['restart', 'threadNote', 'editMessage'], ['restartRequested']],
    restartSkipped: ['resolved', 'same', ['threadNote'], ['restartSkipped']],
    restartFailed: ['resolved', 'same', ['threadNote'], ['restartFailed']],
    circuitOpen: ['resolved', 'same', [], []],
    silenceChanged: ['resolved', 'same', [], []],
    // The thread of a resolved incident is archived again after the note (a post-mortem's notes).
    note: ['resolved', 'same', ['threadNote', 'archiveThread'], ['note']],
  },
  resolvedLongAgo: {
    fail: ['open', 'new', ['postMessage', 'push'], ['opened', 'notified']],
    recover: ['resolved', 'same', [], []],
    acknowledge: ['resolved', 'same', [], []],
    tick: ['resolved', 'same', [], []],
    restartRequested: ['resolved', 'same', ['restart', 'threadNote', 'editMessage'], ['restartRequested']],
    restartSkipped: ['resolved', 'same', ['threadNote'], ['restartSkipped']],
    restartFailed: ['resolved', 'same', ['threadNote'], ['restartFailed']],
    circuitOpen: ['resolved', 'same', [], []],
    silenceChanged: ['resolved', 'same', [], []],
    // The thread of a resolved incident is archived again after the note (a post-mortem's notes).
    note: ['resolved', 'same', ['threadNote', 'archiveThread'], ['note']],
  },
};

const rows = Object.entries(table).flatMap(([state, byEvent]) =>
  Object.entries(byEvent).map(([event, row]) => ({ state, event, row })),
);

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

describe('transition: every state × event', () => {
  it('has a row for every state and every event', () => {
    expect(rows).toHaveLength(Object.keys(states).length * Object.keys(events).length);
  });

  it.each(rows)('$state + $event', ({ state, event, row }) => {
    const [nextState, identity, effectTypes, actions] = row;
    const before = states[state]!;
    const out = transition(before, events[event]!, ctx);
    expect(out.incident?.state ?? 'none').toBe(nextState);
    if (identity === 'new') expect(out.incident?.id).toBeNull();
    if (identity === 'same') expect(out.incident?.id).toBe(before?.id);
    // A restart is not an effect (it never goes through the outbox) but is listed first, as it is carried out first.
    expect([...(out.restarts ?? []).map(() => 'restart'), ...out.effects.map((e) => e.type)]).toEqual(effectTypes);
    expect(out.audit.map((a) => a.action)).toEqual(actions);
    for (const entry of out.audit) expect(entry.at).toBe(T0);
  });
});

describe('fail: opening', () => {
  it('opens with a role mention, or owes it while silenced', () => {
    const loud = transition(null, events.fail!, ctx);
    expect(loud.effects[0]).toEqual({ type: 'postMessage', mention: true });
    expect(loud.incident?.notifiedAt).toBe(T0);
    const quiet = transition(null, events.fail!, { ...ctx, silenced: true });
    expect(quiet.effects.map((e) => e.type)).toEqual(['postMessage']);
    expect(quiet.effects[0]).toEqual({ type: 'postMessage', mention: false });
    expect(quiet.incident?.notifiedAt).toBeNull();
    expect(quiet.audit.map((a) => a.action)).toEqual(['opened', 'notificationMuted']);
  });

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

  it('reopens up to and including the window, not after, and never an incident that did not resolve', () => {
    expect(withinReopenWindow(T0 - 10 * MIN, T0, 10 * MIN)).toBe(true);
    expect(withinReopenWindow(T0 - 10 * MIN - 1, T0, 10 * MIN)).toBe(false);
    expect(withinReopenWindow(null, T0, 10 * MIN)).toBe(false);
    // The query bound loads exactly the incidents the rule can reopen.
    expect(withinReopenWindow(reopenWindowStart(T0, 10 * MIN), T0, 10 * MIN)).toBe(true);
    expect(withinReopenWindow(reopenWindowStart(T0, 10 * MIN) - 1, T0, 10 * MIN)).toBe(false);
  });

  it.each([
    [0, 'reopens'],
    [10 * MIN - 1, 'reopens'],
    [10 * MIN, 'reopens'],
    [10 * MIN + 1, 'opens anew'],
  ])('a failure %d ms after resolving %s', (ago, outcome) => {
    const out = transition(resolvedAgo(ago), targetFail, ctx);
    expect(out.incident?.id === null ? 'opens anew' : 'reopens').toBe(outcome);
  });

  it('a resolved incident without a resolution time opens anew', () => {
    expect(transition(incident({ state: 'resolved', resolvedAt: null }), targetFail, ctx).incident?.id).toBeNull();
  });

  it('reopening clears the acknowledgement and counts the reopen', () => {
    const resolved = incident({ state: 'resolved', resolvedAt: T0 - MIN, acknowledgedBy: '42', escalatedAt: T0 - 30 * MIN });
    const out = transition(resolved, events.fail!, ctx);
    expect(out.incident).toMatchObject({ state: 'open', reopenCount: 1, acknowledgedBy: null, escalatedAt: null, resolvedAt: null });
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

  it('keeps a target incident’s cause stable while the probe detail varies', () => {
    const out = transition(incident(), { ...events.fail!, cause: 'frigate is down: connection refused' } as IncidentEvent, ctx);
    expect(out.incident?.cause).toBe('frigate is down: HTTP 503');
    expect(out.effects).toEqual([]);
  });

  it('a node incident notes newly affected targets and cause changes', () => {
    const withoutTargets = incident({ subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: [] });
    const out = transition(withoutTargets, { type: 'fail', subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['frigate'] }, ctx);
    expect(out.incident?.targets).toEqual(['frigate']);
    expect(out.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Also affected: frigate' }]);
  });

  it('adding several targets lists them sorted in one note', () => {
    const out = transition({ ...nodeIncident, targets: [] }, nodeFail('node node-a is NotReady', ['zigbee', 'frigate', 'hass']), ctx);
    expect(out.effects).toContainEqual({ type: 'threadNote', text: 'Also affected: frigate, hass, zigbee' });
    expect(out.incident?.targets).toEqual(['frigate', 'hass', 'zigbee']);
  });

  it('an acknowledged node incident takes the new cause without losing its acknowledgement', () => {
    const acked = { ...nodeIncident, state: 'acknowledged' as const, acknowledgedBy: '42', acknowledgedAt: T0 - MIN };
    const out = transition(acked, nodeFail('node node-a is not in the cluster', ['frigate']), ctx);
    expect(out.incident).toEqual({ ...acked, cause: 'node node-a is not in the cluster' });
  });
});

describe('fail: why it is down (diagnoses)', () => {
  const pull: Diagnosis = { reason: 'imagePull', apiReason: 'ImagePullBackOff', container: 'frigate', message: 'Back-off pulling image "frigate:0.14"', summary: 'frigate cannot pull its image', hint: 'image frigate:0.14 cannot be pulled — check the tag', restart: 'cannotHelp', change: null };
  const fail = (diagnoses?: Record<string, Diagnosis>): IncidentEvent => ({ type: 'fail', subject: 'target:frigate', kind: 'target', cause: 'frigate is down: 0/1 pods ready', targets: ['frigate'], ...(diagnoses ? { diagnoses } : {}) });
  const config: Diagnosis = { ...pull, reason: 'containerConfig', apiReason: 'CreateContainerConfigError', message: 'secret "frigate-mqtt" not found', summary: 'frigate is missing its configuration', hint: 'create it' };
  const notes = (t: ReturnType<typeof transition>) => t.effects.flatMap((e) => (e.type === 'threadNote' ? [e.text] : []));

  it('opens with the reason already on it', () => {
    expect(transition(null, fail({ frigate: pull }), ctx).incident?.diagnoses).toEqual({ frigate: pull });
    expect(transition(null, fail(), ctx).incident).not.toHaveProperty('diagnoses');
  });

  it('keeps the first words for the same finding: a new message of the same reason is no edit', () => {
    const open = incident({ diagnoses: { frigate: pull } });
    const again = transition(open, fail({ frigate: { ...pull, apiReason: 'ErrImagePull', message: 'rpc error: not found' } }), ctx);
    expect(again.effects).toEqual([]);
    expect(again.incident).toBe(open);
  });

  it('makes a change of reason one edit and one quiet note with the evidence, audited', () => {
    const t = transition(incident({ diagnoses: { frigate: pull } }), fail({ frigate: config }), ctx);
    expect(t.incident?.diagnoses).toEqual({ frigate: config });
    expect(t.effects.map((e) => e.type)).toEqual(['editMessage', 'threadNote']);
    expect(notes(t)).toEqual(['Why frigate is down: CreateContainerConfigError in container frigate: secret "frigate-mqtt" not found — create it']);
    expect(t.audit).toMatchObject([{ action: 'diagnosisChanged', reason: 'containerConfig', detail: { target: 'frigate', apiReason: 'CreateContainerConfigError', container: 'frigate' } }]);
  });

  it('says so when Kubernetes stops giving a reason, and keeps what it knew when the caller cannot tell', () => {
    const knew = incident({ diagnoses: { frigate: pull } });
    const gone = transition(knew, fail({}), ctx);
    expect(gone.incident).not.toHaveProperty('diagnoses');
    expect(notes(gone)).toEqual(['Why frigate is down: Kubernetes no longer reports a reason']);
    expect(transition(knew, fail(), ctx).effects).toEqual([]);
  });

  it('escapes the API message in the note: it is text from the cluster', () => {
    const t = transition(incident(), fail({ frigate: { ...pull, message: '**boom** @everyone <@1>' } }), ctx);
    expect(notes(t)[0]).toContain('\\*\\*boom\\*\\* @\u200beveryone \\<@1\\>');
  });

  it('reopens with the reason seen now', () => {
    const resolved = incident({ state: 'resolved', resolvedAt: T0 - MIN, diagnoses: { frigate: pull } });
    expect(transition(resolved, fail({ frigate: config }), ctx).incident?.diagnoses).toEqual({ frigate: config });
    expect(transition(resolved, fail(), ctx).incident?.diagnoses).toEqual({ frigate: pull });
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
  it('rings the muted notification on the first tick after the silence ends', () => {
    const muted = incident({ notifiedAt: null });
    expect(transition(muted, events.tick!, { ...ctx, silenced: true }).effects).toEqual([]);
    const out = transition(muted, events.tick!, ctx);
    expect(out.effects.map((e) => e.type)).toEqual(['ring', 'push']);
    expect(out.incident?.notifiedAt).toBe(T0);
  });

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

  it('escalates once, after escalateAfter, only while unacknowledged', () => {
    const early = incident({ notifiedAt: T0 - 14 * MIN });
    expect(transition(early, events.tick!, ctx).effects).toEqual([]);
    const due = incident({ notifiedAt: T0 - 15 * MIN });
    const out = transition(due, events.tick!, ctx);
    expect(out.effects.map((e) => e.type)).toEqual(['ring', 'email', 'push']);
    expect(out.incident?.escalatedAt).toBe(T0);
    expect(transition(out.incident, events.tick!, { ...ctx, now: T0 + HOUR }).effects).toEqual([]);
    const acked = incident({ state: 'acknowledged', notifiedAt: T0 - 60 * MIN });
    expect(transition(acked, events.tick!, ctx).effects).toEqual([]);
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

  it('counts only automatic restarts toward the incident’s restart count', () => {
    const auto = transition(incident(), events.restartRequested!, ctx);
    expect(auto.incident?.restartCount).toBe(1);
    const manual = transition(incident(), { type: 'restartRequested', target: 'frigate', automatic: false, by: '42', reason: 'stuck' }, ctx);
    expect(manual.incident?.restartCount).toBe(0);
    expect(manual.restarts).toEqual([{ target: 'frigate', automatic: false, requestedBy: '42' }]);
    expect(manual.effects[0]).toEqual({ type: 'threadNote', text: 'Restarting frigate by <@42>: stuck' });
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

  it('waiting for our own restart is audited but not noted in the thread', () => {
    const out = transition(incident(), { type: 'restartSkipped', target: 'frigate', reason: 'cooldown', message: 'wait' }, ctx);
    expect(out.effects).toEqual([]);
    expect(out.audit.map((a) => a.reason)).toEqual(['cooldown']);
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

describe('a quiet planned maintenance (issue 23)', () => {
  const quiet: TransitionContext = { ...ctx, maintenance: true };
  const maintenanceFail = nodeFail('node-a: planned maintenance (cordoned 02:04 UTC) — drained — frigate waiting', ['frigate']);

  it('opens without a mention, push or ring; the ring is owed, audited as muted by the maintenance', () => {
    const out = transition(null, maintenanceFail, quiet);
    expect(out.effects).toEqual([{ type: 'postMessage', mention: false }]);
    expect(out.incident?.notifiedAt).toBeNull();
    expect(out.audit.map((a) => [a.action, a.reason])).toEqual([
      ['opened', null],
      ['notificationMuted', 'maintenance'],
    ]);
  });

  it('a silence names itself as the reason when both hold', () => {
    expect(transition(null, maintenanceFail, { ...quiet, silenced: true }).audit.map((a) => a.reason)).toEqual([null, 'silenced']);
  });

  it('reopens quietly too', () => {
    const out = transition({ ...nodeIncident, state: 'resolved', resolvedAt: T0 - MIN }, maintenanceFail, quiet);
    expect(out.effects.map((e) => e.type)).toEqual(['editMessage', 'threadNote']);
  });

  it('a tick neither rings the owed ring nor escalates while it holds', () => {
    expect(transition({ ...nodeIncident, notifiedAt: null }, { type: 'tick' }, quiet).effects).toEqual([]);
    expect(transition({ ...nodeIncident, notifiedAt: T0 - HOUR }, { type: 'tick' }, quiet).effects).toEqual([]);
  });

  it('targets joining are edited in without an "Also affected" note (the sentence names them); the sentence change is one note', () => {
    const out = transition({ ...nodeIncident, targets: [], cause: 'a' }, nodeFail('b', ['frigate']), quiet);
    expect(out.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'b' }]);
    expect(out.audit.map((a) => a.action)).toEqual(['targetsAdded', 'causeChanged']);
    expect(transition({ ...nodeIncident, targets: [], cause: 'b' }, nodeFail('b', ['frigate']), ctx).effects).toContainEqual({ type: 'threadNote', text: 'Also affected: frigate' });
  });

  it('the circuit breaker does not escalate while it holds', () => {
    const out = transition(nodeIncident, { type: 'circuitOpen', target: 'frigate', message: 'x' }, quiet);
    expect(out.effects.map((e) => e.type)).toEqual(['threadNote', 'editMessage']);
  });

  it('a refusal because of the maintenance is audited without a note', () => {
    const out = transition(nodeIncident, { type: 'restartSkipped', target: 'frigate', reason: 'nodeMaintenance', message: 'node-a is in planned maintenance' }, ctx);
    expect(out.effects).toEqual([]);
    expect(out.audit.map((a) => a.reason)).toEqual(['nodeMaintenance']);
  });

  it('an overrun rings once with its sentence and a push, and counts as notified from now', () => {
    const out = transition({ ...nodeIncident, notifiedAt: null }, { type: 'maintenanceOverran', text: "node-a's maintenance overran: NotReady for 47m" }, quiet);
    expect(out.effects).toEqual([
      { type: 'editMessage' },
      { type: 'ring', reason: 'overrun', text: "node-a's maintenance overran: NotReady for 47m" },
      { type: 'push', reason: 'overrun' },
    ]);
    expect(out.incident?.notifiedAt).toBe(T0);
    expect(out.audit.map((a) => [a.action, a.reason])).toEqual([
      ['maintenanceOverran', null],
      ['notified', 'overrun'],
    ]);
  });

  it('an overrun under a silence is a quiet note; the ring stays owed', () => {
    const out = transition({ ...nodeIncident, notifiedAt: null }, { type: 'maintenanceOverran', text: 'x_y' }, { ...ctx, silenced: true });
    expect(out.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'x\\_y' }]);
    expect(out.incident?.notifiedAt).toBeNull();
  });

  it('an overrun of a resolved or missing incident changes nothing', () => {
    const event: IncidentEvent = { type: 'maintenanceOverran', text: 'x' };
    expect(transition(null, event, ctx)).toEqual({ incident: null, effects: [], audit: [], restarts: [] });
    expect(transition({ ...nodeIncident, state: 'resolved', resolvedAt: T0 }, event, ctx).effects).toEqual([]);
  });

  it('transitionContext carries the maintenance only when it holds', () => {
    const config = { reopenWindow: MIN, notify: { escalateAfter: MIN } };
    expect(transitionContext(config, { now: T0, actor: 'a', silenced: false, maintenance: true }).maintenance).toBe(true);
    expect('maintenance' in transitionContext(config, { now: T0, actor: 'a', silenced: false, maintenance: false })).toBe(false);
    expect('maintenance' in transitionContext(config, { now: T0, actor: 'a', silenced: false })).toBe(false);
  });
});
