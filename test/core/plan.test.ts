import { describe, expect, it } from 'vitest';
import { planCycle, type CycleInput, type CyclePlan } from '../../src/core/plan.js';
import type { Incident, Observation, RestartRecord, TargetState } from '../../src/core/types.js';
import { MIN, node, SEC, snapshot, T0, target, workload } from './fixtures.js';

/**
 * Feeds each plan's output back as the next cycle's input, assigning ids as a store would, so a
 * sequence of cycles can be checked without any I/O.
 */
class Loop {
  incidents: Incident[] = [];
  states: Record<string, TargetState> = {};
  restarts: RestartRecord[] = [];
  plans: CyclePlan[] = [];
  private nextId = 1;

  constructor(private readonly base: Omit<CycleInput, 'now' | 'observations' | 'targetStates' | 'incidents' | 'restarts' | 'snapshot'>) {}

  cycle(now: number, snap: CycleInput['snapshot'], observations: Observation[]): CyclePlan {
    const plan = planCycle({ ...this.base, now, snapshot: snap, observations, targetStates: this.states, incidents: this.incidents, restarts: this.restarts });
    for (const s of plan.targetStates) this.states[s.target] = s;
    for (const p of plan.incidents) {
      const inc = p.incident.id === null ? { ...p.incident, id: this.nextId++ } : p.incident;
      this.incidents = [...this.incidents.filter((i) => i.id !== inc.id), inc];
      for (const e of p.effects) {
        if (e.type === 'restart') this.restarts.push({ id: this.restarts.length + 1, target: e.target, incidentId: inc.id, requestedBy: e.requestedBy, automatic: e.automatic, requestedAt: now, status: 'succeeded', error: null });
      }
    }
    this.plans.push(plan);
    return plan;
  }

  effects(type: string) {
    return this.plans.flatMap((p) => p.incidents.flatMap((i) => i.effects.filter((e) => e.type === type)));
  }

  audits(action: string) {
    return this.plans.flatMap((p) => p.incidents.flatMap((i) => i.audit.filter((a) => a.action === action)));
  }
}

const fail = (t: string): Observation => ({ target: t, result: 'fail', detail: 'HTTP 503' });
const ok = (t: string): Observation => ({ target: t, result: 'ok', detail: 'HTTP 200' });
const base = { config: { targets: [target('frigate'), target('hass')], watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } }, silences: [] };

describe('planCycle', () => {
  it('groups a NotReady node and its down targets into one incident, and refuses restarts once per reason', () => {
    const loop = new Loop(base);
    const down = snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a']), workload('hass', ['node-a'])]);
    for (let i = 0; i < 20; i++) loop.cycle(T0 + i * 30 * SEC, down, [fail('frigate'), fail('hass')]);
    expect(loop.incidents).toHaveLength(1);
    expect(loop.incidents[0]).toMatchObject({ subject: 'node:node-a', state: 'open', targets: ['frigate', 'hass'] });
    expect(loop.effects('postMessage')).toEqual([{ type: 'postMessage', mention: true }]);
    expect(loop.effects('restart')).toEqual([]);
    expect(loop.audits('restartSkipped').map((a) => [a.detail.target, a.reason])).toEqual([
      ['frigate', 'nodeNotReady'],
      ['hass', 'nodeNotReady'],
    ]);
  });

  it('opens a node incident without down targets only when watchNodes is on', () => {
    const down = snapshot([node('node-b', { ready: 'Unknown' })], []);
    const watching = new Loop(base);
    watching.cycle(T0, down, []);
    expect(watching.incidents.map((i) => i.subject)).toEqual(['node:node-b']);
    const notWatching = new Loop({ ...base, config: { ...base.config, watchNodes: false } });
    notWatching.cycle(T0, down, []);
    expect(notWatching.incidents).toEqual([]);
  });

  it('keeps target incidents unchanged while the API is unreachable, with one cluster incident', () => {
    const loop = new Loop(base);
    const healthy = snapshot([node('node-a')], [workload('frigate', ['node-a']), workload('hass', ['node-a'])]);
    loop.cycle(T0, healthy, [fail('frigate'), ok('hass')]);
    loop.cycle(T0 + 30 * SEC, healthy, [fail('frigate'), ok('hass')]);
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([['target:frigate', 'open']]);
    const restartsBefore = loop.effects('restart').length;
    for (let i = 2; i < 40; i++) {
      loop.cycle(T0 + i * 30 * SEC, { reachable: false, observedAt: T0, error: 'ECONNREFUSED' }, [
        { target: 'frigate', result: 'unknown', detail: 'Kubernetes API unreachable' },
        { target: 'hass', result: 'unknown', detail: 'Kubernetes API unreachable' },
      ]);
    }
    expect(loop.effects('restart').length).toBe(restartsBefore);
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([
      ['target:frigate', 'open'],
      ['cluster', 'open'],
    ]);
    loop.cycle(T0 + 41 * 30 * SEC, healthy, [ok('frigate'), ok('hass')]);
    expect(loop.incidents.find((i) => i.subject === 'cluster')?.state).toBe('resolved');
  });

  it('folds a flap within the reopen window into the node incident it came from, and opens anew later', () => {
    const loop = new Loop(base);
    const nodeDown = snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a']), workload('hass', [])]);
    const nodeBack = snapshot([node('node-a', { readySince: T0 })], [workload('frigate', ['node-a']), workload('hass', [])]);
    let now = T0;
    const step = (s: CycleInput['snapshot'], f: Observation) => loop.cycle((now += 30 * SEC), s, [f, ok('hass')]);
    step(nodeDown, fail('frigate'));
    step(nodeDown, fail('frigate'));
    step(nodeBack, ok('frigate'));
    step(nodeBack, ok('frigate'));
    expect(loop.incidents).toMatchObject([{ subject: 'node:node-a', state: 'resolved' }]);
    step(nodeBack, fail('frigate'));
    step(nodeBack, fail('frigate'));
    expect(loop.incidents).toMatchObject([{ subject: 'node:node-a', state: 'open', reopenCount: 1 }]);
    step(nodeBack, ok('frigate'));
    step(nodeBack, ok('frigate'));
    now += 20 * MIN;
    step(nodeBack, fail('frigate'));
    step(nodeBack, fail('frigate'));
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([
      ['node:node-a', 'resolved'],
      ['target:frigate', 'open'],
    ]);
  });
});
