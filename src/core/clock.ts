/**
 * The wall clock may step — NTP correcting a clock that was hours off, a VM resumed from a snapshot.
 * One mechanism in the core: every rule that measures time since something happened (cooldown, backoff,
 * the hourly limit, node recovery grace, escalation) measures it here, so a step back never makes a
 * wait negative. The shell adds the other half once per cycle (runtime/cycle.ts): times stored ahead of
 * a clock that stepped back are re-dated to now, so no wait is stretched beyond its own length from now.
 */

/**
 * Time from a past event `at` to `now`. A past event dated after `now` can only mean the clock stepped
 * back since: it counts as just now, so whatever waits on it waits at most its own length.
 */
export function elapsedSince(at: number, now: number): number {
  return Math.max(0, now - at);
}
