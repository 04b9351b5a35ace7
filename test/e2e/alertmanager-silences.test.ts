/**
 * Silences made from Discord, against a real Alertmanager: they mute exactly the alerts stormguard was
 * told about, one silence per alert is updated (never stacked), `off` lifts all of it, and what a crash
 * between the Alertmanager call and the commit leaves behind is reconciled.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessageView } from '../../src/sim/discord/index.js';
import { startRecorder, type GettableSilence, type NotificationRecorder } from '../helpers/alertmanager.js';
import { startAlertWorld, type AlertWorld, ALERT_POLL as POLL, closeAlertWorldChecked } from '../helpers/alertWorld.js';
import { OPERATOR, topLevel } from '../helpers/world.js';

let world: AlertWorld | undefined;
let payments: NotificationRecorder | undefined;
afterEach(async () => {
  await payments?.close();
  payments = undefined;
  const w = world;
  world = undefined;
  await closeAlertWorldChecked(w);
});


function alert(alertname: string, labels: Record<string, string>, summary = `${alertname} fires`) {
  return { labels: { alertname, ...labels }, annotations: { summary } };
}

function answer(result: { reply: { content: string } | null; followUps: Array<{ content: string }> }): string {
  return (result.reply ?? result.followUps[0])?.content ?? '';
}

function active(silences: GettableSilence[]): GettableSilence[] {
  return silences.filter((s) => s.status.state === 'active');
}

function labelsOf(silence: GettableSilence): Record<string, string> {
  expect(silence.matchers.every((m) => !m.isRegex && m.isEqual !== false)).toBe(true);
  return Object.fromEntries(silence.matchers.map((m) => [m.name, m.value]));
}

/** The open incident's message, once it has its thread. */
async function incidentMessage(w: AlertWorld): Promise<SimMessageView & { thread: NonNullable<SimMessageView['thread']> }> {
  await expect.poll(() => topLevel(w)[0]?.thread ?? null, POLL).not.toBeNull();
  return topLevel(w)[0]! as SimMessageView & { thread: NonNullable<SimMessageView['thread']> };
}

/** The lines of `/silence` without a duration (the list of silences in force). */
async function listed(w: AlertWorld): Promise<string[]> {
  return answer(await w.discord.slashCommand({ name: 'silence', user: OPERATOR })).split('\n');
}

describe('a silence made from Discord mutes exactly the group’s alerts', () => {
  it('another team’s alert with the same alertname and namespace, routed to their receiver, still notifies it', async () => {
    payments = await startRecorder();
    world = await startAlertWorld({ repeatInterval: '1s', routes: [{ labels: { team: 'payments' }, url: payments.url }] });
    const w = world;
    const p = payments;
    const frontend = alert('CPUThrottlingHigh', { namespace: 'shop', deployment: 'frontend', container: 'web' }, 'CPU throttled');
    const cart = alert('CPUThrottlingHigh', { namespace: 'shop', deployment: 'cart', container: 'api' }, 'CPU throttled');
    const theirs = alert('CPUThrottlingHigh', { namespace: 'shop', deployment: 'checkout', container: 'api', team: 'payments' }, 'CPU throttled');
    await w.am.postAlerts([frontend, cart, theirs]);
    const message = await incidentMessage(w);
    await expect.poll(() => p.count('CPUThrottlingHigh'), POLL).toBeGreaterThanOrEqual(1);

    const result = await w.discord.slashCommand({ name: 'silence', options: { duration: '1h' }, user: OPERATOR, channelId: message.thread.id });
    expect(answer(result)).toMatch(/^Silenced “Alert: CPUThrottlingHigh: CPU throttled” \(also in Alertmanager\) until/);

    expect(await w.am.alertStates({ namespace: 'shop', team: 'payments' })).toEqual(['active']);
    expect(await w.am.alertStates({ deployment: 'frontend' })).toEqual(['suppressed']);
    expect(await w.am.alertStates({ deployment: 'cart' })).toEqual(['suppressed']);
    // One silence per alert stormguard was told about, on all its labels.
    const silences = active(await w.am.silences());
    expect(silences.map(labelsOf).sort((a, b) => a.deployment!.localeCompare(b.deployment!))).toEqual([cart.labels, frontend.labels]);

    // Their pager keeps hearing of their alert (Alertmanager repeats it every second) while ours is silent.
    const theirsBefore = p.count('CPUThrottlingHigh');
    const oursBefore = w.recorder.count('CPUThrottlingHigh');
    await expect.poll(() => p.count('CPUThrottlingHigh'), { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(theirsBefore + 3);
    expect(w.recorder.count('CPUThrottlingHigh')).toBe(oursBefore);
  }, 60_000);
});

describe('one Alertmanager silence per alert of the group, and off lifts all of it', () => {
  it('a later /silence 8h updates the silence of the first; off then leaves Alertmanager with no active silence', async () => {
    world = await startAlertWorld();
    const w = world;
    await w.am.postAlerts([alert('BackupFailed', { job: 'restic', host: 'nas' }, 'backup failed')]);
    const message = await incidentMessage(w);

    expect(answer(await w.discord.slashCommand({ name: 'silence', options: { duration: '1h' }, user: OPERATOR, channelId: message.thread.id }))).toMatch(/^Silenced/);
    const [first] = await w.am.silences();
    expect(answer(await w.discord.slashCommand({ name: 'silence', options: { duration: '8h', reason: 'longer' }, user: OPERATOR, channelId: message.thread.id }))).toMatch(/^Silenced/);

    // Updated in place: the same silence, one in all, now ending in 8 hours.
    const silences = await w.am.silences();
    expect(silences.map((s) => [s.id, s.status.state])).toEqual([[first!.id, 'active']]);
    expect(Date.parse(silences[0]!.endsAt) - Date.now()).toBeGreaterThan(7.9 * 3_600_000);
    expect(silences[0]!.comment).toContain('(longer)');
    expect(await listed(w)).toEqual(['Silenced now:', expect.stringMatching(/^\*\*“Alert: BackupFailed: backup failed”\*\* until .* — longer$/)]);

    const off = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off' }, user: OPERATOR, channelId: message.thread.id });
    expect(answer(off)).toBe('Lifted the silence on “Alert: BackupFailed: backup failed” (also in Alertmanager).');
    expect(active(await w.am.silences())).toEqual([]);
    expect(w.service.store.activeSilences(Date.now())).toEqual([]);
  });

  it('three clicks on Silence 1h at once: one silence in Alertmanager and one listed', async () => {
    world = await startAlertWorld();
    const w = world;
    await w.am.postAlerts([alert('CertExpiring', { domain: 'home.example' }, 'certificate expires soon')]);
    const message = await incidentMessage(w);
    await expect.poll(() => topLevel(w)[0]?.components.length ?? 0, POLL).toBe(1);
    const rows = topLevel(w)[0]!.components as Array<{ components: Array<{ custom_id: string; label: string }> }>;
    const customId = rows[0]!.components.find((c) => c.label === 'Silence 1h')!.custom_id;
    const clicks = await Promise.all([1, 2, 3].map(() => w.discord.clickButton({ customId, messageId: message.id, user: OPERATOR })));
    expect(clicks.map(answer).every((a) => a.startsWith('Silenced'))).toBe(true);

    expect((await w.am.silences()).map((s) => s.status.state)).toEqual(['active']);
    expect(await listed(w)).toEqual(['Silenced now:', expect.stringMatching(/^\*\*“Alert: CertExpiring: certificate expires soon”\*\* until /)]);
  });

  it('three /silence of one target list it once, ending when the last one asked', async () => {
    world = await startAlertWorld();
    const w = world;
    for (const duration of ['2h', '1h', '30m']) {
      expect(answer(await w.discord.slashCommand({ name: 'silence', options: { duration, target: 'frigate' }, user: OPERATOR }))).toMatch(/^Silenced frigate until/);
    }
    const lines = await listed(w);
    expect(lines).toEqual(['Silenced now:', expect.stringMatching(/^\*\*frigate\*\* until /)]);
    const [silence] = w.service.store.activeSilences(Date.now());
    expect(silence!.endsAt - silence!.startsAt).toBe(30 * 60_000);
  });
});

describe('a crash between the Alertmanager call and the commit', () => {
  /** What a stormguard that died after Alertmanager took its silence leaves behind: a tagged silence and no record. */
  async function orphan(w: AlertWorld, labels: Record<string, string>): Promise<string> {
    const incident = w.service.store.openIncidents()[0]!;
    const now = Date.now();
    return w.am.createSilence({
      matchers: Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 8 * 3_600_000).toISOString(),
      createdBy: `discord:${OPERATOR.id}`,
      comment: `stormguard incident #${incident.id}: UpsOnBattery [stormguard ${incident.subject}]`,
    });
  }

  it('is reconciled at the next start: the silence stormguard never recorded is expired', async () => {
    world = await startAlertWorld();
    const w = world;
    const ups = alert('UpsOnBattery', { ups: 'rack' }, 'the UPS runs on battery');
    await w.am.postAlerts([ups]);
    await incidentMessage(w);
    await orphan(w, ups.labels);
    // Someone else's silence, without stormguard's tag, is not stormguard's to touch.
    await w.am.createSilence({ matchers: [{ name: 'ups', value: 'rack', isRegex: false, isEqual: true }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'someone', comment: 'UPS maintenance' });
    expect(await w.am.alertStates({ ups: 'rack' })).toEqual(['suppressed']);

    await w.restartBot();
    await expect.poll(async () => active(await w.am.silences()).map((s) => s.createdBy), POLL).toEqual(['someone']);
  });

  it('is reconciled at the next lift: off expires it', async () => {
    world = await startAlertWorld();
    const w = world;
    const ups = alert('UpsOnBattery', { ups: 'rack' }, 'the UPS runs on battery');
    await w.am.postAlerts([ups]);
    const message = await incidentMessage(w);
    await orphan(w, ups.labels);

    const off = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off' }, user: OPERATOR, channelId: message.thread.id });
    expect(answer(off)).toBe('Lifted the silence on “Alert: UpsOnBattery: the UPS runs on battery” (also in Alertmanager).');
    expect(active(await w.am.silences())).toEqual([]);
    expect(await w.am.alertStates({ ups: 'rack' })).toEqual(['active']);
  });

  it('a silence made before the tag existed (its comment names the incident) is lifted by off too', async () => {
    world = await startAlertWorld();
    const w = world;
    const ups = alert('UpsOnBattery', { ups: 'rack' }, 'the UPS runs on battery');
    await w.am.postAlerts([ups]);
    const message = await incidentMessage(w);
    const incident = w.service.store.openIncidents()[0]!;
    await w.am.createSilence({ matchers: [{ name: 'alertname', value: 'UpsOnBattery', isRegex: false, isEqual: true }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: `discord:${OPERATOR.id}`, comment: `stormguard incident #${incident.id}: UpsOnBattery: the UPS runs on battery` });

    const off = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off' }, user: OPERATOR, channelId: message.thread.id });
    expect(answer(off)).toBe('Lifted the silence on “Alert: UpsOnBattery: the UPS runs on battery” (also in Alertmanager).');
    expect(active(await w.am.silences())).toEqual([]);
  });

  it('a commit that fails after Alertmanager took the silence takes it back: nothing is silenced on either side', async () => {
    world = await startAlertWorld();
    const w = world;
    await w.am.postAlerts([alert('UpsOnBattery', { ups: 'rack' }, 'the UPS runs on battery')]);
    const message = await incidentMessage(w);
    // Another writer holds the database's write lock past stormguard's busy timeout.
    const other = new Database(path.join(w.dir, 'stormguard.db'));
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const asked = w.discord.slashCommand({ name: 'silence', options: { duration: '1h' }, user: OPERATOR, channelId: message.thread.id });
      // Alertmanager takes the silence; the commit then waits for the lock, gives up, and the silence is taken back.
      await expect.poll(async () => (await w.am.silences()).length, POLL).toBe(1);
      await expect.poll(async () => active(await w.am.silences()), POLL).toEqual([]);
      expect(answer(await asked)).not.toMatch(/^Silenced/);
      other.prepare('ROLLBACK').run();
    } finally {
      other.close();
    }
    expect(active(await w.am.silences())).toEqual([]);
    expect(w.service.store.activeSilences(Date.now())).toEqual([]);
  }, 60_000);
});
