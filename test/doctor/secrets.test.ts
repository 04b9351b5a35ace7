/**
 * `stormguard doctor --send-test` through the CLI with credentials in the ntfy and heartbeat URLs
 * (`user:password@`, as people configure a server behind basic auth): the checks pass, sending the
 * credentials as a Basic header, and the output shows neither the password nor the secret path.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { captureIo } from '../helpers/io.js';
import { startNtfyReceiver, type NtfyReceiver } from '../helpers/ntfy.js';

const NTFY_PASS = 'sekr1t-ntfy-pass';
const BEAT_PASS = 'sekr1t-beat-pass';
const BEAT_PATH = '/api/push/sekr1t-push-token';

let dir: string;
let kube: KubeSimulator;
let ntfy: NtfyReceiver;
let beat: http.Server;
const beats: Array<{ path: string; authorization: string | undefined }> = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-doctor-secrets-'));
  kube = createKubeSimulator();
  await kube.start();
  await kube.writeKubeconfig(path.join(dir, 'kubeconfig'));
  ntfy = await startNtfyReceiver();
  // Uptime Kuma's push URL behind a reverse proxy with basic auth: refuses without the header.
  beat = http.createServer((req, res) => {
    beats.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const expected = `Basic ${Buffer.from(`hb:${BEAT_PASS}`).toString('base64')}`;
    res.writeHead(req.headers.authorization === expected ? 200 : 401).end();
  });
  await new Promise<void>((resolve) => beat.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await ntfy.close();
  await new Promise((resolve) => beat.close(resolve));
  await kube.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('stormguard doctor with user:password@ in URLs', () => {
  it('passes the ntfy and heartbeat checks with a Basic header and prints neither password nor secret path', async () => {
    const beatPort = (beat.address() as AddressInfo).port;
    const ntfyHost = new URL(ntfy.url).host;
    const file = path.join(dir, 'stormguard.yaml');
    fs.writeFileSync(
      file,
      [
        'kubernetes:',
        `  kubeconfig: ${path.join(dir, 'kubeconfig')}`,
        'targets: []',
        'notify:',
        `  ntfy: { url: "http://bot:\${NTFY_PASS}@${ntfyHost}", topic: homelab }`,
        'heartbeat:',
        `  url: "http://hb:\${BEAT_PASS}@127.0.0.1:${beatPort}${BEAT_PATH}"`,
        '',
      ].join('\n'),
    );
    const io = captureIo({ NTFY_PASS, BEAT_PASS, STORMGUARD_LEASE: 'off' });
    const status = await main(['doctor', '--send-test', '--config', file], io);
    const output = io.out() + io.err();

    expect(output).toContain(`✓ ntfy at ${ntfyHost} answers and accepts the URL’s user and password for topic homelab`);
    expect(output).toContain(`✓ pinged the heartbeat at 127.0.0.1:${beatPort} (HTTP 200)`);
    for (const secret of [NTFY_PASS, BEAT_PASS, 'sekr1t-push-token']) expect(output).not.toContain(secret);
    expect(status).toBe(0);
    expect(ntfy.publishes.at(-1)).toMatchObject({
      method: 'GET',
      path: '/homelab/auth',
      headers: expect.objectContaining({ authorization: `Basic ${Buffer.from(`bot:${NTFY_PASS}`).toString('base64')}` }),
    });
    // The URL is an Uptime Kuma push URL: the test ping says "up" in its dialect.
    expect(beats.at(-1)?.path).toBe(`${BEAT_PATH}?status=up&msg=OK`);
  });

  it('a refusing server is reported by host, and the fix names the URL’s credentials, not a token', async () => {
    ntfy.failWith(401);
    try {
      const file = path.join(dir, 'refused.yaml');
      fs.writeFileSync(file, `kubernetes: { kubeconfig: ${path.join(dir, 'kubeconfig')} }\ntargets: []\nnotify:\n  ntfy: { url: "http://bot:${NTFY_PASS}@${new URL(ntfy.url).host}", topic: homelab }\n`);
      const io = captureIo({ STORMGUARD_LEASE: 'off' });
      expect(await main(['doctor', '--config', file], io)).toBe(1);
      expect(io.out()).toContain('refuses the URL’s user and password for topic homelab (HTTP 401)');
      expect(io.out()).toContain('fix: check the user and password in notify.ntfy.url');
      expect(io.out()).not.toContain(NTFY_PASS);
    } finally {
      ntfy.failWith(null);
    }
  });
});
