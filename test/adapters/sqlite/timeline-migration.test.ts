import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsDir, readMigrations, schemaVersion } from '../../../src/adapters/sqlite/migrate.js';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';
import { createStore } from '../../../src/adapters/sqlite/store.js';
import { milestonesOf, timelineOf } from '../../../src/core/timeline.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-timeline-migration-'));
  dirs.push(dir);
  return dir;
}

const TIMELINE = readMigrations(migrationsDir()).find((m) => m.name === 'timeline')!;
const T0 = Date.parse('2026-11-25T20:00:00Z');
const MIN = 60_000;
const USER = '200000000000000001';

/** The migrations up to the one before the timeline's: the schema a database had before this release. */
function migrationsBefore(): string {
  const dir = tempDir();
  for (const m of readMigrations(migrationsDir()).filter((m) => m.version < TIMELINE.version)) fs.copyFileSync(m.file, path.join(dir, path.basename(m.file)));
  return dir;
}

describe('the timeline migration', () => {
  it('types the audit records a database already holds, writes no second record, and the timeline reads them', () => {
    const file = path.join(tempDir(), 'stormguard.db');
    const old = openDatabase(file, { migrationsDir: migrationsBefore() });
    expect(schemaVersion(old)).toBe(TIMELINE.version - 1);
    old.prepare(
      `INSERT INTO incidents (id, subject, kind, state, cause, targets_json, opened_at, resolved_at, acknowledged_by, acknowledged_at, created_at, updated_at)
       VALUES (1, 'node:node-a', 'node', 'resolved', 'node node-a is Ready', '["frigate"]', ?, ?, ?, ?, ?, ?)`,
    ).run(T0, T0 + 20 * MIN, USER, T0 + 5 * MIN, T0, T0 + 20 * MIN);
    const audit = old.prepare('INSERT INTO audit_log (at, actor, action, subject, incident_id, reason, detail_json) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const rows: Array<[number, string, string, string, number | null, string | null, Record<string, unknown>]> = [
      [T0, 'scheduler', 'opened', 'node:node-a', 1, null, { cause: 'node node-a is NotReady', targets: ['frigate'] }],
      [T0, 'scheduler', 'notified', 'node:node-a', 1, 'open', {}],
      [T0 + 5 * MIN, USER, 'acknowledged', 'node:node-a', 1, null, {}],
      [T0 + 6 * MIN, USER, 'restartRefused', 'target:frigate', 1, 'nodeNotReady', { message: 'node node-a is NotReady' }],
      [T0 + 7 * MIN, USER, 'silenceChanged', 'node:node-a', 1, null, { text: 'Silence on node node-a lifted by <@1>' }],
      [T0 + 10 * MIN, USER, 'restartRequested', 'node:node-a', 1, 'Restart button', { target: 'frigate', automatic: false }],
      [T0 + 10 * MIN, USER, 'restartSucceeded', 'node:node-a', 1, null, { target: 'frigate' }],
      [T0 + 12 * MIN, 'scheduler', 'emailSent', 'node:node-a', 1, 'fallback', { messageId: '<1@x>' }],
      [T0 + 20 * MIN, 'scheduler', 'resolved', 'node:node-a', 1, null, { cause: 'node node-a is Ready', openFor: 20 * MIN }],
      [T0 + 21 * MIN, USER, 'ackRefused', 'ack', null, 'notOperator', {}],
    ];
    for (const [at, actor, action, subject, incidentId, reason, detail] of rows) audit.run(at, actor, action, subject, incidentId, reason, JSON.stringify(detail));
    old.close();

    const store = createStore(openDatabase(file));
    try {
      const db = openDatabase(file);
      expect(schemaVersion(db)).toBeGreaterThanOrEqual(TIMELINE.version);
      const stored = db.prepare('SELECT action, kind, source FROM audit_log ORDER BY id').all();
      db.close();
      // Every record still once, now typed.
      expect(stored).toEqual([
        { action: 'opened', kind: 'detected', source: 'automatic' },
        { action: 'notified', kind: null, source: 'automatic' },
        { action: 'acknowledged', kind: 'acknowledged', source: 'slashCommand' },
        { action: 'restartRefused', kind: 'restartRefused', source: 'slashCommand' },
        { action: 'silenceChanged', kind: 'silenceLifted', source: 'slashCommand' },
        { action: 'restartRequested', kind: 'restartRequested', source: 'button' },
        { action: 'restartSucceeded', kind: 'restartSucceeded', source: 'automatic' },
        { action: 'emailSent', kind: 'emailFallbackSent', source: 'automatic' },
        { action: 'resolved', kind: 'resolved', source: 'automatic' },
        { action: 'ackRefused', kind: 'refused', source: 'slashCommand' },
      ]);
      const timeline = timelineOf(store.timelineRecords(1));
      expect(timeline.map((e) => e.kind)).toEqual(['detected', 'acknowledged', 'restartRefused', 'silenceLifted', 'restartRequested', 'restartSucceeded', 'emailFallbackSent', 'resolved']);
      expect(timeline[2]!.text).toBe('Restart of frigate refused: node node-a is NotReady');
      expect(milestonesOf(timeline)).toEqual({
        started: T0,
        detected: T0,
        acknowledged: T0 + 5 * MIN,
        mitigated: T0 + 10 * MIN,
        resolved: T0 + 20 * MIN,
        mttaMs: 5 * MIN,
        mttrMs: 20 * MIN,
      });
      // New records are typed as they are written, by the same mapping.
      store.appendAudit({ at: T0 + 30 * MIN, actor: USER, action: 'note', subject: 'node:node-a', incidentId: 1, reason: null, detail: { text: 'it was the UPS' } });
      expect(store.timelineRecords(1).at(-1)).toMatchObject({ action: 'note', kind: 'note', source: 'slashCommand' });
    } finally {
      store.close();
    }
  });

  it('refuses a kind or a source outside the declared lists (the typed columns are checked by the database)', () => {
    const db = openDatabase(path.join(tempDir(), 'stormguard.db'));
    try {
      const insert = (kind: string | null, source: string) =>
        db.prepare("INSERT INTO audit_log (at, actor, action, subject, reason, detail_json, kind, source) VALUES (1, 'scheduler', 'x', 's', NULL, '{}', ?, ?)").run(kind, source);
      expect(() => insert('exploded', 'automatic')).toThrow(/CHECK constraint failed/);
      expect(() => insert('note', 'telepathy')).toThrow(/CHECK constraint failed/);
      expect(() => insert(null, 'api')).not.toThrow();
    } finally {
      db.close();
    }
  });
});
