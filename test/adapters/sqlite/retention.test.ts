import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';
import { INCIDENT_CHILD_TABLES } from '../../../src/adapters/sqlite/retention.js';
import { createStore, type Store } from '../../../src/adapters/sqlite/store.js';
import { newIncident } from '../../../src/core/lifecycle.js';
import type { Incident } from '../../../src/core/types.js';

const DAY = 24 * 60 * 60_000;
const T0 = 1_700_000_000_000;
let db: Database | undefined;
let store: Store | undefined;
const dirs: string[] = [];
afterEach(() => {
  store?.close();
  store = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function open(): Store {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-retention-'));
  dirs.push(dir);
  db = openDatabase(path.join(dir, 'stormguard.db'));
  store = createStore(db, { now: () => T0 });
  return store;
}

/** An incident with a row in every table that references incidents: audit, outbox, restart attempt, Alertmanager group. */
function seed(s: Store, subject: string, openedAt: number, resolvedAt: number | null): Incident {
  const incident = s.insertIncident({
    ...newIncident(subject, 'target', 'HTTP 503', openedAt),
    ...(resolvedAt === null ? {} : { state: 'resolved' as const, resolvedAt }),
  });
  const id = incident.id!;
  s.appendAudit({ at: openedAt, actor: 'scheduler', action: 'opened', subject, incidentId: id, reason: null, detail: {} });
  s.markEffectDone(s.enqueueEffect(id, { type: 'postMessage', mention: true }, openedAt), openedAt);
  s.insertRestartAttempt({ target: subject.slice('target:'.length), incidentId: id, requestedBy: 'scheduler', automatic: true, requestedAt: openedAt });
  const groupKey = `{}:{alertname="${subject}"}`;
  s.saveAlertGroup({
    groupKey,
    subject: `alert:${subject}`,
    incidentId: id,
    title: subject,
    notification: { receiver: 'r', status: 'firing', groupKey, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [], truncatedAlerts: 0 },
    silence: null,
    updatedAt: openedAt,
  });
  return incident;
}

function rowsOf(table: string, incidentId: number | null): number {
  // `= NULL` never matches: only rows that reference this incident are counted.
  return (db!.prepare(`SELECT count(*) AS n FROM ${table} WHERE incident_id = ?`).get(incidentId) as { n: number }).n;
}

describe('pruneIncidents', () => {
  it('names every table that references incidents (a new one must be added to INCIDENT_CHILD_TABLES)', () => {
    open();
    const tables = (db!.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((t) => t.name);
    const referencing = tables.filter((t) => (db!.pragma(`foreign_key_list(${t})`) as Array<{ table: string }>).some((fk) => fk.table === 'incidents'));
    expect([...INCIDENT_CHILD_TABLES].sort()).toEqual(referencing.sort());
  });

  it('deletes resolved incidents past the cut with all their rows, oldest first, at most `limit` at a time; keeps what is inside the retention', () => {
    const s = open();
    const cut = T0 + 10 * DAY;
    const old = [3, 1, 2].map((day) => seed(s, `target:old-${day}`, T0, T0 + day * DAY));
    const atCut = seed(s, 'target:at-cut', T0, cut);
    const recent = seed(s, 'target:recent', T0, cut + DAY);

    expect(s.pruneIncidents(cut, 2)).toEqual({ incidents: 2, rows: 2 * INCIDENT_CHILD_TABLES.length });
    // Resolved on day 1 and day 2 went first; day 3 waits for the next batch.
    expect(old.map((i) => s.getIncident(i.id!)?.subject ?? null)).toEqual(['target:old-3', null, null]);
    expect(s.pruneIncidents(cut, 2)).toEqual({ incidents: 1, rows: INCIDENT_CHILD_TABLES.length });
    expect(s.pruneIncidents(cut, 2)).toEqual({ incidents: 0, rows: 0 });

    for (const gone of old) for (const table of INCIDENT_CHILD_TABLES) expect(rowsOf(table, gone.id)).toBe(0);
    for (const kept of [atCut, recent]) {
      expect(s.getIncident(kept.id!)).not.toBeNull();
      for (const table of INCIDENT_CHILD_TABLES) expect(rowsOf(table, kept.id)).toBe(1);
    }
    // Nothing left dangling: the foreign keys hold.
    expect(db!.pragma('foreign_key_check')).toEqual([]);
  });

  it('never prunes an incident that is not resolved, however long ago it opened', () => {
    const s = open();
    const ancient = seed(s, 'target:frigate', T0 - 400 * DAY, null);
    const acked = s.insertIncident({ ...newIncident('node:k3s-2', 'node', 'NotReady', T0 - 400 * DAY), state: 'acknowledged', acknowledgedBy: 'u1', acknowledgedAt: T0 - 399 * DAY });
    expect(s.pruneIncidents(T0 + 365 * DAY, 100)).toEqual({ incidents: 0, rows: 0 });
    expect(s.getIncident(ancient.id!)?.state).toBe('open');
    expect(s.getIncident(acked.id!)?.state).toBe('acknowledged');
    for (const table of INCIDENT_CHILD_TABLES) expect(rowsOf(table, ancient.id)).toBe(1);
  });

  it('waits with an incident whose outbox still owes an effect, and prunes it once delivered', () => {
    const s = open();
    const owed = seed(s, 'target:owed', T0, T0 + DAY);
    const pending = s.enqueueEffect(owed.id!, { type: 'editMessage' }, T0 + DAY);
    expect(s.pruneIncidents(T0 + 2 * DAY, 100)).toEqual({ incidents: 0, rows: 0 });
    s.markEffectDone(pending, T0 + 2 * DAY);
    expect(s.pruneIncidents(T0 + 2 * DAY, 100).incidents).toBe(1);
    expect(s.getIncident(owed.id!)).toBeNull();
  });

  it('leaves rows that belong to no incident alone', () => {
    const s = open();
    seed(s, 'target:old', T0, T0 + DAY);
    s.appendAudit({ at: T0, actor: 'u1', action: 'silenced', subject: 'everything', incidentId: null, reason: null, detail: {} });
    s.insertRestartAttempt({ target: 'hass', incidentId: null, requestedBy: 'u1', automatic: false, requestedAt: T0 });
    expect(s.pruneIncidents(T0 + 2 * DAY, 100).incidents).toBe(1);
    const unowned = (table: string) => (db!.prepare(`SELECT count(*) AS n FROM ${table} WHERE incident_id IS NULL`).get() as { n: number }).n;
    expect([unowned('audit_log'), unowned('restart_attempts')]).toEqual([1, 1]);
  });
});
