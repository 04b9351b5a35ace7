import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { spawnCli } from '../helpers/cliProcess.js';

const SECRET = 'sekr1t-ntfy-token-value';
let sim: KubeSimulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  sim = dir = undefined;
});

/** Resolves with the output so far once `predicate` holds for it, or rejects after `ms`. */
function waitForOutput(read: () => string, predicate: (out: string) => boolean, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate(read())) {
        clearInterval(timer);
        resolve(read());
      } else if (Date.now() - started > ms) {
        clearInterval(timer);
        reject(new Error(`timed out; output so far:\n${read()}`));
      }
    }, 50);
  });
}

describe('stormguard run (real process, no Discord yet)', () => {
  it('logs what it would post as JSON, never logs secrets, and stops cleanly on SIGTERM', async () => {
    sim = createKubeSimulator();
    sim.addNode('node-a', { ready: 'False' });
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    await sim.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-run-'));
    await sim.writeKubeconfig(path.join(dir, 'kubeconfig'));
    const config = path.join(dir, 'stormguard.yaml');
    fs.writeFileSync(
      config,
      [
        'http: { port: 0 }',
        'notify:',
        '  ntfy: { url: "http://127.0.0.1:9/", topic: homelab, token: "${NTFY_TOKEN}" }',
        'kubernetes:',
        `  kubeconfig: ${path.join(dir, 'kubeconfig')}`,
        'database:',
        `  path: ${path.join(dir, 'data', 'sg.db')}`,
        'schedule: "* * * * * *"',
        'targets:',
        '  - name: frigate',
        '    namespace: nvr',
        '    workload: { kind: Deployment, name: frigate }',
        '    failureThreshold: 1',
      ].join('\n'),
    );

    const child = spawnCli(['run', '--config', config], { cwd: dir, env: { NTFY_TOKEN: SECRET } });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    await waitForOutput(() => out, (o) => o.includes('would post incident message') && o.includes('would add a thread note'), 30_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toContain('stopped');
    const post = lines.find((l) => l.msg === 'would post incident message')!;
    expect(post).toMatchObject({ subject: 'node:node-a', mention: true });
    expect(JSON.stringify(post.message)).toContain('node-a is NotReady');
    expect(out + err).not.toContain(SECRET);
    expect(err).toBe('');
    expect(sim.restarts).toHaveLength(0);
  });
});
