import { describe, expect, it } from 'vitest';
import type { CycleInput } from '../../src/core/plan.js';
import type { Observation } from '../../src/core/types.js';
import { MIN, node, SEC, snapshot, T0, target, workload } from './fixtures.js';
import { Loop } from './loop.js';

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
    expect(loop.restartsAsked()).toEqual([]);
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
    const restartsBefore = loop.restartsAsked().length;
    for (let i = 2; i < 40; i++) {
      loop.cycle(T0 + i * 30 * SEC, { reachable: false, observedAt: T0, error: 'ECONNREFUSED' }, [
        { target: 'frigate', result: 'unknown', detail: 'Kubernetes API unreachable' },
        { target: 'hass', result: 'unknown', detail: 'Kubernetes API unreachable' },
      ]);
    }
    expect(loop.restartsAsked().length).toBe(restartsBefore);
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([
      ['target:frigate', 'open'],
      ['cluster', 'open'],
    ]);
    // Like a target, the API is up again after successThreshold (2) answered cycles, not the first.
    loop.cycle(T0 + 41 * 30 * SEC, healthy, [ok('frigate'), ok('hass')]);
    expect(loop.incidents.find((i) => i.subject === 'cluster')?.state).toBe('open');
    loop.cycle(T0 + 42 * 30 * SEC, healthy, [ok('frigate'), ok('hass')]);
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
