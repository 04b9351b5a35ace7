import { describe, expect, it } from 'vitest';
import { transition, type IncidentEvent, type TransitionContext } from '../../src/core/lifecycle.js';
import type { Diagnosis } from '../../src/core/diagnosis.js';
import type { Incident } from '../../src/core/types.js';
import { incident, MIN, T0 } from './fixtures.js';

const ctx: TransitionContext = { now: T0, reopenWindow: 10 * MIN, escalateAfter: 15 * MIN, silenced: false, actor: 'scheduler' };

const states: Record<string, Incident | null> = {
  none: null,
  open: incident(),
  acknowledged: incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 - 5 * MIN }),
  resolvedRecently: incident({ state: 'resolved', resolvedAt: T0 - 5 * MIN }),
  resolvedLongAgo: incident({ state: 'resolved', resolvedAt: T0 - 60 * MIN }),
};

const events: Record<string, IncidentEvent> = {
  fail: { type: 'fail', subject: 'target:frigate', kind: 'target', cause: 'frigate is down: timeout', targets: ['frigate'] },
  recover: { type: 'recover', cause: 'frigate is healthy again' },
  acknowledge: { type: 'acknowledge', by: '99' },
  tick: { type: 'tick' },
  restartRequested: { type: 'restartRequested', target: 'frigate', automatic: true, by: 'scheduler', reason: null },
  restartSkipped: { type: 'restartSkipped', target: 'frigate', reason: 'nodeNotReady', message: 'node node-a is NotReady' },
  restartFailed: { type: 'restartFinished', target: 'frigate', ok: false, error: 'HTTP 403' },
  circuitOpen: { type: 'circuitOpen', target: 'frigate', message: '3 automatic restarts did not help' },
  silenceChanged: { type: 'silenceChanged', by: '42', text: 'Silenced for 1h by <@42>' },
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
  },
};

const rows = Object.entries(table).flatMap(([state, byEvent]) =>
  Object.entries(byEvent).map(([event, row]) => ({ state, event, row })),
);

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

describe('transition: details', () => {
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

  it('rings the muted notification on the first tick after the silence ends', () => {
    const muted = incident({ notifiedAt: null });
    expect(transition(muted, events.tick!, { ...ctx, silenced: true }).effects).toEqual([]);
    const out = transition(muted, events.tick!, ctx);
    expect(out.effects.map((e) => e.type)).toEqual(['ring', 'push']);
    expect(out.incident?.notifiedAt).toBe(T0);
  });

  it('escalates once, after escalateAfter, only while unacknowledged', () => {
    const early = incident({ notifiedAt: T0 - 14 * MIN });
    expect(transition(early, events.tick!, ctx).effects).toEqual([]);
    const due = incident({ notifiedAt: T0 - 15 * MIN });
    const out = transition(due, events.tick!, ctx);
    expect(out.effects.map((e) => e.type)).toEqual(['ring', 'email', 'push']);
    expect(out.incident?.escalatedAt).toBe(T0);
    expect(transition(out.incident, events.tick!, { ...ctx, now: T0 + HOUR_MS }).effects).toEqual([]);
    const acked = incident({ state: 'acknowledged', notifiedAt: T0 - 60 * MIN });
    expect(transition(acked, events.tick!, ctx).effects).toEqual([]);
  });

  it('reopening clears the acknowledgement and counts the reopen', () => {
    const resolved = incident({ state: 'resolved', resolvedAt: T0 - MIN, acknowledgedBy: '42', escalatedAt: T0 - 30 * MIN });
    const out = transition(resolved, events.fail!, ctx);
    expect(out.incident).toMatchObject({ state: 'open', reopenCount: 1, acknowledgedBy: null, escalatedAt: null, resolvedAt: null });
  });

  it('keeps a target incident’s cause stable while the probe detail varies', () => {
    const out = transition(incident(), { ...events.fail!, cause: 'frigate is down: connection refused' } as IncidentEvent, ctx);
    expect(out.incident?.cause).toBe('frigate is down: HTTP 503');
    expect(out.effects).toEqual([]);
  });

  it('a node incident notes newly affected targets and cause changes', () => {
    const nodeIncident = incident({ subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: [] });
    const out = transition(nodeIncident, { type: 'fail', subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady', targets: ['frigate'] }, ctx);
    expect(out.incident?.targets).toEqual(['frigate']);
    expect(out.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Also affected: frigate' }]);
  });

  it('waiting for our own restart is audited but not noted in the thread', () => {
    const out = transition(incident(), { type: 'restartSkipped', target: 'frigate', reason: 'cooldown', message: 'wait' }, ctx);
    expect(out.effects).toEqual([]);
    expect(out.audit.map((a) => a.reason)).toEqual(['cooldown']);
  });

  it('counts only automatic restarts toward the incident’s restart count', () => {
    const auto = transition(incident(), events.restartRequested!, ctx);
    expect(auto.incident?.restartCount).toBe(1);
    const manual = transition(incident(), { type: 'restartRequested', target: 'frigate', automatic: false, by: '42', reason: 'stuck' }, ctx);
    expect(manual.incident?.restartCount).toBe(0);
    expect(manual.restarts).toEqual([{ target: 'frigate', automatic: false, requestedBy: '42' }]);
    expect(manual.effects[0]).toEqual({ type: 'threadNote', text: 'Restarting frigate by <@42>: stuck' });
  });
});

const HOUR_MS = 60 * MIN;

describe('transition: why it is down (diagnoses)', () => {
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

describe('the reopen window (one owner)', () => {
  it('reopens up to and including the window, not after, and never an incident that did not resolve', async () => {
    const { withinReopenWindow, reopenWindowStart } = await import('../../src/core/lifecycle.js');
    expect(withinReopenWindow(T0 - 10 * MIN, T0, 10 * MIN)).toBe(true);
    expect(withinReopenWindow(T0 - 10 * MIN - 1, T0, 10 * MIN)).toBe(false);
    expect(withinReopenWindow(null, T0, 10 * MIN)).toBe(false);
    // The query bound loads exactly the incidents the rule can reopen.
    expect(withinReopenWindow(reopenWindowStart(T0, 10 * MIN), T0, 10 * MIN)).toBe(true);
    expect(withinReopenWindow(reopenWindowStart(T0, 10 * MIN) - 1, T0, 10 * MIN)).toBe(false);
  });
});
