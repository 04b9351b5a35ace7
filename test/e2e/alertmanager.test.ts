import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessageView } from '../../src/sim/discord/index.js';
import { startAlertmanager } from '../helpers/alertmanager.js';
import { startAlertWorld, WEBHOOK_TOKEN, type AlertWorld, ALERT_POLL as POLL, closeAlertWorldChecked } from '../helpers/alertWorld.js';
import { IDS, OPERATOR, roleRings, topLevel } from '../helpers/world.js';

let world: AlertWorld | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeAlertWorldChecked(w);
});


interface Embed {
  title?: string;
  description?: string;
  fields?: Array<{ name: string; value: string }>;
}

function embed(m: SimMessageView): Embed {
  return m.embeds[0] as Embed;
}

/** stormguard's `stormguard_alertmanager_notifications_total` by outcome, scraped from its /metrics. */
async function outcomes(w: AlertWorld): Promise<Record<string, number>> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^stormguard_alertmanager_notifications_total\{outcome="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

function alert(alertname: string, labels: Record<string, string>, summary = `${alertname} fires`) {
  return { labels: { alertname, ...labels }, annotations: { summary }, generatorURL: 'http://prometheus.local:9090/graph?g0.expr=up%3D%3D0' };
}

function resolved(a: ReturnType<typeof alert>) {
  return { ...a, endsAt: new Date(Date.now() - 1_000).toISOString() };
}

describe('Alertmanager → stormguard (a real Alertmanager on loopback)', () => {
  it('one Discord message per group, edited when alerts join and resolve, rung once, resolved when Alertmanager says so', async () => {
    world = await startAlertWorld();
    const w = world;
    const disk1 = alert('DiskFull', { instance: 'nas:9100', mountpoint: '/data' }, 'disk almost full');
    const disk2 = alert('DiskFull', { instance: 'pi:9100', mountpoint: '/' }, 'disk almost full');
    const temp = alert('HighTemperature', { instance: 'nas:9100' }, 'too hot');
    await w.am.postAlerts([disk1, temp]);

    await expect.poll(() => topLevel(w).length, POLL).toBe(2);
    await expect.poll(() => topLevel(w).every((m) => m.thread !== null), POLL).toBe(true);
    const disk = () => topLevel(w).find((m) => embed(m).title?.includes('DiskFull'))!;
    expect(embed(disk()).title).toBe('Alert: DiskFull: disk almost full');
    // The thread and the ringing content name the alert, not its subject (`alert:<hash>`).
    expect(disk().thread!.name).toMatch(/^#\d+ Alert: DiskFull: disk almost full$/);
    expect(disk().content).toBe(`<@&${IDS.mentionRole}> Incident #${w.service.store.openIncidents().find((i) => i.cause.startsWith('DiskFull'))!.id}: Alert: DiskFull: disk almost full`);
    expect(embed(disk()).description).toContain('instance=nas:9100, mountpoint=/data');
    expect(roleRings(w)).toBe(2);

    await w.am.postAlerts([disk1, disk2, temp]);
    await expect.poll(() => embed(disk()).description, POLL).toContain('instance=pi:9100');
    await expect.poll(() => disk().thread!.messages.some((m) => m.content.includes('firing: instance=pi:9100, mountpoint=/')), POLL).toBe(true);

    await w.am.postAlerts([resolved(disk1), disk2, temp]);
    await expect.poll(() => disk().thread!.messages.some((m) => m.content.includes('resolved: instance=nas:9100, mountpoint=/data')), POLL).toBe(true);
    await expect.poll(() => embed(disk()).description, POLL).not.toContain('instance=nas:9100');

    await w.am.postAlerts([resolved(disk1), resolved(disk2), temp]);
    await expect.poll(() => embed(disk()).title, POLL).toBe('Resolved: DiskFull: disk almost full');
    expect(topLevel(w)).toHaveLength(2);
    expect(roleRings(w)).toBe(2);
    // Every thread note is quiet.
    expect(disk().thread!.messages.every((m) => (m.flags & 4096) === 4096)).toBe(true);
  });
});

describe('the long outage and restarts', () => {
  it('a long outage with many repeat notifications stays one message and one ring; Discord hears nothing of the repeats', async () => {
    world = await startAlertWorld({ repeatInterval: '1s' });
    const w = world;
    const down = alert('NodeDown', { instance: 'k3s-9:9100' }, 'node k3s-9 is down');
    await w.am.postAlerts([down]);
    await expect.poll(() => topLevel(w)[0]?.thread !== null && topLevel(w)[0]?.thread !== undefined, POLL).toBe(true);
    await expect.poll(() => w.service.store.countEffects({ status: 'pending' }), POLL).toBe(0);
    const requestsAtFirst = w.discord.countRequests();

    // Alertmanager repeats the unchanged group every second; wait until stormguard has taken 10 repeats.
    await expect.poll(() => outcomes(w).then((o) => o.repeat ?? 0), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(10);
    expect(w.discord.countRequests()).toBe(requestsAtFirst);

    await w.am.postAlerts([resolved(down)]);
    await expect.poll(() => embed(topLevel(w)[0]!).title, POLL).toBe('Resolved: NodeDown: node k3s-9 is down');
    const notifications = w.recorder.count('NodeDown');
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
    // Alertmanager's own Discord integration posts one message per notification: that many messages.
    console.info(`long outage: Alertmanager sent ${notifications} notifications (= messages its Discord integration would post); stormguard: ${topLevel(w).length} message, ${roleRings(w)} ring, ${topLevel(w)[0]!.editCount} edit, ${topLevel(w)[0]!.thread!.messages.length} quiet thread notes`);
    expect(notifications).toBeGreaterThanOrEqual(10);
    // stormguard's own count of the calls it took: one opened, repeats that changed nothing, one resolved.
    const taken = await outcomes(w);
    expect({ ...taken, repeat: undefined }).toEqual({ opened: 1, resolved: 1, repeat: undefined });
  }, 90_000);

  it('stormguard restarted between notifications edits the same message and posts no second one', async () => {
    world = await startAlertWorld();
    const w = world;
    const one = alert('BackupFailed', { job: 'restic', host: 'nas' }, 'backup failed');
    const two = alert('BackupFailed', { job: 'restic', host: 'pi' }, 'backup failed');
    await w.am.postAlerts([one]);
    await expect.poll(() => topLevel(w)[0]?.thread ?? null, POLL).not.toBeNull();
    await w.restartBot();
    await w.am.postAlerts([one, two]);
    await expect.poll(() => embed(topLevel(w)[0]!).description, POLL).toContain('host=pi');
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
    expect(w.service.store.openIncidents()).toHaveLength(1);
  });
});

describe('Alertmanager restarted', () => {
  it('a new Alertmanager (fresh storage) sending the same group again edits the same incident: no second message, no second ring', async () => {
    world = await startAlertWorld();
    const w = world;
    const one = alert('UpsOnBattery', { ups: 'rack' }, 'the UPS runs on battery');
    await w.am.postAlerts([one]);
    await expect.poll(() => topLevel(w)[0]?.thread ?? null, POLL).not.toBeNull();
    await w.am.stop();
    w.am = await startAlertmanager({ webhookUrl: `${w.url}/alertmanager`, bearerToken: WEBHOOK_TOKEN, alsoTo: w.recorder.url });
    const two = alert('UpsOnBattery', { ups: 'closet' }, 'the UPS runs on battery');
    await w.am.postAlerts([one, two]);
    await expect.poll(() => embed(topLevel(w)[0]!).description, POLL).toContain('ups=closet');
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
    expect(w.service.store.openIncidents()).toHaveLength(1);
  });
});

describe('POST /alertmanager refuses what it cannot trust, and stores nothing', () => {
  async function post(w: AlertWorld, body: string, headers: Record<string, string> = {}) {
    return fetch(`${w.url}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}`, ...headers }, body });
  }

  function nothingStored(w: AlertWorld) {
    expect(w.service.store.openIncidents()).toEqual([]);
    expect(w.service.store.countEffects()).toBe(0);
    expect(topLevel(w)).toHaveLength(0);
  }

  const valid = {
    version: '4',
    groupKey: '{}:{alertname="X"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'stormguard',
    groupLabels: { alertname: 'X' },
    commonLabels: { alertname: 'X' },
    commonAnnotations: {},
    externalURL: 'http://am.local:9093',
    alerts: [{ status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: '2026-12-01T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'abc' }],
  };

  it('a wrong token is 401 and counted, also when a real Alertmanager sends it; nothing of it is stored', async () => {
    world = await startAlertWorld();
    const w = world;
    const res = await post(w, JSON.stringify(valid), { authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
    expect((await post(w, JSON.stringify(valid), { authorization: '' })).status).toBe(401);
    const wrongAm = await startAlertmanager({ webhookUrl: `${w.url}/alertmanager`, bearerToken: 'not-the-token' });
    try {
      await wrongAm.postAlerts([alert('Wrong', {})]);
      await expect.poll(() => outcomes(w).then((o) => o.unauthorized ?? 0), POLL).toBeGreaterThanOrEqual(3);
    } finally {
      await wrongAm.stop();
    }
    expect(Object.keys(await outcomes(w))).toEqual(['unauthorized']);
    expect(w.service.store.auditFor({})).toEqual([]);
    nothingStored(w);
  });

  it('malformed bodies are 400 with a reason, oversized ones 413, all counted', async () => {
    world = await startAlertWorld();
    const w = world;
    const notJson = await post(w, '{"version":');
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toMatch(/body is not JSON/);
    const v3 = await post(w, JSON.stringify({ ...valid, version: '3' }));
    expect(v3.status).toBe(400);
    expect(await v3.text()).toMatch(/version: must be "4"/);
    const badAlert = await post(w, JSON.stringify({ ...valid, alerts: [{ ...valid.alerts[0], status: 'burning' }] }));
    expect(badAlert.status).toBe(400);
    expect(await badAlert.text()).toMatch(/alerts\[0\]\.status/);
    const huge = await post(w, JSON.stringify({ ...valid, commonAnnotations: { description: 'x'.repeat(1_100_000) } }));
    expect(huge.status).toBe(413);
    expect(await outcomes(w)).toEqual({ malformed: 3, tooLarge: 1 });
    expect(w.service.store.auditFor({})).toEqual([]);
    nothingStored(w);
    // The same body, well-formed, is taken: the refusals were about the body, not the endpoint.
    expect((await post(w, JSON.stringify(valid))).status).toBe(200);
    await expect.poll(() => topLevel(w).length, POLL).toBe(1);
  });
});

describe('POST /alertmanager costs nothing to those it refuses', () => {
  it('2,000 requests with a wrong Authorization add no audit row and ~no bytes to the database; the metric counts each', async () => {
    world = await startAlertWorld();
    const w = world;
    const files = () => ['stormguard.db', 'stormguard.db-wal'].reduce((sum, f) => sum + (fs.existsSync(path.join(w.dir, f)) ? fs.statSync(path.join(w.dir, f)).size : 0), 0);
    await expect.poll(() => w.service.store.countEffects({ status: 'pending' }), POLL).toBe(0);
    const before = files();
    const auditBefore = w.service.store.auditFor({}).length;
    const junk = 'x'.repeat(4_000);
    for (let batch = 0; batch < 20; batch++) {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const res = await fetch(`${w.url}/alertmanager`, { method: 'POST', headers: { authorization: `${junk}${batch}-${i} guess` }, body: '{}' });
          await res.text();
          return res.status;
        }),
      );
      expect(new Set(statuses)).toEqual(new Set([401]));
    }
    const grown = files() - before;
    console.info(`2,000 refused requests: database files grew by ${grown} bytes`);
    expect(grown).toBeLessThan(64 * 1024);
    expect(w.service.store.auditFor({}).length).toBe(auditBefore);
    expect(await outcomes(w)).toEqual({ unauthorized: 2_000 });
  }, 60_000);
});

describe('silences both ways', () => {
  function answer(result: { reply: { content: string } | null; followUps: Array<{ content: string }> }): string {
    return (result.reply ?? result.followUps[0])?.content ?? '';
  }

  it('/silence in the incident’s thread creates the silence in Alertmanager, which stops notifying; off expires it', async () => {
    world = await startAlertWorld({ repeatInterval: '1s' });
    const w = world;
    const backup = alert('BackupFailed', { job: 'restic', host: 'nas' }, 'backup failed');
    const clock = alert('Heartbeat', { job: 'clock' }, 'the test’s clock');
    await w.am.postAlerts([backup, clock]);
    await expect.poll(() => topLevel(w).filter((m) => m.thread !== null).length, POLL).toBe(2);
    const message = topLevel(w).find((m) => embed(m).title?.includes('BackupFailed'))!;

    const result = await w.discord.slashCommand({ name: 'silence', options: { duration: '1h', reason: 'restic repo maintenance' }, user: OPERATOR, channelId: message.thread!.id });
    // People read the group's title, never its alert:<hash> subject: in the reply, the list of silences and the note.
    expect(answer(result)).toMatch(/^Silenced “Alert: BackupFailed: backup failed” \(also in Alertmanager\) until/);
    const listed = answer(await w.discord.slashCommand({ name: 'silence', user: OPERATOR }));
    expect(listed.split('\n')).toEqual(['Silenced now:', expect.stringMatching(/^\*\*“Alert: BackupFailed: backup failed”\*\* until <t:\d+:f> .* — restic repo maintenance$/)]);
    const notes = () => topLevel(w).find((m) => m.id === message.id)!.thread!.messages.map((m) => m.content);
    await expect.poll(() => notes().some((n) => n.startsWith('Silenced “Alert: BackupFailed: backup failed” (also in Alertmanager) until')), POLL).toBe(true);
    const silences = await w.am.silences();
    expect(silences).toHaveLength(1);
    const [silence] = silences;
    expect(silence!.status.state).toBe('active');
    expect(silence!.createdBy).toBe(`discord:${IDS.operator}`);
    expect(silence!.comment).toMatch(/^stormguard incident #\d+: BackupFailed: backup failed \(restic repo maintenance\) https:\/\/discord\.com\/channels\//);
    expect(silence!.matchers.map((m) => [m.name, m.value, m.isRegex, m.isEqual ?? true]).sort()).toEqual([
      ['alertname', 'BackupFailed', false, true],
      ['host', 'nas', false, true],
      ['job', 'restic', false, true],
    ]);
    await expect.poll(() => embed(topLevel(w).find((m) => m.id === message.id)!).fields?.find((f) => f.name === 'Alertmanager')?.value ?? '', POLL).toMatch(
      new RegExp(`Silenced in Alertmanager until <t:\\d+:f> by <@${IDS.operator}>\n\\[Alertmanager silence\\]\\(${w.am.url}/#/silences/${silence!.id}\\)`),
    );

    // Alertmanager stops notifying the silenced group while the other group keeps repeating every second.
    await expect.poll(() => w.am.alertState('BackupFailed'), POLL).toBe('suppressed');
    const silencedCount = w.recorder.count('BackupFailed');
    const clockCount = w.recorder.count('Heartbeat');
    await expect.poll(() => w.recorder.count('Heartbeat'), { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(clockCount + 4);
    expect(w.recorder.count('BackupFailed')).toBe(silencedCount);

    const off = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off' }, user: OPERATOR, channelId: message.thread!.id });
    expect(answer(off)).toBe('Lifted the silence on “Alert: BackupFailed: backup failed” (also in Alertmanager).');
    expect((await w.am.silences()).map((s) => s.status.state)).toEqual(['expired']);
    await expect.poll(() => w.recorder.count('BackupFailed'), { timeout: 30_000, interval: 200 }).toBeGreaterThan(silencedCount);
    expect(topLevel(w)).toHaveLength(2);
  });

  it('the Silence 1h button on an Alertmanager incident silences it in Alertmanager for an hour', async () => {
    world = await startAlertWorld();
    const w = world;
    await w.am.postAlerts([alert('CertExpiring', { domain: 'home.example' }, 'certificate expires soon')]);
    await expect.poll(() => topLevel(w)[0]?.components.length ?? 0, POLL).toBe(1);
    const message = topLevel(w)[0]!;
    const rows = message.components as Array<{ components: Array<{ custom_id: string; label: string }> }>;
    const click = await w.discord.clickButton({ customId: rows[0]!.components.find((c) => c.label === 'Silence 1h')!.custom_id, messageId: message.id, user: OPERATOR });
    expect(answer(click)).toMatch(/also in Alertmanager/);
    const [silence] = await w.am.silences();
    expect(silence!.status.state).toBe('active');
    const [audited] = w.service.store.auditFor({ action: 'silenced' });
    const { from, until, alertmanagerSilences } = audited!.detail as { from: number; until: number; alertmanagerSilences: string[] };
    expect(alertmanagerSilences).toEqual([silence!.id]);
    expect(until - from).toBe(3_600_000);
    // Alertmanager moves a start in the past to when it received the silence; the end is ours.
    expect(Date.parse(silence!.endsAt)).toBe(until);
  });
});

describe('no double incidents', () => {
  function answer(result: { reply: { content: string } | null; followUps: Array<{ content: string }> }): string {
    return (result.reply ?? result.followUps[0])?.content ?? '';
  }

  it('alerts naming a watched node or a configured target join that open incident, with a note, and no second message', async () => {
    world = await startAlertWorld();
    const w = world;
    w.kube.setNodeReady('node-a', 'False');
    await w.service.app()!.cycles.tick();
    await w.service.app()!.cycles.tick();
    await expect.poll(() => topLevel(w).length, POLL).toBe(1);
    expect(w.service.store.openIncidents().map((i) => i.subject)).toEqual(['node:node-a']);
    // The pods' change reaches the bot by watch, after the node's: frigate must be listed before its alert comes.
    await expect
      .poll(async () => {
        await w.service.app()!.cycles.tick();
        return w.service.store.openIncidents()[0]?.targets ?? [];
      }, POLL)
      .toContain('frigate');

    await w.am.postAlerts([
      alert('KubeNodeNotReady', { node: 'node-a' }, 'node-a is not ready'),
      alert('KubeDeploymentReplicasMismatch', { namespace: 'nvr', deployment: 'frigate' }, 'frigate has no ready replicas'),
    ]);
    const notes = () => topLevel(w)[0]!.thread!.messages.map((m) => m.content);
    await expect.poll(() => notes().filter((n) => n.startsWith('Alertmanager alert joined')).length, POLL).toBe(2);
    expect(notes()).toContain('Alertmanager alert joined: KubeNodeNotReady: node-a is not ready (1 alert firing)');
    await expect.poll(() => embed(topLevel(w)[0]!).fields?.find((f) => f.name === 'Alertmanager alerts')?.value, POLL).toBe(
      '🔴 KubeDeploymentReplicasMismatch: 1 firing\n🔴 KubeNodeNotReady: 1 firing',
    );
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
    expect(w.service.store.openIncidents()).toHaveLength(1);
  });

  it('an alert naming a configured target opens an incident whose Restart goes through the same gate', async () => {
    world = await startAlertWorld();
    const w = world;
    await w.am.postAlerts([alert('HassSlow', { namespace: 'home', deployment: 'hass' }, 'Home Assistant answers slowly')]);
    await expect.poll(() => topLevel(w)[0]?.components.length ?? 0, POLL).toBe(1);
    const message = topLevel(w)[0]!;
    const rows = message.components as Array<{ components: Array<{ custom_id: string; label: string; disabled: boolean }> }>;
    const restart = rows[0]!.components.find((c) => c.label === 'Restart')!;
    expect(restart.disabled).toBe(false);
    // /status names the incident covering hass by its title, not by alert:<hash>.
    const status = answer(await w.discord.slashCommand({ name: 'status', options: { target: 'hass' }, user: OPERATOR }));
    expect(status).toMatch(/ · incident #\d+ “Alert: HassSlow: Home Assistant answers slowly” \(open\) · /);

    w.kube.setNodeReady('node-b', 'False');
    const refused = await w.discord.clickButton({ customId: restart.custom_id, messageId: message.id, user: OPERATOR });
    expect(answer(refused)).toMatch(/Not restarting hass: node node-b is NotReady/);
    w.kube.setNodeReady('node-b', 'True');
    const allowed = await w.discord.clickButton({ customId: restart.custom_id, messageId: message.id, user: OPERATOR });
    expect(answer(allowed)).toMatch(/Restarting hass/);
    expect(w.kube.restarts).toHaveLength(1);
    await expect.poll(() => (topLevel(w)[0]!.thread?.messages ?? []).some((m) => m.content.startsWith(`Restarting hass by <@${IDS.operator}>`)), POLL).toBe(true);
  });
});
