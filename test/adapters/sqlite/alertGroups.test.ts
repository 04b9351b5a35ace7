import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sqlite } from '../../../src/adapters/sqlite/driver.js';
import { migrate, migrationsDir, readMigrations } from '../../../src/adapters/sqlite/migrate.js';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';
import { createStore } from '../../../src/adapters/sqlite/store.js';
import type { AlertGroup } from '../../../src/core/alertmanager.js';
import { newIncident } from '../../../src/core/lifecycle.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-alertgroups-'));
  dirs.push(dir);
  return path.join(dir, 'db.sqlite');
}

const ALERTMANAGER_MIGRATION = readMigrations(migrationsDir()).find((m) => m.name === 'alertmanager')!;

describe('the Alertmanager migration', () => {
  it('rebuilds incidents with kind alert allowed, keeping every row, id and reference', () => {
    const file = tempFile();
    const before = new Sqlite(file);
    // The schema just before this migration: every earlier migration, applied by the real migrator.
    const earlier = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-earlier-'));
    dirs.push(earlier);
    for (const m of readMigrations(migrationsDir()).filter((m) => m.version < ALERTMANAGER_MIGRATION.version)) fs.copyFileSync(m.file, path.join(earlier, path.basename(m.file)));
    migrate(before, earlier);
    before.prepare("INSERT INTO incidents (id, subject, kind, state, cause, opened_at, created_at, updated_at, discord_message_id) VALUES (41, 'node:a', 'node', 'open', 'down', 1, 1, 1, '999')").run();
    before.prepare("INSERT INTO audit_log (at, actor, action, subject, incident_id) VALUES (1, 'scheduler', 'opened', 'node:a', 41)").run();
    before.close();

    const db = openDatabase(file);
    const store = createStore(db);
    expect(store.getIncident(41)).toMatchObject({ subject: 'node:a', kind: 'node', state: 'open' });
    expect(store.getDiscordRefs(41)?.messageId).toBe('999');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    const inserted = store.insertIncident({ ...store.getIncident(41)!, id: null, subject: 'alert:0123456789abcdef', kind: 'alert' });
    expect(inserted.id).toBe(42);
    // One open incident per subject is still enforced by the rebuilt table's index.
    expect(() => store.insertIncident({ ...inserted, id: null })).toThrow(/UNIQUE/);
    store.close();
  });

  it('stores a group, finds it by key and by incident, and keeps its Alertmanager silence', () => {
    const store = createStore(openDatabase(tempFile()));
    const incident = store.insertIncident({ ...newIncident('alert:0123456789abcdef', 'alert', 'X', 1), notifiedAt: 1 });
    const group: AlertGroup = {
      groupKey: '{}:{alertname="X"}',
      subject: incident.subject,
      incidentId: incident.id,
      title: 'X',
      notification: { receiver: 'r', status: 'firing', groupKey: '{}:{alertname="X"}', groupLabels: { alertname: 'X' }, commonLabels: { alertname: 'X' }, commonAnnotations: {}, externalURL: 'http://am', alerts: [], truncatedAlerts: 0 },
      silence: null,
      updatedAt: 5,
    };
    store.saveAlertGroup(group);
    expect(store.alertGroup(group.groupKey)).toEqual(group);
    store.setAlertGroupSilence(group.groupKey, { id: 'abc', endsAt: 99, createdBy: 'u1' });
    expect(store.alertGroupsForIncident(incident.id!)).toEqual([{ ...group, silence: { id: 'abc', endsAt: 99, createdBy: 'u1' } }]);
    store.saveAlertGroup({ ...group, title: 'Y', silence: null });
    expect(store.alertGroup(group.groupKey)).toMatchObject({ title: 'Y', silence: null });
    expect(() => store.setAlertGroupSilence('nope', null)).toThrow(/no Alertmanager group/);
    store.close();
  });
});
