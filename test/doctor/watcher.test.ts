/**
 * The doctor says which dialect the heartbeat speaks (set or guessed), pings it in that dialect with
 * --send-test, and shows when Alertmanager's Watchdog was last heard (issue 24 item 4) — a real
 * loopback receiver, a real SQLite file written by the store.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore } from '../../src/adapters/sqlite/store.js';
import { checkHeartbeat, heartbeatDialect } from '../../src/doctor/notify.js';
import { checkWatchdog } from '../../src/doctor/watchdog.js';
import { recordWatchdog } from '../../src/runtime/watchdog.js';

let server: http.Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  server = dir = undefined;
});

describe('doctor: the heartbeat dialect', () => {
  it.each([
    [{ url: 'https://hc-ping.com/5f1c0d5e-8a7b-4c3d-9e2f-1a2b3c4d5e6f', start: true }, 'ok', 'the heartbeat speaks healthchecks (guessed from the URL; set heartbeat.kind if that is wrong): failures ping /fail with the reason, each cycle starts with /start'],
    [{ url: 'https://kuma.lan/api/push/T0k', start: false }, 'ok', 'the heartbeat speaks uptime-kuma (guessed from the URL; set heartbeat.kind if that is wrong): failures push status=down with the reason as msg'],
    [{ url: 'https://status.lan/api/v1/endpoints/g_n/external', start: false, token: 't' }, 'ok', 'the heartbeat speaks gatus (guessed from the URL; set heartbeat.kind if that is wrong): failures push success=false with the reason as error'],
    [{ url: 'https://status.lan/api/v1/endpoints/g_n/external', start: false }, 'warn', 'the heartbeat speaks gatus (guessed from the URL; set heartbeat.kind if that is wrong) without heartbeat.token'],
    [{ url: 'https://beat.lan/x', kind: 'uptime-kuma' as const, start: false }, 'ok', 'the heartbeat speaks uptime-kuma (heartbeat.kind): failures push status=down with the reason as msg'],
    [{ url: 'https://beat.lan/x', start: false }, 'ok', 'the heartbeat speaks plain (guessed from the URL; set heartbeat.kind if that is wrong): a failing cycle sends nothing (a plain URL has no word for failure)'],
  ])('%o', (heartbeat, status, title) => {
    expect(heartbeatDialect(heartbeat)).toMatchObject({ status, title });
  });

  it('--send-test pings Gatus as Gatus wants it: POST, success=true, the bearer token', async () => {
    const seen: Array<{ method: string; url: string; auth: string | undefined }> = [];
    server = http.createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
      res.end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/endpoints/core_sg/external`;
    const check = await checkHeartbeat({ url, token: 'push-token' }, { sendTest: true });
    expect(check.status).toBe('ok');
    expect(seen).toEqual([{ method: 'POST', url: '/api/v1/endpoints/core_sg/external?success=true', auth: 'Bearer push-token' }]);
    expect(JSON.stringify(check)).not.toContain('core_sg');
  });
});

describe("doctor: the Watchdog's last notification", () => {
  const T = Date.parse('2026-12-07T02:14:00Z');
  const configWith = (file: string) =>
    validateConfig({ database: { path: file }, targets: [], http: { port: 9464 }, alertmanager: { receiver: { bearerToken: 'x' }, watchdog: { within: '10m' } } }, 'doctor.yaml');

  it('says when it was last heard, fails when that is longer ago than `within`, warns when never', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-doctor-'));
    const file = path.join(dir, 'stormguard.db');
    const config = configWith(file);
    expect(checkWatchdog(config, T)).toMatchObject({ status: 'warn', title: expect.stringContaining('does not exist yet') });
    const store = createStore(openDatabase(file), { now: () => T });
    expect(checkWatchdog(config, T)).toMatchObject({ status: 'warn', title: 'no Watchdog notification from Alertmanager recorded yet' });
    recordWatchdog(store, T);
    expect(checkWatchdog(config, T + 90_000)).toEqual({ status: 'ok', title: 'the last Watchdog notification from Alertmanager arrived 2026-12-07 02:14 UTC, 1m30s ago' });
    const late = checkWatchdog(config, T + 12 * 60_000);
    expect(late).toMatchObject({ status: 'fail', title: 'the last Watchdog notification from Alertmanager arrived 2026-12-07 02:14 UTC, 12m ago — longer than 10m' });
    expect(late?.fix).toContain('repeat_interval');
    store.close();
    expect(checkWatchdog(validateConfig({ database: { path: file }, targets: [], http: { port: 9464 } }, 'doctor.yaml'), T)).toBeNull();
  });
});
