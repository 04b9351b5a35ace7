import cron from 'node-cron';
import type { Logger } from '../log.js';

/** A running schedule; `stop` waits for the cycle in progress to finish. */
export interface Scheduler {
  stop(): Promise<void>;
}

/**
 * Runs `cycle` on a node-cron expression (seconds allowed). Cycles never overlap: node-cron's
 * `noOverlap` skips a tick while one is still running, and the skip is logged.
 */
export function startScheduler(expression: string, cycle: () => Promise<void>, logger: Logger): Scheduler {
  let inFlight: Promise<void> | null = null;
  const task = cron.schedule(
    expression,
    () => {
      const run = cycle()
        .catch((err: unknown) => logger.error({ err }, 'check cycle failed'))
        .finally(() => {
          if (inFlight === run) inFlight = null;
        });
      inFlight = run;
      return run;
    },
    { noOverlap: true, name: 'stormguard-check-cycle' },
  );
  task.on('execution:overlap', () => logger.warn('previous check cycle still running; this tick is skipped'));
  // node-cron never makes up missed ticks (good: a clock stepping forward by hours runs one cycle, not
  // hundreds), but it would print a plain-text warning per missed tick. One JSON line per burst instead.
  let missed: Date[] = [];
  task.on('execution:missed', (context: { date: Date }) => {
    if (missed.push(context.date) > 1) return;
    setImmediate(() => {
      logger.warn(
        { missed: missed.length, from: missed[0]!.toISOString(), to: missed.at(-1)!.toISOString() },
        'scheduled check cycles were missed (the wall clock stepped forward, or the process was paused); they are not made up, the schedule goes on',
      );
      missed = [];
    });
  });
  return {
    async stop() {
      await task.stop();
      await task.destroy();
      if (inFlight) await inFlight;
    },
  };
}
