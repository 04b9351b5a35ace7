import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/core/duration.js';
import { evaluateGate } from '../../src/core/gate.js';
import { nodeOfSubject, targetOfSubject } from '../../src/core/subject.js';
import { clip } from '../../src/core/text.js';
import { node, restart, snapshot, T0, target, workload } from './fixtures.js';

describe('clip: edges', () => {
  it('a limit of zero or less leaves nothing', () => {
    expect(clip('abc', 0)).toBe('');
    expect(clip('abc', -1)).toBe('');
  });

  it.each([
    ['a\ud800\udc00b', 'a…'],
    ['a\udbff\udfffb', 'a…'],
    ['a\ud7ffxb', 'a\ud7ff…'],
    ['a\udc00xb', 'a\udc00…'],
  ])('never ends on the first half of a surrogate pair (%j)', (text, clipped) => {
    expect(clip(text, 3)).toBe(clipped);
  });
});

describe('subjects: what is not a subject names nothing', () => {
  it.each(['frigate', '', 'target:', 'pod:x'])('%j', (subject) => {
    expect(nodeOfSubject(subject)).toBeNull();
    expect(targetOfSubject(subject)).toBeNull();
  });

  it('a node subject names no target, a target subject no node', () => {
    expect(targetOfSubject('node:k3s-2')).toBeNull();
    expect(nodeOfSubject('target:frigate')).toBeNull();
    expect(targetOfSubject('target:frigate')).toBe('frigate');
  });
});

describe('parseDuration: numbers that look like durations', () => {
  it.each([
    ['10', '“10” needs a unit (d, h, m or s), e.g. 10m'],
    ['05', '“05” needs a unit (d, h, m or s), e.g. 05m'],
    ['12.5h', '“12.5h” is not a duration; use whole numbers, e.g. 1h30m instead of 1.5h'],
    ['1.25h', '“1.25h” is not a duration; use whole numbers, e.g. 1h30m instead of 1.5h'],
  ])('%j → %s', (text, error) => {
    expect(parseDuration(text)).toEqual({ ok: false, error });
  });
});

describe('evaluateGate: edges', () => {
  const base = {
    targetName: 'frigate',
    targets: [target('frigate', { restart: { ...target('frigate').restart, circuitBreakAfter: 1 } })],
    snapshot: snapshot([node('node-a')], [workload('frigate', ['node-a'])]),
    silences: [],
    now: T0,
  };

  it('without an incident there is no breaker to trip, however low its limit', () => {
    expect(evaluateGate({ ...base, mode: 'automatic', incident: null, restarts: [restart({ requestedAt: T0 - 3 * 3_600_000 })] })).toMatchObject({ allowed: true });
  });

  it('a rollout in progress names the target', () => {
    const rolling = snapshot([node('node-a')], [workload('frigate', ['node-a'], { rolloutInProgress: true })]);
    expect(evaluateGate({ ...base, mode: 'manual', incident: null, restarts: [], snapshot: rolling })).toEqual({
      allowed: false,
      reason: 'restartInProgress',
      message: 'a rollout of frigate is still in progress',
      context: { target: 'frigate' },
    });
  });
});
