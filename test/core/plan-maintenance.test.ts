/**
 * Planned maintenance across check cycles on a controllable clock (issue 23): the plan fed back into
 * itself (Loop) through a drain, a reboot and an uncordon, and the ways it goes wrong.
 */
import { describe, expect, it } from 'vitest';
import type { CycleInput } from '../../src/core/plan.js';
import type { NodeFacts, Observation, PodFacts, Silence, WorkloadFacts } from '../../src/core/types.js';
import { MIN, node, SEC, snapshot, T0, target, workload } from './fixtures.js';
import { Loop } from './loop.js';

const config: CycleInput['config'] = {
  targets: [target('frigate'), target('mqtt'), target('hass')],
  watchNodes: true,
  reopenWindow: 10 * MIN,
  notify: { escalateAfter: 15 * MIN },
  maintenance: { settleAfter: 10 * MIN, overrunAfter: 45 * MIN },
};
const ON_A = ['frigate', 'mqtt'];
const CYCLE = 30 * SEC;

type Phase = 'normal' | 'drained' | 'rebooting' | 'backCordoned' | 'uncordoned' | 'healthy';

const evicted = (t: string): PodFacts => ({ name: `${t}-old`, node: 'node-a', phase: 'Running', ready: false, disruption: 'EvictionByEvictionAPI' });
const pending = (t: string): PodFacts => ({ name: `${t}-new`, node: null, phase: 'Pending', ready: false, unschedulable: '0/2 nodes are available: 1 node(s) were unschedulable' });
const starting = (t: string): PodFacts => ({ name: `${t}-new`, node: 'node-a', phase: 'Running', ready: false });

/** node-a as each phase of a drain and reboot leaves it; `extra` adds signals (kured, plans). */
function nodeA(phase: Phase, extra: Partial<NodeFacts> = {}): NodeFacts {
  const cordoned = phase === 'drained' || phase === 'rebooting' || phase === 'backCordoned';
  return node('node-a', { unschedulable: cordoned, ready: phase === 'rebooting' ? 'False' : 'True', readySince: phase === 'rebooting' ? T0 : T0 - 10 * MIN, ...extra });
}

function podsOnA(phase: Phase, t: string): WorkloadFacts {
  const pods = { normal: null, healthy: null, drained: [evicted(t)], rebooting: [pending(t)], backCordoned: [pending(t)], uncordoned: [starting(t)] }[phase];
  return pods === null ? workload(t, ['node-a']) : workload(t, ['node-a'], { pods, readyReplicas: 0, desiredReplicas: 1 });
}

function cluster(phase: Phase, options: { extra?: Partial<NodeFacts>; hass?: 'up' | 'down'; nodeB?: Partial<NodeFacts>; nothingOnA?: boolean } = {}) {
  const hass = workload('hass', ['node-b'], options.hass === 'down' ? { pods: [{ name: 'hass-0', node: 'node-b', phase: 'Running', ready: false }], readyReplicas: 0 } : {});
  const onA = options.nothingOnA ? [] : ON_A.map((t) => podsOnA(phase, t));
  return snapshot([nodeA(phase, options.extra), node('node-b', options.nodeB)], [...onA, hass]);
}

/** What the checks see: node-a's targets fail unless their pods are ready; hass as told. */
function observe(phase: Phase, hass: 'up' | 'down' = 'up'): Observation[] {
  const up = phase === 'normal' || phase === 'healthy';
  return [
    ...ON_A.map((t): Observation => ({ target: t, result: up ? 'ok' : 'fail', detail: up ? 'HTTP 200' : 'connection refused' })),
    { target: 'hass', result: hass === 'up' ? 'ok' : 'fail', detail: hass === 'up' ? 'HTTP 200' : 'HTTP 503' },
  ];
}

class Timeline {
  readonly loop: Loop;
  now = T0;
  constructor(silences: Silence[] = [], c: CycleInput['config'] = config) {
    this.loop = new Loop({ config: c, silences });
  }
  run(cycles: number, phase: Phase, options: Parameters<typeof cluster>[1] = {}): void {
    for (let i = 0; i < cycles; i++) {
      this.now += CYCLE;
      this.loop.cycle(this.now, { ...cluster(phase, options), observedAt: this.now }, observe(phase, options.hass));
    }
  }
  nodeIncident() {
    return this.loop.incidents.find((i) => i.subject === 'node:node-a');
  }
  notes(subject = 'node:node-a'): string[] {
    return this.loop.plans.flatMap((p) => p.incidents.filter((i) => i.incident.subject === subject).flatMap((i) => i.effects.flatMap((e) => (e.type === 'threadNote' ? [e.text] : []))));
  }
  rings(): string[] {
    return this.loop.effects('ring').map((e) => (e.type === 'ring' ? e.text : ''));
  }
  mentions(): number {
    return this.loop.effects('postMessage').filter((e) => e.type === 'postMessage' && e.mention).length;
  }
}

describe('planCycle: a drain, a reboot and an uncordon of node-a', () => {
  it('one quiet card edited once per step, no restart, the report when everything is back', () => {
    const t = new Timeline();
    t.run(2, 'normal');
    t.run(2, 'drained');
    const opened = t.nodeIncident()!;
    expect(opened).toMatchObject({ kind: 'node', state: 'open', notifiedAt: null, targets: ['frigate', 'mqtt'] });
    expect(opened.cause).toBe('node-a: planned maintenance (cordoned 20:01 UTC) — drained — frigate, mqtt waiting');
    expect(t.loop.audits('notificationMuted').map((a) => a.reason)).toEqual(['maintenance']);
    t.run(4, 'rebooting');
    t.run(4, 'backCordoned');
    t.run(18, 'uncordoned'); // 9 minutes: the node back for longer than the recovery grace, pods still starting
    t.run(2, 'healthy');

    expect(t.mentions()).toBe(0);
    expect(t.rings()).toEqual([]);
    expect(t.loop.effects('push')).toEqual([]);
    expect(t.loop.effects('email')).toEqual([]);
    expect(t.loop.restartsAsked()).toEqual([]);
    expect(t.loop.incidents.map((i) => i.subject)).toEqual(['node:node-a']);
    expect(t.notes()).toEqual([
      'node-a: planned maintenance (cordoned 20:01 UTC) — NotReady — frigate, mqtt waiting',
      'node-a: planned maintenance (cordoned 20:01 UTC) — back, still cordoned — frigate, mqtt waiting',
      'node-a: planned maintenance (cordoned 20:01 UTC) — back, uncordoned — frigate, mqtt waiting',
      'Resolved: maintenance of node-a over — 14m; frigate, mqtt back',
    ]);
    expect(t.nodeIncident()).toMatchObject({ state: 'resolved', cause: 'maintenance of node-a over — 14m; frigate, mqtt back' });
    // The gate held each target once (audited, no note: the card says it).
    expect(t.loop.audits('restartSkipped').map((a) => [a.detail.target, a.reason])).toEqual([
      ['frigate', 'nodeMaintenance'],
      ['mqtt', 'nodeMaintenance'],
    ]);
    expect(t.loop.maintenance).toMatchObject([{ node: 'node-a', endedAt: t.nodeIncident()!.resolvedAt }]);
  });

  it('kured alone (no cordon) makes a NotReady node planned: "(kured reboot)"', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } });
    expect(t.mentions()).toBe(0);
    expect(t.nodeIncident()?.cause).toBe('node-a: planned maintenance (kured reboot) — NotReady — frigate, mqtt waiting');
  });

  it('an upgrade plan applying to the node makes it planned', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting', { extra: { unschedulable: false, upgradePlans: ['k3s-agent'] } });
    expect(t.mentions()).toBe(0);
    expect(t.nodeIncident()?.cause).toBe('node-a: planned maintenance (upgrade plan k3s-agent) — NotReady — frigate, mqtt waiting');
  });

  it('a NotReady node with no signal rings, as before', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting', { extra: { unschedulable: false } });
    expect(t.mentions()).toBe(1);
    expect(t.nodeIncident()?.cause).toBe('node node-a is NotReady');
  });

  it('cordoned only after its outage rang: not planned, it stays an ordinary incident', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting', { extra: { unschedulable: false } });
    t.run(4, 'rebooting');
    expect(t.mentions()).toBe(1);
    expect(t.nodeIncident()?.cause).toBe('node node-a is NotReady');
    expect(t.loop.maintenance).toMatchObject([{ node: 'node-a', rangAt: T0 + 4 * CYCLE }]);
  });

  it('a target on another node failing during the maintenance rings as usual', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting');
    t.run(2, 'rebooting', { hass: 'down' });
    expect(t.mentions()).toBe(1);
    expect(t.loop.incidents.map((i) => [i.subject, i.notifiedAt !== null])).toEqual([
      ['node:node-a', false],
      ['target:hass', true],
    ]);
  });

  it('another node going NotReady during the maintenance rings as usual', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting');
    t.run(1, 'rebooting', { nodeB: { ready: 'False' } });
    expect(t.mentions()).toBe(1);
    expect(t.loop.incidents.find((i) => i.subject === 'node:node-b')?.notifiedAt).not.toBeNull();
  });
});

describe('planCycle: a maintenance that goes wrong rings once', () => {
  it('NotReady for overrunAfter: one ring at exactly 45m, then an ordinary incident that escalates 15m later', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(1, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } }); // NotReady since T0 + 1 cycle
    t.run(89, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } }); // 44m30s later
    expect(t.rings()).toEqual([]);
    t.run(1, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } });
    expect(t.rings()).toEqual(["node-a's maintenance overran: NotReady for 45m"]);
    expect(t.loop.effects('push')).toEqual([{ type: 'push', reason: 'overrun' }]);
    expect(t.nodeIncident()).toMatchObject({ notifiedAt: T0 + 92 * CYCLE, cause: 'node node-a is NotReady' });
    t.run(29, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } });
    expect(t.rings()).toHaveLength(1);
    t.run(1, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } });
    expect(t.loop.effects('ring').map((e) => (e.type === 'ring' ? e.reason : ''))).toEqual(['overrun', 'escalation']);
  });

  it('a target still down settleAfter after the node is back rings once, at exactly 10m; then restarts go through the gate', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'drained');
    t.run(2, 'rebooting');
    t.run(1, 'uncordoned'); // back at T0 + 6 cycles
    const backAt = t.now;
    t.run(19, 'uncordoned'); // 9m30s after
    expect(t.rings()).toEqual([]);
    expect(t.loop.restartsAsked()).toEqual([]);
    t.run(1, 'uncordoned');
    expect(t.now - backAt).toBe(10 * MIN);
    expect(t.rings()).toEqual(["frigate, mqtt still down 10m after node-a's maintenance ended"]);
    // An ordinary incident now: the gate lets the automatic restarts through (the node has been Ready long enough).
    expect(t.loop.restartsAsked().map((r) => r.target)).toEqual(['frigate', 'mqtt']);
    t.run(20, 'uncordoned');
    expect(t.rings()).toHaveLength(1);
    expect(t.loop.maintenance).toEqual([]);
  });

  it('a maintenance whose targets come back just before settleAfter ends quietly', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting');
    t.run(18, 'uncordoned');
    t.run(2, 'healthy');
    expect(t.rings()).toEqual([]);
    expect(t.nodeIncident()?.state).toBe('resolved');
  });

  it('a silence in force when it overruns mutes the ring: a quiet note, the ring owed until the silence ends', () => {
    const silence: Silence = { id: 1, scope: { kind: 'everything' }, startsAt: T0, endsAt: T0 + 2 * 60 * MIN, createdBy: 'u1', reason: 'window', liftedAt: null };
    const t = new Timeline([silence]);
    t.run(1, 'normal');
    t.run(92, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } });
    expect(t.rings()).toEqual([]);
    expect(t.notes()).toContain("node-a's maintenance overran: NotReady for 45m");
    expect(t.loop.audits('maintenanceOverran').map((a) => a.reason)).toEqual(['silenced']);
  });

  it('with watchNodes off, a maintenance that disrupts no target has no card; its overrun opens one and rings once', () => {
    const t = new Timeline([], { ...config, targets: [target('hass')], watchNodes: false });
    t.run(1, 'normal');
    const kuredOnly = { extra: { unschedulable: false, kuredReboot: true }, nothingOnA: true };
    t.run(90, 'rebooting', kuredOnly); // NotReady for 44m30s
    expect(t.loop.incidents).toEqual([]);
    t.run(1, 'rebooting', kuredOnly);
    expect(t.loop.incidents).toMatchObject([{ subject: 'node:node-a', state: 'open', notifiedAt: t.now }]);
    // Opened quietly (no mention) and rung once by the overrun.
    expect(t.mentions()).toBe(0);
    expect(t.rings()).toEqual(["node-a's maintenance overran: NotReady for 45m"]);
  });

  it('the lock held for overrunAfter after the node is back with everything up: one ring, open until the lock goes', () => {
    const t = new Timeline();
    t.run(1, 'normal');
    t.run(2, 'rebooting', { extra: { unschedulable: false, kuredReboot: true } });
    t.run(89, 'healthy', { extra: { kuredReboot: true } }); // since T0 + 2 cycles: 45m at cycle 92
    expect(t.rings()).toEqual(["node-a's maintenance overran: in maintenance for 45m"]);
    expect(t.nodeIncident()?.state).toBe('open');
    t.run(10, 'healthy', { extra: { kuredReboot: true } });
    expect(t.nodeIncident()?.state).toBe('open');
    t.run(1, 'healthy');
    expect(t.nodeIncident()).toMatchObject({ state: 'resolved', cause: 'node node-a is Ready and everything on it is up' });
    expect(t.rings()).toHaveLength(1);
    expect(t.loop.maintenance).toEqual([]);
  });
});
