/**
 * When a recurring maintenance window (cron schedule + duration, in a time zone) is in force. Pure:
 * the schedule is asked through `matches` (the shell passes node-cron's matcher), the time zone is read
 * with `Intl`, and `now` is passed in.
 */

const MINUTE = 60_000;

/**
 * How far before a window's possible start the walk begins: more than any daylight-saving shift, so the
 * wall-clock minutes a fall-back repeats are known to have been seen already.
 */
const LOOKBACK = 3 * 3_600_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether `timeZone` is an IANA time zone this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The wall-clock minute `instant` shows in `timeZone`, written as the epoch milliseconds of the same
 * date and time in UTC (so wall-clock minutes can be compared and counted without a zone).
 */
export function wallClockMinute(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
}

/** What `occurrenceInForce` needs: the schedule as a predicate over wall-clock minutes, its length and zone. */
export interface Recurrence {
  /** Whether the schedule fires at this wall-clock minute (see `wallClockMinute` for the encoding). */
  matches: (wallClockMinute: number) => boolean;
  durationMs: number;
  timeZone: string;
}

/**
 * The start of the occurrence of `recurrence` in force at `now`, or null. Time is walked minute by
 * minute, the way cron does: a wall-clock time that a spring-forward skips starts its occurrence when the
 * clocks jump (02:30 on the night 02:00 becomes 03:00 starts at 03:00), and a wall-clock time that a
 * fall-back repeats starts one occurrence, the first. An occurrence lasts `durationMs` of real time.
 * `walkedUntil` (a previous call's `now`) shortens the walk to what came since: an occurrence that began
 * before it was found then, and only one that began after it is found now.
 */
export function occurrenceInForce(recurrence: Recurrence, now: number, walkedUntil: number | null = null): number | null {
  const { matches, durationMs, timeZone } = recurrence;
  const from = walkedUntil === null ? now - durationMs : Math.max(now - durationMs, walkedUntil);
  const first = Math.floor((from - LOOKBACK) / MINUTE) * MINUTE;
  // The latest wall-clock minute seen so far: minutes at or before it never start an occurrence again.
  let seen = wallClockMinute(first, timeZone);
  let latest: number | null = null;
  for (let at = first + MINUTE; at <= now; at += MINUTE) {
    const wall = wallClockMinute(at, timeZone);
    for (let minute = seen + MINUTE; minute <= wall; minute += MINUTE) {
      if (matches(minute)) latest = at;
    }
    if (wall > seen) seen = wall;
  }
  const found = walkedUntil === null || latest === null || latest > walkedUntil ? latest : null;
  return found !== null && now < found + durationMs ? found : null;
}
