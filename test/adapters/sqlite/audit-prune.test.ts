import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../../src/adapters/sqlite/store.js';
import { newIncident } from '../../../src/core/lifecycle.js';
import type { AuditEntry } from '../../../src/core/types.js';

const DAY = 24 * 60 * 60_000;
const T0 = 1_700_000_000_000;
let store: Store | undefined;
const dirs: string[] = [];
afterEach(() => {
  store?.close();
  store = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function open(): Store {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-audit-'));
  dirs.push(dir);
  store = createStore(openDatabase(path.join(dir, 'stormguard.db')), { now: () => T0 });
  return store;
}

function entry(at: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return { at, actor: 'scheduler', action: 'opened', subject: 'target:frigate', incidentId: null, reason: null, detail: {}, ...overrides };
}

describe('pruneAudit', () => {
  it('deletes only entries older than the cut, oldest first, at most `limit` at a time', () => {
    const s = open();
    for (let day = 0; day < 10; day++) s.appendAudit(entry(T0 + day * DAY, { detail: { day } }));
    // The cut is day 7: days 0–6 are older; batches of 4 take days 0–3, then 4–6, then nothing.
    expect(s.pruneAudit(T0 + 7 * DAY, 4)).toBe(4);
    expect(s.auditFor({}).map((e) => e.detail.day)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(s.pruneAudit(T0 + 7 * DAY, 4)).toBe(3);
    expect(s.pruneAudit(T0 + 7 * DAY, 4)).toBe(0);
    // What is inside the retention is kept, the entry exactly at the cut included.
    expect(s.auditFor({}).map((e) => e.detail.day)).toEqual([7, 8, 9]);
  });

  it('keeps the whole record of an incident still open; a resolved one’s old entries go', () => {
    const s = open();
    const stillOpen = s.insertIncident({ ...newIncident('target:frigate', 'target', 'HTTP 503', T0), targets: ['frigate'] });
    const over = s.insertIncident({ ...newIncident('target:hass', 'target', 'HTTP 503', T0), state: 'resolved', resolvedAt: T0 + DAY });
    s.appendAudit(entry(T0, { incidentId: stillOpen.id }));
    s.appendAudit(entry(T0, { incidentId: over.id, subject: 'target:hass' }));
    s.appendAudit(entry(T0, { action: 'silenced' }));
    expect(s.pruneAudit(T0 + DAY, 500)).toBe(2);
    expect(s.auditFor({}).map((e) => e.incidentId)).toEqual([stillOpen.id]);
  });
});
