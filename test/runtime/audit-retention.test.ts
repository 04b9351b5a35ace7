import { afterEach, describe, expect, it } from 'vitest';
import { AUDIT_PRUNE_BATCH } from '../../src/runtime/cycle.js';
import { startEngine, type Engine } from '../helpers/engine.js';

const DAY = 24 * 60 * 60_000;
let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

describe('the audit log is kept for `retention`', () => {
  it('each cycle prunes at most AUDIT_PRUNE_BATCH entries older than the retention and keeps those inside it', async () => {
    engine = await startEngine({ retention: '30d', targets: [{ name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } }] });
    const e = engine;
    expect(e.config.retention).toBe(30 * DAY);
    const now = e.clock.now();
    const old = AUDIT_PRUNE_BATCH + 100;
    e.store.transaction(() => {
      for (let i = 0; i < old; i++) e.store.appendAudit({ at: now - 31 * DAY + i, actor: 'scheduler', action: 'old', subject: 'target:frigate', incidentId: null, reason: null, detail: {} });
      e.store.appendAudit({ at: now - 29 * DAY, actor: 'scheduler', action: 'recent', subject: 'target:frigate', incidentId: null, reason: null, detail: {} });
    });
    await e.cycles(1);
    expect(e.store.auditFor({ action: 'old' })).toHaveLength(100);
    // The oldest went first.
    expect(e.store.auditFor({ action: 'old' })[0]!.at).toBe(now - 31 * DAY + AUDIT_PRUNE_BATCH);
    await e.cycles(1);
    expect(e.store.auditFor({ action: 'old' })).toHaveLength(0);
    expect(e.store.auditFor({ action: 'recent' })).toHaveLength(1);
  });
});
