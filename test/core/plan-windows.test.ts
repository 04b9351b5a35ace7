import { describe, expect, it } from 'vitest';
import type { CycleInput } from '../../src/core/plan.js';
import type { Observation } from '../../src/core/types.js';
import type { MaintenanceWindow } from '../../src/core/windows.js';
import { HOUR, MIN, node, SEC, snapshot, T0, target, workload } from './fixtures.js';
import { Loop } from './loop.js';

const fail = (t: string): Observation => ({ target: t, result: 'fail', detail: 'HTTP 503' });
const ok = (t: string): Observation => ({ target: t, result: 'ok', detail: 'HTTP 200' });
const snap = snapshot([node('node-a'), node('node-b')], [workload('frigate', ['node-a']), workload('mqtt', ['node-a']), workload('hass', ['node-b'])]);

function window(overrides: Partial<MaintenanceWindow> = {}): MaintenanceWindow {
  return { id: 1, nodes: ['node-a'], targets: [], startsAt: T0, endsAt: T0 + HOUR, reason: 'NAS firmware', createdBy: '111', createdByName: 'alice', recurring: null, endedAt: null, reportedAt: null, ...overrides };
}

/** A loop whose windows are marked reported as a store would, after each cycle that reported them. */
function loopWith(windows: MaintenanceWindow[]) {
  const maintenance: NonNullable<CycleInput['maintenanceWindows']> = { windows, resolved: [] };
  const loop = new Loop({ config: { targets: [target('frigate'), target('mqtt'), target('hass')], watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } }, silences: [], maintenanceWindows: maintenance });
  const cycle = (now: number, observations: Observation[]) => {
    const plan = loop.cycle(now, snap, observations);
    const reported = new Set((plan.windowReports ?? []).map((r) => r.window.id));
    maintenance.windows = maintenance.windows.map((w) => (reported.has(w.id) ? { ...w, reportedAt: now } : w));
    maintenance.resolved = loop.incidents.filter((i) => i.state === 'resolved');
    return plan;
  };
  return { loop, maintenance, cycle };
}

const rings = (loop: Loop) => loop.plans.flatMap((p) => p.incidents.flatMap((i) => i.effects.filter((e) => e.type === 'ring' || (e.type === 'postMessage' && e.mention)).map((e) => [i.incident.subject, e])));

describe('planCycle with maintenance windows', () => {
  it('mutes and holds what a window covers, rings what it does not, and at its end rings once for what is still down', () => {
    const { loop, maintenance, cycle } = loopWith([window()]);
    for (let i = 0; i < 10; i++) cycle(T0 + i * 30 * SEC, [fail('frigate'), fail('mqtt'), fail('hass')]);
    for (let i = 10; i < 20; i++) cycle(T0 + i * 30 * SEC, [fail('frigate'), ok('mqtt'), fail('hass')]);
    // Checks go on: frigate's and mqtt's incidents open (quietly); hass, on another node, rings.
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([
      ['target:frigate', 'open'],
      ['target:mqtt', 'resolved'],
      ['target:hass', 'open'],
    ]);
    expect(rings(loop).map(([s]) => s)).toEqual(['target:hass']);
    expect(new Set(loop.restartsAsked().map((r) => r.target))).toEqual(new Set(['hass']));
    expect(loop.audits('restartSkipped').filter((a) => a.reason === 'maintenanceWindow').map((a) => a.detail.target)).toEqual(['frigate', 'mqtt']);
    // Past the escalation delay in the window, the muted incident does not escalate.
    cycle(T0 + 50 * MIN, [fail('frigate'), ok('mqtt'), fail('hass')]);
    expect(loop.effects('ring').filter((e) => e.type === 'ring' && e.reason === 'escalation')).toHaveLength(1);

    const end = cycle(T0 + HOUR, [fail('frigate'), ok('mqtt'), fail('hass')]);
    expect(end.windowReports?.map((r) => r.text)).toEqual(['Maintenance window (node node-a — NAS firmware, by <@111>) over after 1h — back: mqtt; still down: frigate']);
    const frigate = end.incidents.find((i) => i.incident.subject === 'target:frigate')!;
    expect(frigate.effects.filter((e) => e.type === 'ring')).toEqual([{ type: 'ring', reason: 'unmuted', text: end.windowReports![0]!.text }]);
    expect(maintenance.windows[0]!.reportedAt).toBe(T0 + HOUR);
    // Once: the next cycles neither report nor ring again; restarts go through the gate again.
    cycle(T0 + HOUR + 30 * SEC, [fail('frigate'), ok('mqtt'), fail('hass')]);
    expect(rings(loop).filter(([s]) => s === 'target:frigate')).toHaveLength(1);
    expect(loop.plans.at(-1)!.windowReports).toBeUndefined();
    expect(loop.restartsAsked().map((r) => r.target)).toContain('frigate');
  });

  it('does not re-page an incident acknowledged before the window began: its end is a quiet note', () => {
    const { loop, maintenance, cycle } = loopWith([]);
    cycle(T0 - 10 * MIN, [fail('frigate')]);
    cycle(T0 - 9 * MIN, [fail('frigate')]);
    loop.incidents = loop.incidents.map((i) => ({ ...i, state: 'acknowledged', acknowledgedBy: '222', acknowledgedAt: T0 - 8 * MIN }));
    maintenance.windows = [window()];
    for (let m = 0; m <= 60; m += 5) cycle(T0 + m * MIN, [fail('frigate')]);
    expect(rings(loop).map(([s]) => s)).toEqual(['target:frigate']);
    const end = loop.plans.at(-1)!;
    expect(end.windowReports).toHaveLength(1);
    expect(end.incidents[0]!.effects).toContainEqual({ type: 'threadNote', text: expect.stringMatching(/still down: frigate$/) });
  });

  it('rings once when two windows over an incident end in the same cycle, and not while a longer one lasts', () => {
    const { loop, cycle } = loopWith([window({ id: 1 }), window({ id: 2, nodes: [], targets: ['frigate'] }), window({ id: 3, nodes: [], targets: ['frigate'], endsAt: T0 + 2 * HOUR })]);
    for (let m = 0; m <= 60; m += 5) cycle(T0 + m * MIN, [fail('frigate')]);
    expect(rings(loop)).toEqual([]);
    expect(loop.plans.at(-1)!.windowReports?.map((r) => r.window.id)).toEqual([1, 2]);
    for (let m = 65; m <= 120; m += 5) cycle(T0 + m * MIN, [fail('frigate')]);
    expect(rings(loop).map(([s, e]) => [s, (e as { reason?: string }).reason])).toEqual([['target:frigate', 'unmuted']]);
  });

  it('when everything came back, writes the summary quietly into the thread of what came back last and archives it again', () => {
    const { loop, cycle } = loopWith([window()]);
    for (let m = 0; m <= 5; m += 1) cycle(T0 + m * MIN, [fail('frigate')]);
    for (let m = 6; m <= 60; m += 2) cycle(T0 + m * MIN, [ok('frigate')]);
    const end = loop.plans.at(-1)!;
    expect(end.windowReports?.map((r) => r.text)).toEqual(['Maintenance window (node node-a — NAS firmware, by <@111>) over after 1h — back: frigate']);
    expect(end.incidents.map((i) => [i.incident.subject, i.incident.state, i.effects])).toEqual([
      ['target:frigate', 'resolved', [{ type: 'threadNote', text: end.windowReports![0]!.text }, { type: 'archiveThread' }]],
    ]);
    expect(rings(loop)).toEqual([]);
  });

  it('mutes a NotReady node’s own incident in a window of that node', () => {
    const { loop, cycle } = loopWith([window()]);
    const down = snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a'])]);
    loop.cycle(T0 + MIN, down, [fail('frigate')]);
    expect(loop.incidents.map((i) => i.subject)).toEqual(['node:node-a']);
    expect(loop.effects('postMessage')).toEqual([{ type: 'postMessage', mention: false }]);
    void cycle;
  });
});
