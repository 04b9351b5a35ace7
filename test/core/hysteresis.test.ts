import { describe, expect, it } from 'vitest';
import { initialTargetState, observe, type Thresholds } from '../../src/core/hysteresis.js';
import type { Observation, TargetState } from '../../src/core/types.js';
import { SEC, T0 } from './fixtures.js';

const thresholds: Thresholds = { failureThreshold: 2, successThreshold: 3 };

/** `F` a failed probe, `O` a good one, `?` an unknown one (the API or the probe could not tell). */
function run(sequence: string, start: TargetState = initialTargetState('frigate'), limits: Thresholds = thresholds): TargetState[] {
  const results: Record<string, Observation['result']> = { F: 'fail', O: 'ok', '?': 'unknown' };
  const seen: TargetState[] = [];
  let state = start;
  [...sequence].forEach((c, i) => {
    state = observe(state, { target: 'frigate', result: results[c]!, detail: `probe ${i}` }, limits, T0 + i * 30 * SEC);
    seen.push(state);
  });
  return seen;
}

const down: TargetState = { ...initialTargetState('frigate'), health: 'down', consecutiveFailures: 5, lastDetail: 'HTTP 503', lastObservedAt: T0 - 30 * SEC };

describe('initialTargetState', () => {
  it('is presumed up, with no counters, detail, observation or remembered refusal', () => {
    expect(initialTargetState('hass')).toEqual({
      target: 'hass',
      health: 'up',
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      lastDetail: '',
      lastObservedAt: null,
      lastGateReason: null,
      consecutiveMissing: 0,
    });
  });
});

describe('observe: health after each observation (failureThreshold 2, successThreshold 3)', () => {
  it.each([
    // [from, sequence, health after each step]
    ['up', 'F', 'up'],
    ['up', 'FF', 'up down'],
    ['up', 'FOF', 'up up up'],
    ['up', 'F?F', 'up up down'],
    ['up', '??????', 'up up up up up up'],
    ['up', 'FFF', 'up down down'],
    ['down', 'O', 'down'],
    ['down', 'OO', 'down down'],
    ['down', 'OOO', 'down down up'],
    ['down', 'OOFOOO', 'down down down down down up'],
    ['down', 'O?O?O', 'down down down down up'],
    ['down', '??????', 'down down down down down down'],
  ])('%s + %s → %s', (from, sequence, expected) => {
    const start = from === 'up' ? initialTargetState('frigate') : down;
    expect(run(sequence, start).map((s) => s.health).join(' ')).toBe(expected);
  });

  it('needs exactly failureThreshold failures: one fewer stays up', () => {
    const limits = { failureThreshold: 4, successThreshold: 1 };
    expect(run('FFF', undefined, limits).at(-1)?.health).toBe('up');
    expect(run('FFFF', undefined, limits).at(-1)?.health).toBe('down');
  });

  it('a threshold of one reacts to a single observation either way', () => {
    const limits = { failureThreshold: 1, successThreshold: 1 };
    expect(run('F', undefined, limits).map((s) => s.health)).toEqual(['down']);
    expect(run('O', down, limits).map((s) => s.health)).toEqual(['up']);
  });
});

describe('observe: counters and details', () => {
  it('counts consecutive results and resets the other counter', () => {
    expect(run('FFOOF').map((s) => [s.consecutiveFailures, s.consecutiveSuccesses])).toEqual([
      [1, 0],
      [2, 0],
      [0, 1],
      [0, 2],
      [1, 0],
    ]);
  });

  it('records the detail and time of each real observation', () => {
    const [first, second] = run('FO');
    expect(first).toMatchObject({ lastDetail: 'probe 0', lastObservedAt: T0 });
    expect(second).toMatchObject({ lastDetail: 'probe 1', lastObservedAt: T0 + 30 * SEC });
  });

  it('an unknown observation changes nothing at all, not even the detail or the time', () => {
    const before: TargetState = { ...down, consecutiveSuccesses: 2, consecutiveFailures: 0, lastGateReason: 'nodeNotReady' };
    const after = observe(before, { target: 'frigate', result: 'unknown', detail: 'API unreachable' }, thresholds, T0);
    expect(after).toEqual(before);
  });

  it('keeps what it does not own (the remembered gate refusal)', () => {
    const before: TargetState = { ...down, lastGateReason: 'cooldown' };
    expect(observe(before, { target: 'frigate', result: 'fail', detail: 'x' }, thresholds, T0).lastGateReason).toBe('cooldown');
    expect(observe(before, { target: 'frigate', result: 'ok', detail: 'x' }, thresholds, T0).lastGateReason).toBe('cooldown');
  });
});
