import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/core/gate.js';
import { transition, transitionContext } from '../../src/core/lifecycle.js';
import {
  describeCovered,
  describeOrigin,
  plainTime,
  planWindowEnds,
  reportWindowEnd,
  windowCoversIncident,
  windowCoversTarget,
  windowEnd,
  windowForIncident,
  windowForTarget,
  windowInForce,
  windowNodes,
  windowRefusal,
  windowsToReport,
  type IncidentLedger,
  type MaintenanceWindow,
} from '../../src/core/windows.js';
import type { Incident } from '../../src/core/types.js';
import { gateInput, HOUR, incident, MIN, node, snapshot, T0, target, workload } from './fixtures.js';

function window(overrides: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  return { id: 1, nodes: [], targets: ['frigate'], startsAt: T0 - 30 * MIN, endsAt: T0 + 30 * MIN, reason: 'NAS firmware', createdBy: '111', createdByName: 'alice', recurring: null, endedAt: null, reportedAt: null, ...overrides };
}

const onNodeA = { frigate: ['node-a'], mqtt: ['node-a'], hass: ['node-b'] };

describe('a window in force', () => {
  it('ends at its planned end, or earlier when ended early, never later', () => {
    expect(windowEnd(window())).toBe(T0 + 30 * MIN);
    expect(windowEnd(window({ endedAt: T0 }))).toBe(T0);
    expect(windowEnd(window({ endedAt: T0 + HOUR }))).toBe(T0 + 30 * MIN);
  });

  it.each<[string, Partial<MaintenanceWindow>, number, boolean]>([
    ['before its end', {}, T0 + 30 * MIN - 1, true],
    ['at its end', {}, T0 + 30 * MIN, false],
    ['ended early', { endedAt: T0 - MIN }, T0, false],
    ['just before it was ended', { endedAt: T0 + MIN }, T0 + MIN - 1, true],
    ['with a clock stepped back before its start', {}, T0 - HOUR, true],
  ])('is in force %s', (_, overrides, now, expected) => {
    expect(windowInForce(window(overrides), now)).toBe(expected);
  });

  it('covers a target by name, or every target whose pods are on one of its nodes', () => {
    const byNode = window({ nodes: ['node-a'], targets: [] });
    expect(windowCoversTarget(byNode, 'frigate', onNodeA)).toBe(true);
    expect(windowCoversTarget(byNode, 'hass', onNodeA)).toBe(false);
    expect(windowCoversTarget(byNode, 'ghost', onNodeA)).toBe(false);
    expect(windowCoversTarget(window(), 'frigate', {})).toBe(true);
    expect(windowCoversTarget(window(), 'mqtt', onNodeA)).toBe(false);
  });

  it('covers the incident of its node or target, or one whose every target it covers', () => {
    const byNode = window({ nodes: ['node-a'], targets: [] });
    expect(windowCoversIncident(byNode, { subject: 'node:node-a', targets: [] }, {})).toBe(true);
    expect(windowCoversIncident(byNode, { subject: 'node:node-b', targets: [] }, onNodeA)).toBe(false);
    expect(windowCoversIncident(byNode, { subject: 'target:frigate', targets: [] }, onNodeA)).toBe(true);
    expect(windowCoversIncident(byNode, { subject: 'node:node-c', targets: ['frigate', 'mqtt'] }, onNodeA)).toBe(true);
    expect(windowCoversIncident(byNode, { subject: 'node:node-c', targets: ['frigate', 'hass'] }, onNodeA)).toBe(false);
    expect(windowCoversIncident(window(), { subject: 'cluster', targets: [] }, onNodeA)).toBe(false);
    expect(windowCoversIncident(window(), { subject: 'target:frigate', targets: ['frigate'] }, {})).toBe(true);
  });

  it('keeps the first of windows ending together', () => {
    expect(windowForTarget('frigate', [window({ id: 1 }), window({ id: 2 })], onNodeA, T0)?.id).toBe(1);
  });

  it('finds the covering window in force that ends last, none once ended', () => {
    const short = window({ id: 1 });
    const long = window({ id: 2, endsAt: T0 + 2 * HOUR });
    const ended = window({ id: 3, endsAt: T0 + 5 * HOUR, endedAt: T0 - MIN });
    const elsewhere = window({ id: 4, targets: ['hass'], endsAt: T0 + 9 * HOUR });
    expect(windowForTarget('frigate', [short, long, ended, elsewhere], onNodeA, T0)?.id).toBe(2);
    expect(windowForTarget('frigate', [long, short], onNodeA, T0)?.id).toBe(2);
    expect(windowForTarget('frigate', [ended], onNodeA, T0)).toBeNull();
    expect(windowForIncident({ subject: 'target:frigate', targets: ['frigate'] }, [short, long, ended, elsewhere], onNodeA, T0)?.id).toBe(2);
    expect(windowForIncident({ subject: 'target:frigate', targets: ['frigate'] }, [short], onNodeA, T0 + HOUR)).toBeNull();
  });

  it('reads where targets run from a snapshot, nothing when the API did not answer', () => {
    expect(windowNodes(snapshot([node('node-a')], [workload('frigate', ['node-a', 'node-b'])]))).toEqual({ frigate: ['node-a', 'node-b'] });
    expect(windowNodes({ reachable: false, observedAt: T0, error: 'ECONNREFUSED' })).toEqual({});
  });
});

describe('window words', () => {
  it('names what it covers', () => {
    expect(describeCovered(window({ nodes: ['nas-1'], targets: [] }))).toBe('node nas-1');
    expect(describeCovered(window({ nodes: ['a', 'b'], targets: [] }))).toBe('nodes a, b');
    expect(describeCovered(window({ nodes: ['a'], targets: ['frigate', 'mqtt'] }))).toBe('node a and frigate, mqtt');
    expect(describeCovered(window())).toBe('frigate');
  });

  it('says why and by whom: a person, or the configuration’s recurring window', () => {
    expect(describeOrigin(window())).toBe('NAS firmware, by <@111>');
    expect(describeOrigin(window({ reason: '' }))).toBe('by <@111>');
    expect(describeOrigin(window({ reason: '*bold*\nnext' }))).toBe('\\*bold\\* next, by <@111>');
    expect(describeOrigin(window({ recurring: 'weekly-nas', reason: '', createdBy: 'config' }))).toBe('weekly-nas, scheduled');
    expect(describeOrigin(window({ recurring: 'weekly-nas', reason: 'weekly-nas', createdBy: 'config' }))).toBe('weekly-nas, scheduled');
    expect(describeOrigin(window({ recurring: 'weekly-nas', reason: 'updates', createdBy: 'config' }))).toBe('weekly-nas: updates, scheduled');
  });

  it('says in plain words why and by whom for sentences that are escaped (the gate’s)', () => {
    expect(describeOrigin(window(), 'plain')).toBe('NAS firmware, by alice');
    expect(describeOrigin(window({ reason: '*bold*' }), 'plain')).toBe('*bold*, by alice');
    expect(describeOrigin(window({ reason: '', createdByName: '' }), 'plain')).toBe('by a person');
    expect(describeOrigin(window({ recurring: 'weekly-nas', reason: '', createdBy: 'config', createdByName: '' }), 'plain')).toBe('weekly-nas, scheduled');
  });

  it('clips long reasons and names', () => {
    const long = 'x'.repeat(300);
    expect(describeOrigin(window({ reason: long }))).toBe(`${'x'.repeat(119)}…, by <@111>`);
    expect(describeOrigin(window({ reason: '', createdByName: long }), 'plain')).toBe(`by ${'x'.repeat(63)}…`);
    expect(describeOrigin(window({ reason: '', recurring: long, createdBy: 'config' }))).toBe(`${'x'.repeat(99)}…, scheduled`);
  });

  it('refuses a restart with the window’s end in UTC, its date when not today, and who declared it', () => {
    expect(plainTime(T0 + 30 * MIN, T0)).toBe('20:30 UTC');
    expect(plainTime(Date.parse('2026-11-26T04:00:59Z'), T0)).toBe('2026-11-26 04:00 UTC');
    expect(windowRefusal('frigate', window(), T0)).toBe('frigate is in a maintenance window until 20:30 UTC (NAS firmware, by alice)');
    expect(windowRefusal('frigate', window({ endedAt: T0 + MIN }), T0)).toContain('until 20:01 UTC');
  });
});

describe('the gate in a window', () => {
  const targets = [target('frigate'), target('hass')];
  const snap = snapshot([node('node-a'), node('node-b')], [workload('frigate', ['node-a']), workload('hass', ['node-b'])]);
  const byNode = window({ nodes: ['node-a'], targets: [] });

  it('refuses automatic restarts of what a window covers, naming the window', () => {
    const decision = evaluateGate(gateInput({ targets, snapshot: snap, windows: [byNode] }));
    expect(decision).toEqual({ allowed: false, reason: 'maintenanceWindow', message: windowRefusal('frigate', byNode, T0), context: { windowId: 1, until: T0 + 30 * MIN } });
  });

  it('lets a person restart in a window, restarts what it does not cover, and forgets an ended window', () => {
    expect(evaluateGate(gateInput({ targets, snapshot: snap, windows: [byNode], mode: 'manual' })).allowed).toBe(true);
    expect(evaluateGate(gateInput({ targets, snapshot: snap, windows: [byNode], targetName: 'hass' })).allowed).toBe(true);
    expect(evaluateGate(gateInput({ targets, snapshot: snap, windows: [{ ...byNode, endedAt: T0 - 1 }] })).allowed).toBe(true);
    expect(evaluateGate(gateInput({ targets, snapshot: snap })).allowed).toBe(true);
  });

  it('says silenced first when both a silence and a window hold', () => {
    const silenced = evaluateGate(gateInput({ targets, snapshot: snap, windows: [byNode], silences: [{ id: 1, scope: { kind: 'everything' }, startsAt: T0 - MIN, endsAt: T0 + MIN, createdBy: '1', reason: '', liftedAt: null }] }));
    expect(silenced).toMatchObject({ allowed: false, reason: 'silenced' });
  });
});

describe('the end of a window', () => {
  const byNode = window({ nodes: ['node-a'], targets: [], startsAt: T0 - HOUR, endsAt: T0 });
  const down = incident({ id: 1, subject: 'target:frigate', targets: ['frigate'], openedAt: T0 - 50 * MIN, notifiedAt: null });
  const back = incident({ id: 2, subject: 'target:mqtt', targets: ['mqtt'], state: 'resolved', resolvedAt: T0 - 10 * MIN });
  const backBefore = incident({ id: 3, subject: 'target:mqtt', targets: ['mqtt'], state: 'resolved', resolvedAt: T0 - 2 * HOUR });
  const other = incident({ id: 4, subject: 'target:hass', targets: ['hass'] });

  it('owes a report once ended and not yet reported', () => {
    const windows = [byNode, window({ id: 2 }), window({ id: 3, endsAt: T0 - MIN, reportedAt: T0 - 1 }), window({ id: 4, endedAt: T0 - 1 })];
    expect(windowsToReport(windows, T0).map((w) => w.id)).toEqual([1, 4]);
  });

  it('lists what came back and what is still down, and rings for what is still down', () => {
    const report = reportWindowEnd({ window: byNode, incidents: [down, back, backBefore, other], windows: [byNode], nodesOf: onNodeA, now: T0 });
    expect(report.text).toBe('Maintenance window (node node-a — NAS firmware, by <@111>) over after 1h — back: mqtt; still down: frigate');
    expect(report.stillOpen).toEqual([{ subject: 'target:frigate', ring: true }]);
  });

  it('does not ring again for an acknowledged incident, nor while another window still covers it', () => {
    const acked = { ...down, state: 'acknowledged' as const, acknowledgedBy: '222' };
    expect(reportWindowEnd({ window: byNode, incidents: [acked], windows: [byNode], nodesOf: onNodeA, now: T0 }).stillOpen).toEqual([{ subject: 'target:frigate', ring: false }]);
    const still = window({ id: 9, endsAt: T0 + HOUR });
    expect(reportWindowEnd({ window: byNode, incidents: [down], windows: [byNode, still], nodesOf: onNodeA, now: T0 }).stillOpen).toEqual([{ subject: 'target:frigate', ring: false }]);
    const alsoEnded = window({ id: 9, endsAt: T0 });
    expect(reportWindowEnd({ window: byNode, incidents: [down], windows: [byNode, alsoEnded], nodesOf: onNodeA, now: T0 }).stillOpen).toEqual([{ subject: 'target:frigate', ring: true }]);
  });

  it('says when nothing went down, when all came back, and when it was ended early', () => {
    expect(reportWindowEnd({ window: byNode, incidents: [other], windows: [byNode], nodesOf: onNodeA, now: T0 }).text).toMatch(/over after 1h — nothing went down$/);
    expect(reportWindowEnd({ window: byNode, incidents: [back], windows: [byNode], nodesOf: onNodeA, now: T0 }).text).toMatch(/ — back: mqtt$/);
    const early = { ...byNode, endedAt: T0 - 40 * MIN };
    expect(reportWindowEnd({ window: early, incidents: [], windows: [early], nodesOf: onNodeA, now: T0 }).text).toMatch(/ended early after 20m — /);
    const late = { ...byNode, endsAt: T0 + 20 * SECONDS };
    expect(reportWindowEnd({ window: late, incidents: [], windows: [late], nodesOf: onNodeA, now: T0 + HOUR }).text).toContain('over after 1h —');
  });

  it('names a node incident by its targets, or by its node when it lists none; still down wins over back', () => {
    const nodeDown = incident({ id: 5, subject: 'node:node-a', kind: 'node', targets: [] });
    const nodeWithTargets = incident({ id: 6, subject: 'node:node-a', kind: 'node', targets: ['frigate', 'mqtt'] });
    expect(reportWindowEnd({ window: byNode, incidents: [nodeDown], windows: [byNode], nodesOf: onNodeA, now: T0 }).text).toMatch(/still down: node node-a$/);
    expect(reportWindowEnd({ window: byNode, incidents: [nodeWithTargets, back], windows: [byNode], nodesOf: onNodeA, now: T0 }).text).toMatch(/ — still down: frigate, mqtt$/);
    const byName = window({ targets: ['frigate'], startsAt: T0 - HOUR, endsAt: T0 });
    const oddSubject = incident({ id: 7, subject: 'target:frigate', targets: [] });
    expect(reportWindowEnd({ window: byName, incidents: [oddSubject], windows: [byName], nodesOf: {}, now: T0 }).text).toMatch(/still down: frigate$/);
  });

  it('rounds how long it lasted to whole minutes, at least one, and counts a reported end at its planned end as over', () => {
    const text = (w: MaintenanceWindow) => reportWindowEnd({ window: w, incidents: [], windows: [w], nodesOf: {}, now: T0 + 2 * HOUR }).text;
    expect(text(window({ startsAt: T0, endsAt: T0 + 10 * SECONDS }))).toContain(' over after 1m — ');
    expect(text(window({ startsAt: T0, endsAt: T0 + HOUR - 20 * SECONDS }))).toContain(' over after 1h — ');
    expect(text(window({ startsAt: T0, endsAt: T0 + HOUR + 40 * SECONDS }))).toContain(' over after 1h1m — ');
    expect(text(window({ startsAt: T0, endsAt: T0 + HOUR, endedAt: T0 + HOUR }))).toContain(' over after 1h — ');
  });

  it('counts an incident resolved at the very start of the window as back', () => {
    const atStart = { ...back, resolvedAt: byNode.startsAt };
    expect(reportWindowEnd({ window: byNode, incidents: [atStart], windows: [byNode], nodesOf: onNodeA, now: T0 }).text).toMatch(/ — back: mqtt$/);
    const before = { ...back, resolvedAt: byNode.startsAt - 1 };
    expect(reportWindowEnd({ window: byNode, incidents: [before], windows: [byNode], nodesOf: onNodeA, now: T0 }).text).toMatch(/ — nothing went down$/);
  });

  it('orders what is still open by subject', () => {
    const a = incident({ id: 8, subject: 'target:mqtt', targets: ['mqtt'] });
    const report = reportWindowEnd({ window: byNode, incidents: [down, a, { ...down, id: 9, subject: 'node:node-a', kind: 'node', targets: [] }], windows: [byNode], nodesOf: onNodeA, now: T0 });
    expect(report.stillOpen.map((s) => s.subject)).toEqual(['node:node-a', 'target:frigate', 'target:mqtt']);
    expect(report.text).toMatch(/still down: frigate, mqtt, node node-a$/);
  });
});

const SECONDS = 1000;

describe('planWindowEnds', () => {
  function ledger(incidents: Incident[]): IncidentLedger & { events: Array<[string, unknown]>; adopted: Incident[] } {
    const events: Array<[string, unknown]> = [];
    const adopted: Incident[] = [];
    return { events, adopted, all: () => incidents, apply: (subject, event) => events.push([subject, event]), adopt: (i) => adopted.push(i) };
  }
  const first = window({ id: 1, startsAt: T0 - HOUR, endsAt: T0 - MIN });
  const second = window({ id: 2, startsAt: T0 - 2 * HOUR, endsAt: T0 - 2 * MIN });
  const down = incident({ id: 1, subject: 'target:frigate', targets: ['frigate'] });

  it('reports each ended window, first ended first, ringing an incident once however many end', () => {
    const book = ledger([down]);
    const reports = planWindowEnds(book, { windows: [first, second, window({ id: 3, endsAt: T0 + HOUR, targets: ['hass'] })], resolved: [], nodesOf: {}, now: T0 });
    expect(reports.map((r) => r.window.id)).toEqual([2, 1]);
    expect(book.events.map(([subject, e]) => [subject, (e as { ring: boolean }).ring])).toEqual([
      ['target:frigate', true],
      ['target:frigate', false],
    ]);
    expect(book.events[0]![1]).toEqual({ type: 'maintenanceEnded', text: reports[0]!.text, ring: true });
  });

  it('orders windows that ended together by id, and lists what resolved during the window from the resolved ones', () => {
    const a = window({ id: 5, startsAt: T0 - HOUR, endsAt: T0 - MIN });
    const b = window({ id: 4, startsAt: T0 - HOUR, endsAt: T0 - MIN });
    const resolved = incident({ id: 20, subject: 'target:frigate', targets: ['frigate'], state: 'resolved', resolvedAt: T0 - 30 * MIN });
    const book = ledger([]);
    const reports = planWindowEnds(book, { windows: [a, b], resolved: [resolved], nodesOf: {}, now: T0 });
    expect(reports.map((r) => r.window.id)).toEqual([4, 5]);
    expect(reports[0]!.text).toMatch(/ — back: frigate$/);
    expect(reports[0]!.stillOpen).toEqual([]);
    // Nothing still open: the summary goes, quietly, to what came back.
    expect(book.adopted).toEqual([resolved, resolved]);
    expect(book.events).toEqual([
      ['target:frigate', { type: 'maintenanceEnded', text: reports[0]!.text, ring: false }],
      ['target:frigate', { type: 'maintenanceEnded', text: reports[1]!.text, ring: false }],
    ]);
  });

  it('sends the summary to nothing when nothing went down, and to what came back last when all came back', () => {
    const book = ledger([]);
    planWindowEnds(book, { windows: [first], resolved: [], nodesOf: {}, now: T0 });
    expect(book.events).toEqual([]);
    const early = incident({ id: 21, subject: 'target:frigate', targets: ['frigate'], state: 'resolved', resolvedAt: T0 - 40 * MIN });
    const late = incident({ id: 22, subject: 'target:frigate', targets: ['frigate'], state: 'resolved', resolvedAt: T0 - 20 * MIN });
    const report = reportWindowEnd({ window: first, incidents: [early, late], windows: [first], nodesOf: {}, now: T0 });
    expect(report.lastBack?.id).toBe(22);
    expect(reportWindowEnd({ window: first, incidents: [late, early], windows: [first], nodesOf: {}, now: T0 }).lastBack?.id).toBe(22);
  });

  it('reads an incident once when the ledger and the resolved list both hold it', () => {
    const resolved = incident({ id: 20, subject: 'target:frigate', targets: ['frigate'], state: 'resolved', resolvedAt: T0 - 30 * MIN });
    const reopened = { ...resolved, state: 'open' as const, resolvedAt: null };
    const book = ledger([reopened]);
    const [report] = planWindowEnds(book, { windows: [first], resolved: [resolved], nodesOf: {}, now: T0 });
    expect(report!.text).toMatch(/ — still down: frigate$/);
  });
});

describe('the lifecycle at a window’s end', () => {
  const ctx = transitionContext({ reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } }, { now: T0, actor: 'scheduler', silenced: false });

  it('rings once with the summary for what is still down, restarting the escalation clock', () => {
    const step = transition(incident({ notifiedAt: null }), { type: 'maintenanceEnded', text: 'summary', ring: true }, ctx);
    expect(step.incident?.notifiedAt).toBe(T0);
    expect(step.effects).toEqual([{ type: 'editMessage' }, { type: 'ring', reason: 'unmuted', text: 'summary' }, { type: 'push', reason: 'unmuted' }]);
    expect(step.audit.map((a) => [a.action, a.reason])).toEqual([['maintenanceEnded', null], ['notified', 'maintenanceEnded']]);
    expect(step.audit[0]!.detail).toEqual({ text: 'summary' });
  });

  it('notes a declared window quietly on an open incident, by the person', () => {
    const step = transition(incident(), { type: 'maintenanceChanged', text: 'In maintenance until …' }, { ...ctx, actor: '111' });
    expect(step.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'In maintenance until …' }]);
    expect(step.audit.map((a) => [a.action, a.actor, a.detail])).toEqual([['maintenanceChanged', '111', { text: 'In maintenance until …' }]]);
  });

  it('notes it quietly when it must not ring; on a resolved incident the note goes to its thread, archived again, never a ring', () => {
    const quiet = transition(incident({ notifiedAt: null }), { type: 'maintenanceEnded', text: 'summary', ring: false }, ctx);
    expect(quiet.incident?.notifiedAt).toBeNull();
    expect(quiet.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'summary' }]);
    const resolved = incident({ state: 'resolved', resolvedAt: T0 - MIN });
    const step = transition(resolved, { type: 'maintenanceEnded', text: 'summary', ring: true }, ctx);
    expect(step.incident).toBe(resolved);
    expect(step.effects).toEqual([{ type: 'threadNote', text: 'summary' }, { type: 'archiveThread' }]);
    expect(step.audit.map((a) => [a.action, a.detail])).toEqual([['maintenanceEnded', { text: 'summary' }]]);
    expect(transition(null, { type: 'maintenanceEnded', text: 'summary', ring: true }, ctx)).toEqual({ incident: null, effects: [], audit: [], restarts: [] });
  });
});
