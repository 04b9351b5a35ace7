import { afterEach, describe, expect, it, vi } from 'vitest';
import { startScheduler, type Scheduler } from '../../src/runtime/scheduler.js';
import { captureLogs } from '../helpers/logs.js';

let scheduler: Scheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  vi.useRealTimers();
});

describe('the schedule when the wall clock steps forward', () => {
  it('runs one cycle, not one per missed tick, and says so in one structured line', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-25T20:00:00.000Z') });
    const logs = captureLogs();
    let cycles = 0;
    scheduler = startScheduler('*/30 * * * * *', async () => void cycles++, logs.logger);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(cycles).toBe(1);

    vi.setSystemTime(Date.now() + 3 * 3_600_000);
    await vi.advanceTimersByTimeAsync(31_000);
    expect(cycles).toBe(2);
    // Ticks from 20:01:00 to 23:00:30 were skipped: one JSON line says so (node-cron would print 360).
    expect(logs.lines().map(({ level, msg, missed, from, to }) => ({ level, msg, missed, from, to }))).toEqual([
      {
        level: 40,
        msg: 'scheduled check cycles were missed (the wall clock stepped forward, or the process was paused); they are not made up, the schedule goes on',
        missed: 360,
        from: '2026-11-25T20:01:00.000Z',
        to: '2026-11-25T23:00:30.000Z',
      },
    ]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cycles).toBe(4);
    expect(logs.lines()).toHaveLength(1);
  });
});
