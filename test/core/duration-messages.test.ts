import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

describe('parseDuration: the exact sentence for each mistake', () => {
  it.each([
    ['', 'a duration is required; use e.g. 30m, 1h, 1h30m, 2d'],
    ['0', '“0” is not a duration; it must be longer than zero, use e.g. 30m, 1h, 1h30m, 2d'],
    ['000', '“000” is not a duration; it must be longer than zero, use e.g. 30m, 1h, 1h30m, 2d'],
    ['0m', '“0m” is not a duration; it must be longer than zero, use e.g. 30m, 1h, 1h30m, 2d'],
    ['15', '“15” needs a unit (d, h, m or s), e.g. 15m'],
    ['105', '“105” needs a unit (d, h, m or s), e.g. 105m'],
    ['1.5h', '“1.5h” is not a duration; use whole numbers, e.g. 1h30m instead of 1.5h'],
    ['x1.5h', '“x1.5h” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['1.5', '“1.5” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['1h1h', '“1h1h” is not a duration; write each unit once, largest first (d, h, m, s), e.g. 1h30m'],
    ['30m1h', '“30m1h” is not a duration; write each unit once, largest first (d, h, m, s), e.g. 1h30m'],
    ['x30m1h', '“x30m1h” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['30m1hx', '“30m1hx” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['5x', '“5x” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['x5', '“x5” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['5 ', '“5 ” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['0d1h', '“0d1h” has a zero part; every number must be positive, e.g. 1h30m'],
    ['1d0s', '“1d0s” has a zero part; every number must be positive, e.g. 1h30m'],
    ['99999999999999999999d', '“99999999999999999999d” is too long'],
  ])('%j → %s', (text, error) => {
    expect(parseDuration(text)).toEqual({ ok: false, error });
  });

  it('quotes at most 32 characters of pasted text', () => {
    const text32 = 'y'.repeat(32);
    expect(parseDuration(text32)).toEqual({ ok: false, error: `“${text32}” is not a duration; use e.g. 30m, 1h, 1h30m, 2d` });
    expect(parseDuration('y'.repeat(33))).toEqual({ ok: false, error: `“${'y'.repeat(31)}…” is not a duration; use e.g. 30m, 1h, 1h30m, 2d` });
  });

  it('max is inclusive and optional', () => {
    expect(parseDuration('2h', { max: 2 * 3_600_000 })).toEqual({ ok: true, ms: 7_200_000 });
    expect(parseDuration('2h1s', { max: 2 * 3_600_000 })).toEqual({ ok: false, error: '“2h1s” is too long; at most 2h' });
    expect(parseDuration('999d')).toEqual({ ok: true, ms: 999 * 86_400_000 });
  });

  it('the largest exact duration still parses', () => {
    const days = Math.floor(Number.MAX_SAFE_INTEGER / 86_400_000);
    expect(parseDuration(`${days}d`)).toEqual({ ok: true, ms: days * 86_400_000 });
    expect(parseDuration(`${days * 24 + 24}h`).ok).toBe(false);
  });
});

describe('formatDuration: edges', () => {
  it.each([
    [1, '1ms'],
    [999, '999ms'],
    [999.6, '1000ms'],
    [1000, '1s'],
    [59_999, '59s'],
    [3_599_999, '59m59s'],
    [86_399_999, '23h59m59s'],
    [86_400_000, '1d'],
    [90_061_000, '1d1h1m1s'],
  ])('%d → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('names the bad value', () => {
    expect(() => formatDuration(-5)).toThrow('formatDuration: not a duration: -5');
  });
});
