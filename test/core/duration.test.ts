import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['1s', S],
    ['90s', 90 * S],
    ['60s', M],
    ['5m', 5 * M],
    ['1h', H],
    ['1h30m', H + 30 * M],
    ['2d', 2 * D],
    ['1d2h3m4s', D + 2 * H + 3 * M + 4 * S],
    ['1d4s', D + 4 * S],
    ['7d', 7 * D],
    ['120m', 2 * H],
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
    expect(parseDuration('7d', { max: 7 * D })).toEqual({ ok: true, ms: 7 * D });
    expect(parseDuration('6d23h59m59s', { max: 7 * D }).ok).toBe(true);
    const tooLong = parseDuration('8d', { max: 7 * D });
    expect(tooLong).toEqual({ ok: false, error: '“8d” is too long; at most 7d' });
    expect(parseDuration('7d1s', { max: 7 * D }).ok).toBe(false);
  });

  it('shortens pasted text in its message', () => {
    const result = parseDuration('x'.repeat(500));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeLessThan(120);
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
    [S, '1s'],
    [90 * S, '1m30s'],
    [M, '1m'],
    [H, '1h'],
    [2 * D, '2d'],
    [D + 4 * S, '1d4s'],
    [D + 2 * H + 3 * M + 4 * S, '1d2h3m4s'],
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

  it.each([1, 999, 1000, 61_000, 3_600_000, 93_784_000, 7 * D])('parse(format(%d)) is the identity for whole seconds', (ms) => {
    const whole = Math.max(S, Math.floor(ms / S) * S);
    expect(parseDuration(formatDuration(whole))).toEqual({ ok: true, ms: whole });
  });
});
