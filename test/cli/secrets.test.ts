/**
 * The README's Alertmanager setup as people really write it: the webhook token is a file written with
 * `echo` ("token\n"). Alertmanager reads `credentials_file` and trims it (prometheus/common
 * `FileSecret.Fetch`: `strings.TrimSpace`); stormguard gets the same Secret as an environment
 * variable, newline included. `stormguard run` (a real process) must accept the real Alertmanager's
 * notifications, and say once in its log, without the value, that it removed the newline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { freePort, startAlertmanager, type AlertmanagerProcess } from '../helpers/alertmanager.js';
import { spawnCli } from '../helpers/cliProcess.js';

const TOKEN = 'am-webhook-sekr1t-0123456789';

let sim: KubeSimulator | undefined;
let am: AlertmanagerProcess | undefined;
let dir: string | undefined;
let stop: (() => Promise<unknown>) | undefined;
afterEach(async () => {
  await stop?.();
  await am?.stop();
  await sim?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  sim = am = dir = stop = undefined;
});

describe('a webhook token written with echo (trailing newline)', () => {
  it('stormguard run accepts the real Alertmanager reading it from credentials_file, and logs the trim once, by name', async () => {
    sim = createKubeSimulator();
    await sim.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-newline-'));
    await sim.writeKubeconfig(path.join(dir, 'kubeconfig'));
    // `echo "$TOKEN" > stormguard-token`, mounted into Alertmanager and, as the same Secret, into stormguard's env.
    const tokenFile = path.join(dir, 'stormguard-token');
    fs.writeFileSync(tokenFile, `${TOKEN}\n`);
    const port = await freePort();
    const config = path.join(dir, 'stormguard.yaml');
    fs.writeFileSync(
      config,
      [
        `http: { port: ${port} }`,
        'alertmanager:',
        '  receiver: { bearerToken: "${ALERTMANAGER_WEBHOOK_TOKEN}" }',
        `kubernetes: { kubeconfig: ${path.join(dir, 'kubeconfig')} }`,
        `database: { path: ${path.join(dir, 'sg.db')} }`,
        'targets: []',
        '',
      ].join('\n'),
    );
    const child = spawnCli(['run', '--config', config], { cwd: dir, env: { ALERTMANAGER_WEBHOOK_TOKEN: fs.readFileSync(tokenFile, 'utf8'), STORMGUARD_LEASE: 'off' } });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    stop = async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    };

    am = await startAlertmanager({ webhookUrl: `http://127.0.0.1:${port}/alertmanager`, bearerToken: 'unused', credentialsFile: tokenFile });
    await am.postAlerts([{ labels: { alertname: 'DiskFull', instance: 'nas:9100' }, annotations: { summary: 'disk almost full' } }]);

    await expect.poll(() => out.includes('would post incident message'), { timeout: 30_000, interval: 100 }).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'would post incident message')).toMatchObject({ subject: expect.stringMatching(/^alert:/) });
    const notices = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('removed the trailing newline'));
    expect(notices).toEqual([expect.objectContaining({ variables: ['ALERTMANAGER_WEBHOOK_TOKEN'] })]);
    expect(out + err).not.toContain(TOKEN);
  }, 60_000);
});
