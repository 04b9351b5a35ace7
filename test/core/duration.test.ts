import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { HOUR, MIN, SEC } from './fixtures.js';

const DAY = 24 * HOUR;

describe('parseDuration', () => {
  it.each([
    ['1s', SEC],
    ['90s', 90 * SEC],
    ['60s', MIN],
    ['5m', 5 * MIN],
    ['1h', HOUR],
    ['1h30m', HOUR + 30 * MIN],
    ['2d', 2 * DAY],
    ['1d2h3m4s', DAY + 2 * HOUR + 3 * MIN + 4 * SEC],
    ['1d4s', DAY + 4 * SEC],
    ['7d', 7 * DAY],
    ['120m', 2 * HOUR],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['', 'required'],
    ['0', 'longer than zero'],
    ['0s', 'longer than zero'],
    ['0h0m', 'longer than zero'],
    ['1h0m', 'zero part'],
    ['-5m', 'not a duration'],
    ['+5m', 'not a duration'],
    ['banana', '“banana” is not a duration; use e.g. 30m, 1h, 1h30m, 2d'],
    ['1h1h', 'each unit once'],
    ['5m1h', 'largest first'],
    ['1.5h', 'whole numbers'],
    ['5', 'needs a unit'],
    [' 5m', 'not a duration'],
    ['5m ', 'not a duration'],
    ['1h 30m', 'not a duration'],
    ['5M', 'not a duration'],
    ['5ms', 'not a duration'],
    ['1w', 'not a duration'],
    ['h', 'not a duration'],
    ['99999999999999999999d', 'too long'],
  ])('rejects %j', (text, fragment) => {
    const result = parseDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(fragment);
  });

  it('enforces max, naming the limit', () => {
    expect(parseDuration('7d', { max: 7 * DAY })).toEqual({ ok: true, ms: 7 * DAY });
    expect(parseDuration('6d23h59m59s', { max: 7 * DAY }).ok).toBe(true);
    const tooLong = parseDuration('8d', { max: 7 * DAY });
    expect(tooLong).toEqual({ ok: false, error: '“8d” is too long; at most 7d' });
    expect(parseDuration('7d1s', { max: 7 * DAY }).ok).toBe(false);
  });

  it('shortens pasted text in its message', () => {
    const result = parseDuration('x'.repeat(500));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeLessThan(120);
  });
});

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

  it.each([
    ['10', '“10” needs a unit (d, h, m or s), e.g. 10m'],
    ['05', '“05” needs a unit (d, h, m or s), e.g. 05m'],
    ['12.5h', '“12.5h” is not a duration; use whole numbers, e.g. 1h30m instead of 1.5h'],
    ['1.25h', '“1.25h” is not a duration; use whole numbers, e.g. 1h30m instead of 1.5h'],
  ])('refuses a number that looks like a duration: %j → %s', (text, error) => {
    expect(parseDuration(text)).toEqual({ ok: false, error });
  });
});

describe('formatDuration', () => {
  it.each([
    [5_400_000, '1h30m'],
    [SEC, '1s'],
    [90 * SEC, '1m30s'],
    [MIN, '1m'],
    [HOUR, '1h'],
    [2 * DAY, '2d'],
    [DAY + 4 * SEC, '1d4s'],
    [DAY + 2 * HOUR + 3 * MIN + 4 * SEC, '1d2h3m4s'],
    [0, '0s'],
    [250, '250ms'],
    [1500, '1s'],
  ])('renders %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d', (ms) => {
    expect(() => formatDuration(ms)).toThrow(RangeError);
  });

  it.each(['1s', '59s', '1m', '1h30m', '2d', '1d2h3m4s', '7d', '23h59m59s'])('round-trips %s', (text) => {
    const parsed = parseDuration(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(formatDuration(parsed.ms)).toBe(text);
  });

  it.each([1, 999, 1000, 61_000, 3_600_000, 93_784_000, 7 * DAY])('parse(format(%d)) is the identity for whole seconds', (ms) => {
    const whole = Math.max(SEC, Math.floor(ms / SEC) * SEC);
    expect(parseDuration(formatDuration(whole))).toEqual({ ok: true, ms: whole });
  });

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
