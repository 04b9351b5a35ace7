/**
 * The Alertmanager API client with `user:password@` in its URL, against a loopback stand-in for
 * Alertmanager behind a reverse proxy with basic auth (401 without the right header).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertmanagerApi } from '../../src/adapters/alertmanager/api.js';

const PASSWORD = 'sekr1t-p@ss';
const seen: Array<{ method: string; path: string; authorization: string | undefined }> = [];
let server: http.Server;
let host: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    req.resume();
    const expected = `Basic ${Buffer.from(`am:${PASSWORD}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized\n');
    res.writeHead(200, { 'content-type': 'application/json' }).end(req.method === 'POST' ? JSON.stringify({ silenceID: 'abc-123' }) : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const silence = { matchers: [{ name: 'alertname', value: 'X', isRegex: false, isEqual: true }], startsAt: 0, endsAt: 3_600_000, createdBy: 'discord:1', comment: 'test' };

describe('createAlertmanagerApi with user:password@ in the URL', () => {
  it('sends the credentials as a Basic header (percent-decoded), the request line without them', async () => {
    const api = createAlertmanagerApi({ url: `http://am:${encodeURIComponent(PASSWORD)}@${host}/` });
    expect(await api.createSilence(silence)).toBe('abc-123');
    await api.expireSilence('abc-123');
    expect(seen.slice(-2).map((s) => [s.method, s.path, s.authorization])).toEqual([
      ['POST', '/api/v2/silences', `Basic ${Buffer.from(`am:${PASSWORD}`).toString('base64')}`],
      ['DELETE', '/api/v2/silence/abc-123', `Basic ${Buffer.from(`am:${PASSWORD}`).toString('base64')}`],
    ]);
  });

  it('alertmanager.api credentials win over the URL’s, and a refusal never quotes the password', async () => {
    const api = createAlertmanagerApi({ url: `http://am:${encodeURIComponent(PASSWORD)}@${host}`, credentials: { bearerToken: 'tk' } });
    const error = await api.createSilence(silence).then(() => null, (err: unknown) => err as Error);
    expect(error?.message).toBe('alertmanager: POST /api/v2/silences answered 401: Unauthorized');
    expect(seen.at(-1)?.authorization).toBe('Bearer tk');
    const down = createAlertmanagerApi({ url: `http://am:${encodeURIComponent(PASSWORD)}@127.0.0.1:9`, timeoutMs: 2_000 });
    const failed = await down.expireSilence('x').then(() => null, (err: unknown) => err as Error);
    expect(failed?.message).toMatch(/^alertmanager: DELETE \/api\/v2\/silence\/x failed: /);
    expect(failed?.message).not.toContain('sekr1t');
  });
});
