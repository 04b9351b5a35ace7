/**
 * Issue 21 item 4, end to end through the real `POST /alertmanager`: the webhook bodies a retrying
 * Alertmanager can deliver out of order (a timed-out "firing" retried after the "resolved" it preceded,
 * a "resolved" overtaking its "firing"), posted in that order to the running bot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessageView } from '../../src/sim/discord/index.js';
import { startAlertWorld, WEBHOOK_TOKEN, type AlertWorld, ALERT_POLL as POLL, closeAlertWorldChecked } from '../helpers/alertWorld.js';
import { roleRings, topLevel } from '../helpers/world.js';

let world: AlertWorld | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeAlertWorldChecked(w);
});

const GO_ZERO = '0001-01-01T00:00:00Z';

/** A webhook body (version 4) of one group with one alert, as Alertmanager sends it. */
function body(alertname: string, status: 'firing' | 'resolved', startsAt: string, endsAt = GO_ZERO) {
  const labels = { alertname, instance: 'nas:9100' };
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
    status,
    receiver: 'stormguard',
    groupLabels: { alertname },
    commonLabels: labels,
    commonAnnotations: { summary: `${alertname} fires` },
    externalURL: 'http://am.local:9093',
    alerts: [{ status, labels, annotations: { summary: `${alertname} fires` }, startsAt, endsAt, generatorURL: '', fingerprint: `fp-${alertname}` }],
  });
}

async function post(w: AlertWorld, text: string): Promise<number> {
  const res = await fetch(`${w.url}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` }, body: text });
  await res.text();
  return res.status;
}

async function outcomes(w: AlertWorld): Promise<Record<string, number>> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^stormguard_alertmanager_notifications_total\{outcome="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

function title(m: SimMessageView): string | undefined {
  return (m.embeds[0] as { title?: string } | undefined)?.title;
}

/** Waits until every effect queued so far is delivered: what Discord shows then is all there is. */
async function settled(w: AlertWorld): Promise<void> {
  await expect.poll(() => w.service.store.countEffects({ status: 'pending' }), POLL).toBe(0);
}

describe('POST /alertmanager: notifications out of order change nothing', () => {
  it('a "firing" retried after the "resolved" of the same alert neither reopens nor rings; a "resolved" ahead of its "firing" opens nothing', async () => {
    world = await startAlertWorld();
    const w = world;
    const started = new Date(Date.now() - 10 * 60_000).toISOString();
    const ended = new Date(Date.now() - 60_000).toISOString();

    // 1. Alertmanager's first "firing" times out on its side (stormguard took it), "resolved" follows, then the retry of the "firing".
    expect(await post(w, body('DiskFull', 'firing', started))).toBe(200);
    await expect.poll(() => topLevel(w)[0]?.thread ?? null, POLL).not.toBeNull();
    expect(await post(w, body('DiskFull', 'resolved', started, ended))).toBe(200);
    await expect.poll(() => title(topLevel(w)[0]!), POLL).toBe('Resolved: DiskFull: DiskFull fires');
    expect(await post(w, body('DiskFull', 'firing', started))).toBe(200);
    // The 200 came after the commit: the incident is still resolved, and nothing was queued.
    expect(w.service.store.openIncidents()).toEqual([]);
    await settled(w);
    expect(title(topLevel(w)[0]!)).toBe('Resolved: DiskFull: DiskFull fires');
    expect(roleRings(w)).toBe(1);

    // 2. A "resolved" overtakes its "firing": the late firing opens no incident that nothing would resolve.
    expect(await post(w, body('Overheat', 'resolved', started, ended))).toBe(200);
    expect(await post(w, body('Overheat', 'firing', started))).toBe(200);
    expect(w.service.store.openIncidents()).toEqual([]);
    await settled(w);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);
    expect(await outcomes(w)).toEqual({ opened: 1, resolved: 1, ignored: 1, stale: 2 });

    // 3. A new firing of the alert (Prometheus gives it a new start) is news again: it reopens and rings.
    expect(await post(w, body('DiskFull', 'firing', new Date().toISOString()))).toBe(200);
    await expect.poll(() => title(topLevel(w)[0]!), POLL).toBe('Alert: DiskFull: DiskFull fires');
    await expect.poll(() => roleRings(w), POLL).toBe(2);
  });
});
