/**
 * The checks on `maintenance.windows` that need more than a field's type: the schedule's seconds, its
 * time zone, and whether its occurrences would overlap (asked of node-cron itself, never a parser of ours).
 */
import cron from 'node-cron';
import { isTimeZone } from '../core/occurrences.js';

export { isTimeZone };

/** How many occurrences are looked at for the shortest gap: a year of a daily schedule, decades of a monthly one. */
const OCCURRENCES_LOOKED_AT = 400;

/**
 * The shortest time between two successive occurrences of a cron schedule in `timeZone` (a daylight-saving
 * night makes a daily schedule's gap 23h), over the next {@link OCCURRENCES_LOOKED_AT} occurrences.
 */
export function shortestGap(schedule: string, timeZone: string | undefined): number {
  const task = cron.createTask(schedule, () => undefined, timeZone ? { timezone: timeZone } : {});
  try {
    const runs = task.getNextRuns(OCCURRENCES_LOOKED_AT).map((d) => d.getTime());
    return Math.min(...runs.slice(1).map((t, i) => t - runs[i]!));
  } finally {
    void task.destroy();
  }
}

/** Whether a cron schedule fires on whole minutes only (no seconds field, or a seconds field of 0). */
export function firesOnWholeMinutes(schedule: string): boolean {
  const fields = cron.validateDetailed(schedule).fields;
  return fields !== undefined && fields.second.length === 1 && fields.second[0] === 0;
}
