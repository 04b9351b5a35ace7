import http from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../../src/config/types.js';
import type { AlertNotification } from '../../src/core/alertmanager.js';
import { createAlertmanagerEndpoint, createRefusalLog, REFUSAL_LOG_EVERY, type WebhookRefusal } from '../../src/adapters/http/alertmanager.js';
import { startHttpServer, type HttpServer } from '../../src/adapters/http/server.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { captureLogs } from '../helpers/logs.js';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const BODY = JSON.stringify({
  version: '4',
  groupKey: '{}:{alertname="X"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'stormguard',
  groupLabels: { alertname: 'X' },
  commonLabels: { alertname: 'X' },
  commonAnnotations: {},
  externalURL: 'http://am:9093',
  alerts: [{ status: 'firing', labels: { alertname: 'X' }, annotations: {}, startsAt: '2026-12-01T10:00:00.123Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f1' }],
});

async function serve(credentials: Credentials, leading = true, maxBytes?: number, logger: Logger = silentLogger()) {
  const received: AlertNotification[] = [];
  const refusals: Array<{ reason: WebhookRefusal }> = [];
  const endpoint = createAlertmanagerEndpoint({
    credentials,
    logger,
    maxBytes,
    receive: (n) => (leading ? (received.push(n), true) : false),
    refused: (reason) => {
      refusals.push({ reason });
    },
  });
  server = await startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), registry: new Registry(), readiness: () => ({ ready: true, checks: {} }), routes: { '/alertmanager': endpoint } });
  return { url: `${server.url}/alertmanager`, received, refusals };
}

function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

describe('POST /alertmanager', () => {
  it('takes basic auth when configured so, and refuses a wrong password or a bearer token', async () => {
    const s = await serve({ username: 'am', password: 'pw' });
    expect((await fetch(s.url, { method: 'POST', headers: { authorization: basic('am', 'pw') }, body: BODY })).status).toBe(200);
    const wrong = await fetch(s.url, { method: 'POST', headers: { authorization: basic('am', 'nope') }, body: BODY });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="stormguard"');
    expect((await fetch(s.url, { method: 'POST', headers: { authorization: 'Bearer pw' }, body: BODY })).status).toBe(401);
    expect(s.refusals.map((r) => r.reason)).toEqual(['unauthorized', 'unauthorized']);
    expect(s.received).toHaveLength(1);
    expect(s.received[0]!.alerts[0]).toMatchObject({ fingerprint: 'f1', startsAt: Date.parse('2026-12-01T10:00:00.123Z'), endsAt: null, annotations: {} });
  });

  it('answers 405 to other methods, 413 from the declared length before reading, and 503 while not leading', async () => {
    const s = await serve({ bearerToken: 't' }, false, 1_000);
    const get = await fetch(s.url, { headers: { authorization: 'Bearer t' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(s.url, { method: 'POST', headers: { authorization: 'Bearer t' }, body: 'x'.repeat(1_001) })).status).toBe(413);
    // A chunked body without a declared length is cut off at the limit too.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(s.url, { method: 'POST', headers: { authorization: 'Bearer t', 'transfer-encoding': 'chunked' } }, (res) => resolve(res.statusCode!));
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('y'.repeat(100));
      req.end();
    });
    expect(chunked).toBe(413);
    const notLeading = await fetch(s.url, { method: 'POST', headers: { authorization: 'Bearer t' }, body: BODY });
    expect(notLeading.status).toBe(503);
    expect(s.refusals.map((r) => r.reason)).toEqual(['tooLarge', 'tooLarge', 'notReady']);
  });

  it('logs refusals without any of the caller’s text, at most once a minute per reason, counting the rest', async () => {
    const logs = captureLogs();
    const s = await serve({ bearerToken: 't' }, true, undefined, logs.logger);
    for (let i = 0; i < 20; i++) {
      const res = await fetch(s.url, { method: 'POST', headers: { authorization: `Evil${i}-${'x'.repeat(100)} secret-guess-${i}` }, body: BODY });
      expect(res.status).toBe(401);
    }
    expect(s.refusals).toHaveLength(20);
    const lines = logs.lines().filter((l) => l.msg === 'alertmanager webhook refused');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reason: 'unauthorized', remote: expect.any(String) });
    expect(JSON.stringify(logs.lines())).not.toMatch(/Evil|secret-guess/);
  });
});

describe('createRefusalLog', () => {
  it('logs the first refusal of each reason at once, then one line per minute with how many were not logged', () => {
    const logs = captureLogs();
    let now = 1_000_000;
    const log = createRefusalLog(logs.logger, () => now);
    log('unauthorized', { remote: 'a' });
    log('unauthorized', { remote: 'b' });
    log('malformed', { remote: 'c' });
    now += REFUSAL_LOG_EVERY - 1;
    log('unauthorized', { remote: 'd' });
    now += 1;
    log('unauthorized', { remote: 'e' });
    log('unauthorized', { remote: 'f' });
    now += REFUSAL_LOG_EVERY;
    log('unauthorized', { remote: 'g' });
    expect(logs.lines().map(({ reason, remote, notLogged }) => ({ reason, remote, notLogged }))).toEqual([
      { reason: 'unauthorized', remote: 'a', notLogged: undefined },
      { reason: 'malformed', remote: 'c', notLogged: undefined },
      { reason: 'unauthorized', remote: 'e', notLogged: 2 },
      { reason: 'unauthorized', remote: 'g', notLogged: 1 },
    ]);
  });
});
