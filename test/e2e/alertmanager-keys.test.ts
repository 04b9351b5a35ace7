/**
 * Issue 21 item 11, end to end through the real `POST /alertmanager`: two Alertmanager groups whose
 * groupKeys have the same 64-bit FNV-1a hash (the subject used before; the pair was found with a
 * distinguished-point birthday search) are two incidents, and both keep working.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { alertGroupSubject } from '../../src/runtime/alerts.js';
import { startAlertWorld, WEBHOOK_TOKEN, type AlertWorld, ALERT_POLL as POLL, closeAlertWorldChecked } from '../helpers/alertWorld.js';
import { roleRings, topLevel } from '../helpers/world.js';

let world: AlertWorld | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeAlertWorldChecked(w);
});

const COLLIDING = ['{}:{alertname="Cb724cdb003aed7d6"}', '{}:{alertname="C3fed480b02028345"}'] as const;

/** FNV-1a 64 as the old subject computed it: the test proves the pair really collides. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

function body(groupKey: string, alertname: string, status: 'firing' | 'resolved', startsAt: string, endsAt = '0001-01-01T00:00:00Z') {
  const labels = { alertname };
  return JSON.stringify({
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status,
    receiver: 'stormguard',
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: {},
    externalURL: 'http://am.local:9093',
    alerts: [{ status, labels, annotations: {}, startsAt, endsAt, generatorURL: '', fingerprint: `fp-${alertname}` }],
  });
}

async function post(w: AlertWorld, text: string): Promise<number> {
  const res = await fetch(`${w.url}/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` }, body: text });
  await res.text();
  return res.status;
}

describe('Alertmanager group keys cannot collide', () => {
  it('two groupKeys with the same FNV-1a 64 hash are two incidents, each opened, rung and resolved', async () => {
    expect(fnv1a64(COLLIDING[0])).toBe(fnv1a64(COLLIDING[1]));
    expect(alertGroupSubject(COLLIDING[0])).not.toBe(alertGroupSubject(COLLIDING[1]));
    world = await startAlertWorld();
    const w = world;
    const started = new Date(Date.now() - 60_000).toISOString();
    expect(await post(w, body(COLLIDING[0], 'First', 'firing', started))).toBe(200);
    expect(await post(w, body(COLLIDING[1], 'Second', 'firing', started))).toBe(200);
    expect(w.service.store.openIncidents().map((i) => i.subject).sort()).toEqual(COLLIDING.map(alertGroupSubject).sort());
    await expect.poll(() => topLevel(w).length, POLL).toBe(2);
    await expect.poll(() => roleRings(w), POLL).toBe(2);
    // And the second group's later notifications keep working.
    expect(await post(w, body(COLLIDING[1], 'Second', 'resolved', started, new Date().toISOString()))).toBe(200);
    expect(w.service.store.openIncidents().map((i) => i.subject)).toEqual([alertGroupSubject(COLLIDING[0])]);
  });
});

describe('alertGroupSubject', () => {
  it('is alert: and the SHA-256 of the groupKey (UTF-8) in hex', () => {
    expect(alertGroupSubject('')).toBe('alert:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(alertGroupSubject('abc')).toBe('alert:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(alertGroupSubject('{}:{alertname="ü"}')).toMatch(/^alert:[0-9a-f]{64}$/);
  });
});
