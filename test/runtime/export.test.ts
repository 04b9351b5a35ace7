import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../src/adapters/sqlite/store.js';
import { newIncident } from '../../src/core/lifecycle.js';
import { exportIncident } from '../../src/runtime/export.js';

const T0 = Date.parse('2026-11-25T20:00:00Z');
const MIN = 60_000;
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function store(): Store {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-export-'));
  dirs.push(dir);
  const s = createStore(openDatabase(path.join(dir, 'db.sqlite')));
  stores.push(s);
  return s;
}

const CONFIG = { discord: { guildId: '1', channelId: '2' }, timeZone: 'UTC' };

describe('exportIncident (from the database)', () => {
  it('is null for an incident that does not exist', () => {
    expect(exportIncident(store(), CONFIG, 5, 'md')).toBeNull();
  });

  it('starts an Alertmanager incident when its earliest alert began firing, and links its Discord message', () => {
    const s = store();
    const incident = s.insertIncident({ ...newIncident('alert:0123456789abcdef', 'alert', 'DiskFull', T0), notifiedAt: T0 });
    s.setDiscordMessage(incident.id!, '777', null);
    s.appendAudit({ at: T0, actor: 'alertmanager', action: 'opened', subject: incident.subject, incidentId: incident.id, reason: null, detail: { cause: 'DiskFull' } });
    const alertFacts = (startsAt: number, fingerprint: string) => ({ fingerprint, status: 'firing' as const, labels: { alertname: 'DiskFull' }, annotations: {}, startsAt, endsAt: null, generatorURL: '' });
    s.saveAlertGroup({
      groupKey: '{}:{alertname="DiskFull"}',
      subject: incident.subject,
      incidentId: incident.id,
      title: 'DiskFull: disk almost full',
      notification: { receiver: 'r', status: 'firing', groupKey: '{}:{alertname="DiskFull"}', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [alertFacts(T0 - 4 * MIN, 'a'), alertFacts(T0 - 7 * MIN, 'b')], truncatedAlerts: 0 },
      silence: null,
      updatedAt: T0,
    });
    const doc = JSON.parse(exportIncident(s, CONFIG, incident.id!, 'json')!) as { incident: { title: string; discordMessage: string }; milestones: { started: string; detected: string }; timeline: Array<{ source: string; actor: unknown }> };
    expect(doc.milestones).toMatchObject({ started: '2026-11-25T19:53:00.000Z', detected: '2026-11-25T20:00:00.000Z' });
    expect(doc.incident.title).toBe('Alert: DiskFull: disk almost full');
    expect(doc.incident.discordMessage).toBe('https://discord.com/channels/1/2/777');
    expect(doc.timeline[0]).toMatchObject({ source: 'alertmanager', actor: { type: 'alertmanager' } });
  });

  it('starts a stormguard incident at its detection, with no Discord link without Discord', () => {
    const s = store();
    const incident = s.insertIncident({ ...newIncident('target:frigate', 'target', 'frigate is down', T0), notifiedAt: T0 });
    s.appendAudit({ at: T0, actor: 'scheduler', action: 'opened', subject: incident.subject, incidentId: incident.id, reason: null, detail: {} });
    const doc = JSON.parse(exportIncident(s, { timeZone: 'UTC' }, incident.id!, 'json')!) as { incident: { discordMessage: string | null }; milestones: { started: string } };
    expect(doc.milestones.started).toBe('2026-11-25T20:00:00.000Z');
    expect(doc.incident.discordMessage).toBeNull();
  });
});
