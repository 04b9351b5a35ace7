/**
 * The wall clock may step — NTP correcting a clock that was hours off, a VM resumed from a snapshot.
 * Every rule that measures time since something happened (cooldown, backoff, node recovery grace,
 * escalation) measures it here, so a step back never stretches a wait beyond the rule's own length.
 */

/**
 * Time from a past event `at` to `now`. A past event dated after `now` can only mean the clock stepped
 * back since: it counts as just now, so whatever waits on it waits at most its own length.
 */
export function elapsedSince(at: number, now: number): number {
  return Math.max(0, now - at);
}
