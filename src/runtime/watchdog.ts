/**
 * The shell of the Watchdog dead man's switch (core/watchdog.ts): when Alertmanager's Watchdog was last
 * heard, and since when stormguard has waited for it, persisted so a restart of stormguard keeps counting.
 */
import type { Config } from '../config/types.js';
import type { CycleInput } from '../core/plan.js';
import type { Store } from '../adapters/sqlite/store.js';

/** Meta key: when the last firing Watchdog notification arrived (epoch ms). */
export const WATCHDOG_LAST_SEEN = 'alertmanager.watchdog.lastSeen';
/** Meta key: when stormguard began waiting for the Watchdog (the first cycle with it configured). */
export const WATCHDOG_WATCHING_SINCE = 'alertmanager.watchdog.watchingSince';

/** When the Watchdog was last heard, or null (never, or not recorded). */
export function watchdogLastSeen(store: Store): number | null {
  return timeOf(store.getMeta(WATCHDOG_LAST_SEEN));
}

/** Records that a firing Watchdog notification arrived at `now`. */
export function recordWatchdog(store: Store, now: number): void {
  store.setMeta(WATCHDOG_LAST_SEEN, String(now));
}

/**
 * The cycle's Watchdog input, or undefined when it is not configured. Call inside the cycle's
 * transaction: the first cycle records that the wait begins now.
 */
export function watchdogInput(config: Config, store: Store, now: number): CycleInput['watchdog'] {
  const watchdog = config.alertmanager?.watchdog;
  if (!watchdog) return undefined;
  let watchingSince = timeOf(store.getMeta(WATCHDOG_WATCHING_SINCE));
  if (watchingSince === null) {
    watchingSince = now;
    store.setMeta(WATCHDOG_WATCHING_SINCE, String(now));
  }
  return { within: watchdog.within, lastSeenAt: watchdogLastSeen(store), watchingSince };
}

function timeOf(raw: string | null | undefined): number | null {
  const value = Number(raw ?? '');
  return Number.isFinite(value) && value > 0 ? value : null;
}
