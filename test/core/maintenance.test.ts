import { describe, expect, it } from 'vitest';
import {
  activeMaintenance,
  explainingMaintenance,
  isQuiet,
  MAINTENANCE_DEFAULTS,
  maintenanceHold,
  maintenanceLine,
  maintenanceOfIncident,
  maintenanceOver,
  maintenanceOverrun,
  maintenanceReport,
  maintenanceSentence,
  maintenanceSignals,
  maintenanceTitle,
  trackMaintenance,
  type Maintenance,
  type TrackInput,
} from '../../src/core/maintenance.js';
import type { NodeFacts, WorkloadFacts } from '../../src/core/types.js';
import { incident, maintenanceRecord as record, MIN, node, SEC, T0, workload } from './fixtures.js';

const SETTINGS = { settleAfter: 10 * MIN, overrunAfter: 45 * MIN };

function track(nodes: NodeFacts[], overrides: Partial<TrackInput> = {}, workloads: WorkloadFacts[] = [workload('frigate', ['node-a']), workload('hass', ['node-b'])]): Maintenance[] {
  return trackMaintenance({
    previous: [],
    nodes: Object.fromEntries(nodes.map((n) => [n.name, n])),
    workloads: Object.fromEntries(workloads.map((w) => [w.target, w])),
    rang: () => false,
    now: T0,
    ...overrides,
  });
}

describe('maintenanceSignals: what the cluster says, in words', () => {
  it('is empty for a plain node', () => {
    expect(maintenanceSignals(node('node-a'))).toEqual([]);
  });

  it.each<[Partial<NodeFacts>, string[]]>([
    [{ unschedulable: true }, ['cordoned']],
    [{ kuredReboot: true }, ['kured reboot']],
    [{ kuredReboot: false }, []],
    [{ upgradePlans: ['server-plan', 'agent-plan'] }, ['upgrade plan agent-plan', 'upgrade plan server-plan']],
    [{ unschedulable: true, kuredReboot: true, upgradePlans: ['k3s'] }, ['cordoned', 'kured reboot', 'upgrade plan k3s']],
  ])('%j → %j', (facts, signals) => {
    expect(maintenanceSignals(node('node-a', facts))).toEqual(signals);
  });
});

describe('trackMaintenance: one record per node, from the first signal to its end', () => {
  it('starts nothing for nodes without a signal', () => {
    expect(track([node('node-a', { ready: 'False' }), node('node-b')])).toEqual([]);
  });

  it('a cordon starts a record: when, which targets are on the node; nothing disrupted yet', () => {
    expect(track([node('node-a', { unschedulable: true }), node('node-b')])).toEqual([
      { node: 'node-a', since: T0, cordonedAt: T0, signals: ['cordoned'], targets: ['frigate'], disruptedAt: null, downAt: null, notReadySince: null, backAt: null, rangAt: null, endedAt: null },
    ]);
  });

  it('kured alone starts one without a cordon time; a NotReady node is disrupted and down at once', () => {
    const [m] = track([node('node-a', { kuredReboot: true, ready: 'Unknown' })]);
    expect(m).toMatchObject({ cordonedAt: null, signals: ['kured reboot'], disruptedAt: T0, downAt: T0, notReadySince: T0 });
  });

  it('an upgrade plan starts one', () => {
    expect(track([node('node-a', { upgradePlans: ['k3s-agent'] })])[0]).toMatchObject({ signals: ['upgrade plan k3s-agent'], disruptedAt: null });
  });

  it('a pod evicted from the node (DisruptionTarget) is a disruption; one evicted elsewhere is not', () => {
    const evicted = workload('frigate', ['node-a'], { pods: [{ name: 'f-1', node: 'node-a', phase: 'Running', ready: false, disruption: 'EvictionByEvictionAPI' }] });
    expect(track([node('node-a', { unschedulable: true })], {}, [evicted])[0]?.disruptedAt).toBe(T0);
    const elsewhere = workload('frigate', ['node-b'], { pods: [{ name: 'f-1', node: 'node-b', phase: 'Running', ready: false, disruption: 'EvictionByEvictionAPI' }] });
    expect(track([node('node-a', { unschedulable: true }), node('node-b')], {}, [elsewhere])[0]?.disruptedAt).toBeNull();
    const none = workload('frigate', ['node-a'], { pods: [{ name: 'f-1', node: 'node-a', phase: 'Running', ready: false, disruption: null }] });
    expect(track([node('node-a', { unschedulable: true })], {}, [none])[0]?.disruptedAt).toBeNull();
  });

  it('a replacement pinned to the cordoned node, Pending unschedulable, shows the drain (the eviction may be missed)', () => {
    const pending = workload('frigate', ['node-a'], { pods: [{ name: 'f-2', node: null, phase: 'Pending', ready: false, unschedulable: '0/2 nodes are available: 1 node(s) were unschedulable' }] });
    expect(track([node('node-a', { unschedulable: true })], {}, [pending])[0]?.disruptedAt).toBe(T0);
    // Not cordoned (kured's lock only): a Pending pod is not the cordon's doing.
    expect(track([node('node-a', { kuredReboot: true })], {}, [pending])[0]?.disruptedAt).toBeNull();
    // Pending but schedulable (no message): not a drain.
    const scheduling = workload('frigate', ['node-a'], { pods: [{ name: 'f-2', node: null, phase: 'Pending', ready: false, unschedulable: null }] });
    expect(track([node('node-a', { unschedulable: true })], {}, [scheduling])[0]?.disruptedAt).toBeNull();
    // Pending elsewhere: not pinned to this node.
    const other = workload('frigate', ['node-b'], { pods: [{ name: 'f-2', node: null, phase: 'Pending', ready: false, unschedulable: 'x' }] });
    expect(track([node('node-a', { unschedulable: true }), node('node-b')], {}, [other])[0]?.disruptedAt).toBeNull();
  });

  it('a maintenance seen only after the node went down and rang is not planned: it is loud from the start', () => {
    const [m] = track([node('node-a', { unschedulable: true, ready: 'False' })], { rang: (n) => n === 'node-a' });
    expect(m).toMatchObject({ rangAt: T0 });
    expect(isQuiet(m!)).toBe(false);
    // Still Ready when it rang (something else rang): planned.
    expect(track([node('node-a', { unschedulable: true })], { rang: () => true })[0]?.rangAt).toBeNull();
  });

  it('learns targets, signals and times as it goes, keeping the first ones', () => {
    const previous = [record({ since: T0 - 10 * MIN, cordonedAt: T0 - 10 * MIN, signals: ['cordoned'], targets: ['frigate'], disruptedAt: T0 - 9 * MIN, downAt: null, notReadySince: null })];
    const [m] = track([node('node-a', { unschedulable: true, kuredReboot: true, ready: 'False' }), node('node-b')], { previous }, [workload('frigate', ['node-a']), workload('mqtt', ['node-a']), workload('hass', ['node-b'])]);
    expect(m).toEqual({ ...previous[0], signals: ['cordoned', 'kured reboot'], targets: ['frigate', 'mqtt'], downAt: T0, notReadySince: T0 });
  });

  it('a target rescheduled away stays explained; the NotReady streak ends when Ready, the first down time stays', () => {
    const previous = [record({ notReadySince: T0 - MIN, downAt: T0 - 5 * MIN })];
    const [m] = track([node('node-a', { unschedulable: true }), node('node-b')], { previous }, [workload('frigate', ['node-b'])]);
    expect(m).toMatchObject({ targets: ['frigate'], notReadySince: null, downAt: T0 - 5 * MIN, backAt: null });
  });

  it('the node is back when Ready with no signal left; not while still cordoned, locked or upgraded', () => {
    const previous = [record()];
    expect(track([node('node-a')], { previous })[0]).toMatchObject({ backAt: T0, notReadySince: null });
    expect(track([node('node-a', { unschedulable: true })], { previous })[0]?.backAt).toBeNull();
    expect(track([node('node-a', { kuredReboot: true })], { previous })[0]?.backAt).toBeNull();
    expect(track([node('node-a', { upgradePlans: ['p'] })], { previous })[0]?.backAt).toBeNull();
    expect(track([node('node-a', { ready: 'Unknown' })], { previous })[0]?.backAt).toBeNull();
    // Back already: the first time stays; a signal again takes it back.
    expect(track([node('node-a')], { previous: [record({ backAt: T0 - MIN })] })[0]?.backAt).toBe(T0 - MIN);
    expect(track([node('node-a', { unschedulable: true })], { previous: [record({ backAt: T0 - MIN })] })[0]?.backAt).toBeNull();
  });

  it('once back, targets landing on the node are not explained by it', () => {
    const previous = [record({ backAt: T0 - MIN })];
    const [m] = track([node('node-a')], { previous }, [workload('frigate', ['node-a']), workload('mqtt', ['node-a'])]);
    expect(m?.targets).toEqual(['frigate']);
    const [now] = track([node('node-a')], { previous: [record()] }, [workload('frigate', ['node-a']), workload('mqtt', ['node-a'])]);
    expect(now?.targets).toEqual(['frigate']);
  });

  it('a cordon and an uncordon that disrupted nothing leave no record', () => {
    expect(track([node('node-a')], { previous: [record({ disruptedAt: null, downAt: null, notReadySince: null })] })).toEqual([]);
    // Still cordoned: kept.
    expect(track([node('node-a', { unschedulable: true })], { previous: [record({ disruptedAt: null, notReadySince: null })] })).toHaveLength(1);
    // Uncordoned but NotReady: kept (and disrupted now).
    expect(track([node('node-a', { ready: 'False' })], { previous: [record({ disruptedAt: null, notReadySince: null })] })[0]?.disruptedAt).toBe(T0);
  });

  it('an overrun whose node is back leaves no record (its incident is ordinary now); while not back it stays', () => {
    expect(track([node('node-a')], { previous: [record({ rangAt: T0 - MIN })] })).toEqual([]);
    expect(track([node('node-a', { ready: 'False' })], { previous: [record({ rangAt: T0 - MIN })] })).toHaveLength(1);
  });

  it('an ended record stays for its card until a new signal starts a fresh one', () => {
    const ended = record({ endedAt: T0 - MIN, backAt: T0 - 2 * MIN });
    expect(track([node('node-a')], { previous: [ended] })).toEqual([ended]);
    expect(track([node('node-a', { kuredReboot: true })], { previous: [ended] })).toEqual([
      { node: 'node-a', since: T0, cordonedAt: null, signals: ['kured reboot'], targets: ['frigate'], disruptedAt: null, downAt: null, notReadySince: null, backAt: null, rangAt: null, endedAt: null },
    ]);
  });

  it('a node missing from the snapshot keeps its record as it is', () => {
    const previous = [record()];
    expect(track([node('node-b')], { previous })).toEqual(previous);
  });
});

describe('which targets a maintenance explains, and the gate', () => {
  const active = record();

  it('explains the targets it lists once it disrupted something, while quiet', () => {
    expect(explainingMaintenance('frigate', [active])).toBe(active);
    expect(explainingMaintenance('hass', [active])).toBeNull();
    expect(explainingMaintenance('frigate', [record({ disruptedAt: null })])).toBeNull();
    expect(explainingMaintenance('frigate', [record({ rangAt: T0 })])).toBeNull();
    expect(explainingMaintenance('frigate', [record({ endedAt: T0 })])).toBeNull();
    expect(activeMaintenance([active, record({ node: 'node-b', disruptedAt: null })])).toEqual([active]);
  });

  it('holds every restart while the node is not back, naming the node and its signals', () => {
    const m = { records: [record({ signals: ['cordoned', 'kured reboot'] })], settleAfter: 10 * MIN };
    expect(maintenanceHold('frigate', m, 'automatic', T0)).toEqual({ node: 'node-a', message: 'node-a is in planned maintenance (cordoned, kured reboot)' });
    expect(maintenanceHold('frigate', m, 'manual', T0)?.message).toBe('node-a is in planned maintenance (cordoned, kured reboot)');
    expect(maintenanceHold('hass', m, 'automatic', T0)).toBeNull();
    expect(maintenanceHold('frigate', undefined, 'automatic', T0)).toBeNull();
    expect(maintenanceHold('frigate', { records: [record({ signals: [] })], settleAfter: MIN }, 'automatic', T0)?.message).toBe('node-a is in planned maintenance');
  });

  it('after the node is back, holds automatic restarts only, for exactly settleAfter', () => {
    const m = { records: [record({ backAt: T0 - 10 * MIN + SEC })], settleAfter: 10 * MIN };
    expect(maintenanceHold('frigate', m, 'automatic', T0)?.message).toBe('node-a is in planned maintenance (cordoned); its drained pods get 10m to come back by themselves');
    expect(maintenanceHold('frigate', m, 'manual', T0)).toBeNull();
    expect(maintenanceHold('frigate', m, 'automatic', T0 + SEC)).toBeNull();
    expect(maintenanceHold('frigate', m, 'automatic', T0 + SEC - 1)).not.toBeNull();
  });
});

describe('what the card says', () => {
  const at = Date.parse('2026-12-07T02:04:30Z');

  it('the sentence: node, signals with the cordon time, phase, what waits', () => {
    const m = record({ cordonedAt: at, signals: ['cordoned', 'kured reboot'], downAt: null, notReadySince: null });
    expect(maintenanceSentence(m, node('node-a', { unschedulable: true }), ['mqtt', 'frigate'])).toBe('node-a: planned maintenance (cordoned 02:04 UTC · kured reboot) — drained — frigate, mqtt waiting');
    expect(maintenanceSentence(m, node('node-a', { unschedulable: true }), [])).toBe('node-a: planned maintenance (cordoned 02:04 UTC · kured reboot) — drained — nothing waiting');
  });

  it.each<[Partial<Maintenance>, NodeFacts | undefined, string]>([
    [{ downAt: null }, node('node-a', { kuredReboot: true }), 'in progress'],
    [{ downAt: null }, node('node-a', { unschedulable: true }), 'drained'],
    [{}, node('node-a', { ready: 'False' }), 'NotReady'],
    [{}, node('node-a', { ready: 'Unknown' }), 'readiness Unknown'],
    [{}, node('node-a', { unschedulable: true }), 'back, still cordoned'],
    [{}, node('node-a', { kuredReboot: true }), 'back, still locked'],
    [{ backAt: T0 }, node('node-a'), 'back, uncordoned'],
    [{}, undefined, 'not in the cluster'],
  ])('phase %j → %s', (overrides, facts, phase) => {
    expect(maintenanceSentence(record({ cordonedAt: null, signals: ['kured reboot'], ...overrides }), facts, ['frigate'])).toBe(`node-a: planned maintenance (kured reboot) — ${phase} — frigate waiting`);
  });

  it('the line /status and /incidents show: signals, since (a Discord timestamp), back, what it explains', () => {
    const unix = Math.floor((T0 - 10 * MIN) / 1000);
    expect(maintenanceLine(record({ signals: ['cordoned', 'kured reboot'], targets: ['frigate', 'mqtt'] }))).toBe(`🔧 node-a: planned maintenance (cordoned, kured reboot) since <t:${unix}:R> — explains frigate, mqtt`);
    expect(maintenanceLine(record({ signals: [], targets: [], backAt: T0 }))).toBe(`🔧 node-a: planned maintenance since <t:${unix}:R>, node back`);
  });

  it('pads the cordon time', () => {
    expect(maintenanceSentence(record({ cordonedAt: Date.parse('2026-12-07T09:05:00Z') }), node('node-a', { ready: 'False' }), [])).toContain('(cordoned 09:05 UTC)');
  });

  it('the title names the node and nothing that changes as it goes', () => {
    expect(maintenanceTitle(record({ node: 'node-b' }))).toBe('node-b: planned maintenance');
  });

  it('the report names the length and what came back', () => {
    expect(maintenanceReport(record({ since: T0 - 23 * MIN - 30 * SEC }), ['mqtt', 'frigate'], T0)).toBe('maintenance of node-a over — 23m; frigate, mqtt back');
    expect(maintenanceReport(record({ since: T0 - 10 * SEC }), [], T0)).toBe('maintenance of node-a over — 1m; no service was affected');
  });

  it('a node incident shows its node record while in force, the ended one once resolved at the same moment', () => {
    const open = incident({ subject: 'node:node-a', kind: 'node' });
    expect(maintenanceOfIncident(open, [record()])).toEqual(record());
    expect(maintenanceOfIncident(open, [record({ node: 'node-b' })])).toBeNull();
    expect(maintenanceOfIncident(open, [record({ rangAt: T0 })])).toBeNull();
    expect(maintenanceOfIncident(open, [record({ disruptedAt: null })])).toBeNull();
    const resolved = { ...open, state: 'resolved' as const, resolvedAt: T0 };
    expect(maintenanceOfIncident(resolved, [record({ endedAt: T0 })])).toEqual(record({ endedAt: T0 }));
    expect(maintenanceOfIncident(resolved, [record({ endedAt: T0 - 1 })])).toBeNull();
    expect(maintenanceOfIncident(resolved, [record()])).toBeNull();
    expect(maintenanceOfIncident(incident(), [record()])).toBeNull();
  });
});

describe('overrun and end', () => {
  it('on time: nothing', () => {
    expect(maintenanceOverrun(record({ since: T0 - 44 * MIN, cordonedAt: T0 - 44 * MIN, notReadySince: T0 - 40 * MIN }), node('node-a', { ready: 'False', unschedulable: true }), ['frigate'], SETTINGS, T0)).toBeNull();
  });

  it('NotReady for overrunAfter, to the millisecond', () => {
    const m = record({ since: T0 - 45 * MIN, cordonedAt: null, signals: ['kured reboot'], notReadySince: T0 - 45 * MIN });
    expect(maintenanceOverrun(m, node('node-a', { ready: 'False' }), [], SETTINGS, T0)).toBe("node-a's maintenance overran: NotReady for 45m");
    expect(maintenanceOverrun(m, node('node-a', { ready: 'False' }), [], SETTINGS, T0 - 1)).toBeNull();
    expect(maintenanceOverrun(m, node('node-a', { ready: 'Unknown' }), [], SETTINGS, T0 + 2 * MIN)).toBe("node-a's maintenance overran: readiness Unknown for 47m");
  });

  it('cordoned for overrunAfter, naming NotReady too when it is', () => {
    const m = record({ since: T0 - 47 * MIN, cordonedAt: T0 - 47 * MIN, notReadySince: T0 - 44 * MIN });
    expect(maintenanceOverrun(m, node('node-a', { ready: 'False', unschedulable: true }), [], SETTINGS, T0)).toBe("node-a's maintenance overran: NotReady for 44m, cordoned for 47m");
    expect(maintenanceOverrun({ ...m, notReadySince: null }, node('node-a', { unschedulable: true }), [], SETTINGS, T0)).toBe("node-a's maintenance overran: cordoned for 47m");
  });

  it('a lock held for overrunAfter without a cordon: in maintenance for…', () => {
    const m = record({ since: T0 - 45 * MIN, cordonedAt: null, signals: ['kured reboot'], notReadySince: null });
    expect(maintenanceOverrun(m, node('node-a', { kuredReboot: true }), [], SETTINGS, T0)).toBe("node-a's maintenance overran: in maintenance for 45m");
    expect(maintenanceOverrun(m, node('node-a', { kuredReboot: true }), [], SETTINGS, T0 - 1)).toBeNull();
    // An uncordoned node's old cordon time does not count.
    expect(maintenanceOverrun({ ...m, cordonedAt: T0 - 50 * MIN }, node('node-a', { kuredReboot: true }), [], SETTINGS, T0)).toBe("node-a's maintenance overran: in maintenance for 45m");
  });

  it('a target still down settleAfter after the node is back, to the millisecond', () => {
    const m = record({ backAt: T0 - 10 * MIN, notReadySince: null });
    expect(maintenanceOverrun(m, node('node-a'), ['mqtt', 'frigate'], SETTINGS, T0)).toBe("frigate, mqtt still down 10m after node-a's maintenance ended");
    expect(maintenanceOverrun(m, node('node-a'), ['frigate'], SETTINGS, T0 - 1)).toBeNull();
    expect(maintenanceOverrun(m, node('node-a'), [], SETTINGS, T0 + HOUR_MS)).toBeNull();
    // Back, the length of the NotReady or cordon before does not count any more.
    expect(maintenanceOverrun({ ...m, since: T0 - 2 * HOUR_MS }, node('node-a'), ['frigate'], SETTINGS, T0 - MIN)).toBeNull();
  });

  it('never for a record that already rang, ended, or disrupted nothing', () => {
    const late = { since: T0 - 2 * HOUR_MS, notReadySince: T0 - 2 * HOUR_MS };
    const down = node('node-a', { ready: 'False' });
    expect(maintenanceOverrun(record({ ...late, rangAt: T0 - MIN }), down, [], SETTINGS, T0)).toBeNull();
    expect(maintenanceOverrun(record({ ...late, endedAt: T0 - MIN }), down, [], SETTINGS, T0)).toBeNull();
    expect(maintenanceOverrun(record({ ...late, disruptedAt: null }), down, [], SETTINGS, T0)).toBeNull();
  });

  it('is over when the node is back and nothing waits', () => {
    expect(maintenanceOver(record({ backAt: T0 }), [])).toBe(true);
    expect(maintenanceOver(record({ backAt: T0 }), ['frigate'])).toBe(false);
    expect(maintenanceOver(record(), [])).toBe(false);
  });

  it('defaults: settle 10m, overrun 45m', () => {
    expect(MAINTENANCE_DEFAULTS).toEqual({ settleAfter: 10 * MIN, overrunAfter: 45 * MIN });
  });
});

const HOUR_MS = 60 * MIN;
