import { afterEach, describe, expect, it } from 'vitest';
import { newIncident } from '../../src/core/lifecycle.js';
import { INCIDENT_PRUNE_BATCH } from '../../src/runtime/cycle.js';
import { startEngine, type Engine } from '../helpers/engine.js';

const DAY = 24 * 60 * 60_000;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('resolved incidents are kept for `retention`', () => {
  it('each cycle prunes at most INCIDENT_PRUNE_BATCH expired incidents with their records; those inside the retention and open ones stay', async () => {
    engine = await startEngine({ retention: '30d', targets: [{ name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } }] });
    const e = engine;
    const now = e.clock.now();
    const expired: number[] = [];
    let inside = 0;
    let open = 0;
    e.store.transaction(() => {
      for (let i = 0; i < INCIDENT_PRUNE_BATCH + 5; i++) {
        const incident = e.store.insertIncident({ ...newIncident(`node:old-${i}`, 'node', 'NotReady', now - 40 * DAY), state: 'resolved', resolvedAt: now - 31 * DAY + i });
        e.store.appendAudit({ at: now - 40 * DAY, actor: 'scheduler', action: 'opened', subject: incident.subject, incidentId: incident.id, reason: null, detail: {} });
        expired.push(incident.id!);
      }
      inside = e.store.insertIncident({ ...newIncident('node:recent', 'node', 'NotReady', now - 40 * DAY), state: 'resolved', resolvedAt: now - 29 * DAY }).id!;
      // Open for 400 days (nobody fixed it): older than the retention, and never pruned.
      open = e.store.insertIncident({ ...newIncident('node:forgotten', 'node', 'NotReady', now - 400 * DAY), targets: [] }).id!;
      e.store.appendAudit({ at: now - 400 * DAY, actor: 'scheduler', action: 'opened', subject: 'node:forgotten', incidentId: open, reason: null, detail: {} });
    });
    const left = () => expired.filter((id) => e.store.getIncident(id) !== null).length;
    await e.cycles(1);
    expect(left()).toBe(5);
    await e.cycles(1);
    expect(left()).toBe(0);
    expect(e.store.auditFor({}).filter((a) => a.subject.startsWith('node:old-'))).toEqual([]);
    expect(e.store.getIncident(inside)?.state).toBe('resolved');
    expect(e.store.getIncident(open)?.state).toBe('open');
    // Its whole record stays, the 400-day-old opening included.
    expect(e.store.auditFor({ incidentId: open })[0]).toMatchObject({ at: now - 400 * DAY, action: 'opened' });
  });
});
