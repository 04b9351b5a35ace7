/**
 * The shell around maintenance windows: the occurrences of the configuration's recurring windows are
 * written down when they begin (so each one's end is reported once, across restarts too), what a cycle
 * plans from is loaded, and each end report the plan made is recorded.
 */
import cron from 'node-cron';
import type { Config, RecurringWindowConfig } from '../config/types.js';
import { occurrenceInForce } from '../core/occurrences.js';
import { CONFIG_AUTHOR, windowsToReport, type MaintenanceWindow, type WindowEndReport } from '../core/windows.js';
import type { Incident } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';

/** The machine's time zone: the default of a recurring window's schedule, as it is the checks' schedule's. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * The start of the occurrence of a recurring window in force at `now`, or null. node-cron says which
 * wall-clock minutes the schedule fires on (asked in UTC, where a wall-clock minute is encoded); the
 * core walks real time across the zone's daylight-saving changes.
 */
export function recurringOccurrence(window: RecurringWindowConfig, now: number, walkedUntil: number | null = null): number | null {
  const matcher = cron.createTask(window.schedule, () => undefined, { timezone: 'UTC' });
  try {
    return occurrenceInForce({ matches: (wall) => matcher.match(new Date(wall)), durationMs: window.duration, timeZone: window.timeZone ?? machineTimeZone() }, now, walkedUntil);
  } finally {
    void matcher.destroy();
  }
}

/**
 * How far each recurring window's schedule was walked, per store (one per running app): the next cycle
 * walks only what came since (a week-long window would otherwise walk a week of minutes every cycle).
 * Kept in memory: after a start the first cycle walks the whole duration again and finds the stored occurrence.
 */
const walked = new WeakMap<Store, Map<string, number>>();

/** Writes down the occurrence of each recurring window that began by `now` and is in force (once: the store ignores a second). */
export function beginOccurrences(store: Store, config: Pick<Config, 'maintenance'>, now: number): void {
  const done = walked.get(store) ?? new Map<string, number>();
  walked.set(store, done);
  for (const window of config.maintenance.windows) {
    const key = JSON.stringify([window.name, window.schedule, window.duration, window.timeZone ?? null]);
    const since = done.get(key) ?? null;
    // A clock stepped back walks the whole duration again.
    const startsAt = recurringOccurrence(window, now, since !== null && since <= now ? since : null);
    done.set(key, now);
    if (startsAt === null) continue;
    store.addOccurrence({ nodes: window.nodes, targets: window.targets, startsAt, endsAt: startsAt + window.duration, reason: '', recurring: window.name });
  }
}

/**
 * What a cycle plans maintenance from: the windows in force or owing their report, and the incidents
 * resolved since the earliest window to report began (what came back during it). Call in the cycle's transaction.
 */
export function loadMaintenanceWindows(store: Store, config: Pick<Config, 'maintenance'>, now: number): { windows: MaintenanceWindow[]; resolved: Incident[] } {
  beginOccurrences(store, config, now);
  const windows = store.unreportedWindows();
  const due = windowsToReport(windows, now);
  if (due.length === 0) return { windows, resolved: [] };
  const since = Math.min(...due.map((w) => w.startsAt));
  return { windows, resolved: store.recentIncidents(since).filter((i) => i.state === 'resolved') };
}

/** Records the end reports a cycle made: each window marked reported, with an audit record of its summary. */
export function recordWindowReports(store: Store, reports: readonly WindowEndReport[], now: number, logger: Logger): void {
  for (const { window, text, stillOpen } of reports) {
    if (window.id === null) continue;
    store.markWindowsReported([window.id], now);
    store.appendAudit({
      at: now,
      actor: window.createdBy === CONFIG_AUTHOR ? 'scheduler' : window.createdBy,
      action: 'maintenanceWindowEnded',
      subject: `maintenance:${window.id}`,
      incidentId: null,
      reason: window.recurring ?? (window.reason || null),
      detail: { text, startsAt: window.startsAt, endsAt: window.endsAt, endedAt: window.endedAt, stillOpen },
    });
    logger.info({ window: window.id, recurring: window.recurring, stillOpen: stillOpen.length }, text);
  }
}
