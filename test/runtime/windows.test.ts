/**
 * Recurring maintenance windows on the controllable clock, through the real shell: node-cron's matcher,
 * the real SQLite store, the Kubernetes simulator read by the real adapter, and the cycle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recurringOccurrence } from '../../src/runtime/windows.js';
import type { RecurringWindowConfig } from '../../src/config/types.js';
import { startEngine, type Engine } from '../helpers/engine.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => Date.parse(iso);

const sundayReboot: RecurringWindowConfig = { name: 'sunday-reboot', nodes: ['node-a'], targets: [], schedule: '30 2 * * 0', duration: HOUR, timeZone: 'Europe/Berlin' };

describe('recurringOccurrence (node-cron says which minutes, the core walks the zone)', () => {
  it.each<[string, string, string | null]>([
    ['an ordinary Sunday, 02:30 CET', '2026-03-22T01:45:00Z', '2026-03-22T01:30:00Z'],
    ['before it', '2026-03-22T01:29:00Z', null],
    ['spring forward: 02:30 does not exist, it starts at 03:00 CEST', '2026-03-29T01:00:00Z', '2026-03-29T01:00:00Z'],
    ['spring forward, a minute before the jump', '2026-03-29T00:59:00Z', null],
    ['spring forward, still in force', '2026-03-29T01:59:00Z', '2026-03-29T01:00:00Z'],
    ['spring forward, over', '2026-03-29T02:00:00Z', null],
    ['fall back: the first 02:30 (CEST)', '2026-10-25T00:30:00Z', '2026-10-25T00:30:00Z'],
    ['fall back: the second 02:30 (CET) starts nothing', '2026-10-25T01:40:00Z', null],
    ['a summer Sunday, 02:30 CEST', '2026-07-05T00:31:00Z', '2026-07-05T00:30:00Z'],
    ['a Monday', '2026-07-06T00:31:00Z', null],
  ])('%s', (_, now, expected) => {
    expect(recurringOccurrence(sundayReboot, at(now))).toBe(expected === null ? null : at(expected));
  });

  it('takes the machine’s zone when none is configured', () => {
    const utc = { ...sundayReboot, timeZone: undefined };
    const previous = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      expect(recurringOccurrence(utc, at('2026-03-22T02:31:00Z'))).toBe(at('2026-03-22T02:30:00Z'));
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });
});

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('a recurring window on the controllable clock', () => {
  it('begins at the jump on the spring-forward night, keeps a node outage quiet, and at its end reports and rings once', async () => {
    engine = await startEngine({
      targets: [{ name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } }],
      notify: { escalateAfter: '3h' },
      maintenance: { windows: [{ name: 'sunday-reboot', nodes: ['node-a'], schedule: '30 2 * * 0', duration: '1h', timeZone: 'Europe/Berlin' }] },
    });
    const e = engine;
    e.clock.nowMs = at('2026-03-29T00:40:00Z'); // 01:40 CET
    await e.cycles(4, 5 * MIN); // to 01:00Z: the clocks jump to 03:00 CEST
    expect(e.store.unreportedWindows()).toEqual([expect.objectContaining({ recurring: 'sunday-reboot', startsAt: at('2026-03-29T01:00:00Z'), endsAt: at('2026-03-29T02:00:00Z'), createdBy: 'config' })]);

    e.sim.setNodeReady('node-a', 'False');
    await e.cycles(11, 5 * MIN); // to 01:55Z, inside the window
    expect(e.store.openIncidents().map((i) => i.subject)).toEqual(['node:node-a']);
    expect(e.store.auditFor({ action: 'notified' })).toEqual([]);
    expect(e.store.auditFor({ action: 'notificationMuted' })).toHaveLength(1);

    await e.cycles(1, 5 * MIN); // 02:00Z: over
    const [report] = e.store.auditFor({ action: 'maintenanceWindowEnded' });
    expect(report?.detail.text).toBe('Maintenance window (node node-a — sunday-reboot, scheduled) over after 1h — still down: frigate');
    expect(e.store.auditFor({ action: 'notified' }).map((a) => [a.subject, a.reason])).toEqual([['node:node-a', 'maintenanceEnded']]);
    expect(e.store.unreportedWindows()).toEqual([]);

    await e.cycles(6, 5 * MIN);
    expect(e.store.auditFor({ action: 'notified' })).toHaveLength(1);
    expect(e.store.auditFor({ action: 'maintenanceWindowEnded' })).toHaveLength(1);
  });

  it('starts once on the fall-back night, lasting its real hour', async () => {
    engine = await startEngine({
      targets: [{ name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } }],
      maintenance: { windows: [{ name: 'sunday-reboot', nodes: ['node-a'], schedule: '30 2 * * 0', duration: '1h', timeZone: 'Europe/Berlin' }] },
    });
    const e = engine;
    e.clock.nowMs = at('2026-10-25T00:00:00Z');
    await e.cycles(30, 5 * MIN); // to 02:30Z, through both 02:30s
    expect(e.store.auditFor({ action: 'maintenanceWindowEnded' }).map((a) => [a.detail.startsAt, a.detail.endsAt, a.detail.text])).toEqual([
      [at('2026-10-25T00:30:00Z'), at('2026-10-25T01:30:00Z'), 'Maintenance window (node node-a — sunday-reboot, scheduled) over after 1h — nothing went down'],
    ]);
    expect(e.store.unreportedWindows()).toEqual([]);
  });
});
