import { describe, expect, it } from 'vitest';
import { isTimeZone, occurrenceInForce, wallClockMinute, type Recurrence } from '../../src/core/occurrences.js';
import { HOUR, MIN, SEC } from './fixtures.js';

const at = (iso: string) => Date.parse(iso);

/** "30 2 * * 0": Sundays at 02:30 wall-clock time. */
const sundayHalfPastTwo = (wall: number) => {
  const d = new Date(wall);
  return d.getUTCDay() === 0 && d.getUTCHours() === 2 && d.getUTCMinutes() === 30;
};
const berlin = (durationMs: number): Recurrence => ({ matches: sundayHalfPastTwo, durationMs, timeZone: 'Europe/Berlin' });

describe('wall-clock minutes', () => {
  it('reads the zone’s date and time, as UTC fields, seconds dropped', () => {
    expect(wallClockMinute(at('2026-03-22T01:30:45Z'), 'Europe/Berlin')).toBe(at('2026-03-22T02:30:00Z'));
    expect(wallClockMinute(at('2026-07-05T00:30:00Z'), 'Europe/Berlin')).toBe(at('2026-07-05T02:30:00Z'));
    expect(wallClockMinute(at('2026-12-31T23:59:00Z'), 'UTC')).toBe(at('2026-12-31T23:59:00Z'));
    expect(wallClockMinute(at('2026-01-01T00:00:00Z'), 'America/New_York')).toBe(at('2025-12-31T19:00:00Z'));
  });

  it('knows IANA zones and refuses made-up ones', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('occurrenceInForce', () => {
  it('is in force from the scheduled minute for its duration, on an ordinary Sunday', () => {
    const start = at('2026-03-22T01:30:00Z'); // 02:30 CET
    expect(occurrenceInForce(berlin(HOUR), start - SEC)).toBeNull();
    expect(occurrenceInForce(berlin(HOUR), start)).toBe(start);
    expect(occurrenceInForce(berlin(HOUR), start + 30 * SEC)).toBe(start);
    expect(occurrenceInForce(berlin(HOUR), start + HOUR - 1)).toBe(start);
    expect(occurrenceInForce(berlin(HOUR), start + HOUR)).toBeNull();
    expect(occurrenceInForce(berlin(HOUR), at('2026-03-25T01:30:00Z'))).toBeNull();
  });

  it('starts when the clocks jump on the spring-forward night (02:30 does not exist: 03:00 CEST)', () => {
    const jump = at('2026-03-29T01:00:00Z'); // 02:00 CET → 03:00 CEST
    expect(occurrenceInForce(berlin(HOUR), jump - MIN)).toBeNull();
    expect(occurrenceInForce(berlin(HOUR), jump)).toBe(jump);
    expect(occurrenceInForce(berlin(HOUR), jump + 59 * MIN)).toBe(jump);
    expect(occurrenceInForce(berlin(HOUR), jump + HOUR)).toBeNull();
  });

  it('starts once, the first time, on the fall-back night (02:30 happens twice)', () => {
    const first = at('2026-10-25T00:30:00Z'); // 02:30 CEST
    const second = at('2026-10-25T01:30:00Z'); // 02:30 CET
    expect(occurrenceInForce(berlin(HOUR), first - MIN)).toBeNull();
    expect(occurrenceInForce(berlin(HOUR), first)).toBe(first);
    expect(occurrenceInForce(berlin(HOUR), second - 1)).toBe(first);
    expect(occurrenceInForce(berlin(HOUR), second)).toBeNull();
    expect(occurrenceInForce(berlin(HOUR), second + 15 * MIN)).toBeNull();
    // A longer window lasts its real duration across the repeated hour, and starts only once.
    expect(occurrenceInForce(berlin(2 * HOUR), second + 30 * MIN)).toBe(first);
    expect(occurrenceInForce(berlin(2 * HOUR), first + 2 * HOUR)).toBeNull();
  });

  it('knows the repeated hour was seen before, however short the window (it looks back past any shift)', () => {
    const second = at('2026-10-25T01:30:00Z'); // the second 02:30, CET
    expect(occurrenceInForce(berlin(10 * MIN), second)).toBeNull();
    expect(occurrenceInForce(berlin(10 * MIN), second + 5 * MIN)).toBeNull();
    expect(occurrenceInForce(berlin(10 * MIN), at('2026-10-25T00:35:00Z'))).toBe(at('2026-10-25T00:30:00Z'));
  });

  it('walks only what came since a previous walk: a start after it is found, one before it was found then', () => {
    const jump = at('2026-03-29T01:00:00Z');
    expect(occurrenceInForce(berlin(HOUR), jump + 10 * MIN, jump - 30 * 1000)).toBe(jump);
    expect(occurrenceInForce(berlin(HOUR), jump + 10 * MIN, jump)).toBeNull();
    expect(occurrenceInForce(berlin(HOUR), jump + 10 * MIN, jump - 1)).toBe(jump);
    // The repeated fall-back hour stays seen when the walk resumes inside it.
    const second = at('2026-10-25T01:30:00Z');
    expect(occurrenceInForce(berlin(10 * MIN), second + MIN, second - 30 * 1000)).toBeNull();
    // A long window: the walk since the last cycle still finds its start.
    const daily: Recurrence = { matches: (w) => new Date(w).getUTCHours() === 3 && new Date(w).getUTCMinutes() === 0, durationMs: 6 * 24 * HOUR, timeZone: 'UTC' };
    expect(occurrenceInForce(daily, at('2026-05-01T03:00:20Z'), at('2026-05-01T02:59:50Z'))).toBe(at('2026-05-01T03:00:00Z'));
    expect(occurrenceInForce(daily, at('2026-05-01T03:00:50Z'), at('2026-05-01T03:00:20Z'))).toBeNull();
  });

  it('picks the latest start when occurrences follow each other', () => {
    const everyTen: Recurrence = { matches: (w) => new Date(w).getUTCMinutes() % 10 === 0, durationMs: 5 * MIN, timeZone: 'UTC' };
    expect(occurrenceInForce(everyTen, at('2026-05-01T12:25:00Z'))).toBeNull();
    expect(occurrenceInForce(everyTen, at('2026-05-01T12:19:59Z'))).toBeNull();
    expect(occurrenceInForce(everyTen, at('2026-05-01T12:20:00Z'))).toBe(at('2026-05-01T12:20:00Z'));
    expect(occurrenceInForce(everyTen, at('2026-05-01T12:24:59Z'))).toBe(at('2026-05-01T12:20:00Z'));
    const back2back: Recurrence = { ...everyTen, durationMs: 10 * MIN };
    expect(occurrenceInForce(back2back, at('2026-05-01T12:29:59Z'))).toBe(at('2026-05-01T12:20:00Z'));
    expect(occurrenceInForce(back2back, at('2026-05-01T12:30:00Z'))).toBe(at('2026-05-01T12:30:00Z'));
  });

  it('finds an occurrence that began up to its duration ago, however long', () => {
    const daily: Recurrence = { matches: (w) => new Date(w).getUTCHours() === 3 && new Date(w).getUTCMinutes() === 0, durationMs: 20 * HOUR, timeZone: 'UTC' };
    expect(occurrenceInForce(daily, at('2026-05-01T22:59:00Z'))).toBe(at('2026-05-01T03:00:00Z'));
    expect(occurrenceInForce(daily, at('2026-05-01T23:00:00Z'))).toBeNull();
    expect(occurrenceInForce(daily, at('2026-05-01T02:59:00Z'))).toBeNull();
  });
});
