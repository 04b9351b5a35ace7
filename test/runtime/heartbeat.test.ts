import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createHeartbeat } from '../../src/runtime/heartbeat.js';
import { startWorld, type World } from '../helpers/world.js';

/** A healthchecks.io stand-in on loopback that records the paths it was pinged on, and the Authorization headers. */
async function startReceiver(status = 200): Promise<{ url: string; pings: string[]; authorizations: Array<string | undefined>; close(): Promise<void> }> {
  const pings: string[] = [];
  const authorizations: Array<string | undefined> = [];
  const server = http.createServer((req, res) => {
    pings.push(req.url ?? '');
    authorizations.push(req.headers.authorization);
    res.writeHead(status).end('OK');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pings,
    authorizations,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

let world: World | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => {
  await world?.close();
  await receiver?.close();
  world = receiver = undefined;
});

describe('heartbeat', () => {
  it('pings the URL once per completed cycle', async () => {
    receiver = await startReceiver();
    world = await startWorld({ heartbeat: { url: `${receiver.url}/ping/secret-uuid` } });
    await world.cycles(3);
    await expect.poll(() => receiver!.pings.length).toBe(3);
    expect(receiver.pings).toEqual(['/ping/secret-uuid', '/ping/secret-uuid', '/ping/secret-uuid']);
  });

  it('a URL with user:password@ (a monitor behind basic auth) pings, with the credentials as a Basic header', async () => {
    receiver = await startReceiver();
    const host = new URL(receiver.url).host;
    world = await startWorld({ heartbeat: { url: `http://kuma:s%40kr1t-pass@${host}/api/push/secret-token` } });
    await world.cycles(2);
    await expect.poll(() => receiver!.pings.length).toBe(2);
    // The URL's shape says Uptime Kuma: each whole cycle is pushed as "up".
    expect(receiver.pings).toEqual(Array(2).fill('/api/push/secret-token?status=up&msg=OK'));
    expect(receiver.authorizations).toEqual(Array(2).fill(`Basic ${Buffer.from('kuma:s@kr1t-pass').toString('base64')}`));
  });

  it('healthchecks with start: true pings /start before each cycle and the check itself after it', async () => {
    receiver = await startReceiver();
    const uuid = '5f1c0d5e-8a7b-4c3d-9e2f-1a2b3c4d5e6f';
    world = await startWorld({ heartbeat: { url: `${receiver.url}/ping/${uuid}`, start: true } });
    await world.cycles(2);
    await expect.poll(() => receiver!.pings.length).toBe(4);
    expect([...receiver.pings].sort()).toEqual([`/ping/${uuid}`, `/ping/${uuid}`, `/ping/${uuid}/start`, `/ping/${uuid}/start`]);
  });

  it('a failing or unreachable receiver never breaks a cycle', async () => {
    receiver = await startReceiver(500);
    world = await startWorld({ heartbeat: { url: `${receiver.url}/ping/secret-uuid` } });
    world.probe.setStatus(503);
    await world.cycles(2);
    await expect.poll(() => receiver!.pings.length).toBe(2);
    await receiver.close();
    await world.cycles(2);
    expect(world.app.cycles.ranRecently(world.clock.now())).toBe(true);
    expect(world.app.store.openIncidents()).toHaveLength(1);
    expect(receiver.pings).toHaveLength(2);
  });

  it('logs a failure with the host only, never the secret path', async () => {
    let out = '';
    const logger = createLogger({ destination: new Writable({ write: (chunk: Buffer, _e, done) => ((out += chunk.toString()), done()) }) });
    receiver = await startReceiver(503);
    const down = createHeartbeat({ url: `${receiver.url}/ping/secret-uuid`, logger });
    down.ping();
    await down.settled();
    const unreachable = createHeartbeat({ url: 'http://127.0.0.1:9/ping/secret-uuid', logger, timeoutMs: 2_000 });
    unreachable.ping();
    await unreachable.settled();
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toMatchObject([
      { level: 40, msg: 'heartbeat ping refused', status: 503, host: new URL(receiver.url).host },
      { level: 40, msg: 'heartbeat ping failed', host: '127.0.0.1:9' },
    ]);
    expect(out).not.toContain('secret-uuid');
  });
});
