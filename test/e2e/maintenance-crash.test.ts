/**
 * A maintenance window survives a crash: the real `stormguard run` process, declared a window through
 * real discord.js, killed with SIGKILL in the middle of it, started again on the same database.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiscordSimulator, type DiscordSimulator } from '../../src/sim/discord/index.js';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { spawnCli } from '../helpers/cliProcess.js';
import { startProbeServer, type ProbeServer } from '../helpers/probeServer.js';
import { answer, IDS, OPERATOR, roleRings, topLevel } from '../helpers/world.js';

let kube: KubeSimulator | undefined;
let discord: DiscordSimulator | undefined;
let probe: ProbeServer | undefined;
let dir: string | undefined;
let child: ChildProcess | null = null;
let exited: Promise<unknown> = Promise.resolve();
let output = '';

afterAll(async () => {
  child?.kill('SIGKILL');
  await exited;
  await discord?.stop();
  await kube?.stop();
  await probe?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function startBot(): void {
  const proc = spawnCli(['run', '--config', path.join(dir!, 'stormguard.yaml')], {
    cwd: dir!,
    env: { DISCORD_TOKEN: 'window-bot-token', STORMGUARD_LEASE: 'off', POD_NAME: 'window-test' },
  });
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  child = proc;
  exited = new Promise((resolve) => proc.once('exit', resolve));
}

const connections = () => output.split('\n').filter((l) => l.includes('"connected to Discord"')).length;

describe('a maintenance window across a kill -9', () => {
  it('is still in force after the process is killed and started again: quiet, held, listed; ending it rings once', { timeout: 120_000 }, async () => {
    kube = createKubeSimulator({ rolloutDelayMs: 500 });
    kube.addNode('node-a');
    kube.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    await kube.start();
    discord = createDiscordSimulator({
      guildId: IDS.guild,
      channelId: IDS.channel,
      botToken: 'window-bot-token',
      roles: [
        { id: IDS.mentionRole, name: 'oncall' },
        { id: IDS.operatorRole, name: 'operators' },
      ],
    });
    const { apiUrl } = await discord.start();
    probe = await startProbeServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-window-crash-'));
    await kube.writeKubeconfig(path.join(dir, 'kubeconfig'));
    fs.writeFileSync(
      path.join(dir, 'stormguard.yaml'),
      [
        'discord:',
        '  token: ${DISCORD_TOKEN}',
        `  guildId: "${IDS.guild}"`,
        `  channelId: "${IDS.channel}"`,
        `  mentionRoleId: "${IDS.mentionRole}"`,
        `  operatorRoleIds: ["${IDS.operatorRole}"]`,
        `  apiUrl: ${apiUrl}`,
        'kubernetes:',
        `  kubeconfig: ${path.join(dir, 'kubeconfig')}`,
        'database:',
        `  path: ${path.join(dir, 'data', 'stormguard.db')}`,
        'schedule: "* * * * * *"',
        'http: { port: 0 }',
        'notify: { escalateAfter: 1h }',
        'targets:',
        '  - name: frigate',
        '    namespace: nvr',
        '    workload: { kind: Deployment, name: frigate }',
        `    probe: { http: { url: "${probe.url}", timeout: 2s } }`,
        '    failureThreshold: 1',
        '    successThreshold: 1',
        '    restart: { maxPerHour: 3, backoff: [1s], circuitBreakAfter: 3, nodeRecoveryGrace: 1s, cooldown: 1s }',
      ].join('\n'),
    );
    const d = discord;
    const w = { discord: d };

    startBot();
    await expect.poll(connections, { timeout: 30_000, interval: 100 }).toBe(1);
    const declared = await d.slashCommand({ name: 'maintenance', options: { target: 'frigate', duration: '1h', reason: 'NAS firmware' }, user: OPERATOR });
    expect(answer(declared)).toMatch(/^Maintenance window on frigate until/);
    probe.setStatus(503);
    // Checks go on in the window: frigate's incident is posted, quietly, and nothing restarts it.
    await expect.poll(() => topLevel(w).length, { timeout: 30_000, interval: 100 }).toBe(1);
    await expect.poll(() => topLevel(w)[0]?.thread?.messages.some((m) => m.content.startsWith('Not restarting frigate: frigate is in a maintenance window until')), { timeout: 30_000, interval: 100 }).toBe(true);
    expect(roleRings(w)).toBe(0);

    child!.kill('SIGKILL');
    await exited;
    startBot();
    await expect.poll(connections, { timeout: 30_000, interval: 100 }).toBe(2);
    // Several cycles of the new process (one a second), all inside the window.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(roleRings(w)).toBe(0);
    expect(kube.restarts).toHaveLength(0);
    expect(topLevel(w)).toHaveLength(1);
    const listed = await d.slashCommand({ name: 'maintenance', user: OPERATOR });
    expect(answer(listed)).toMatch(/^Maintenance windows in force:\n\*\*frigate\*\* until .* — NAS firmware, by <@\d+>$/);

    const ended = await d.slashCommand({ name: 'maintenance', options: { target: 'frigate', duration: 'off' }, user: OPERATOR });
    expect(answer(ended)).toMatch(/^Ended the maintenance window on frigate/);
    await expect.poll(() => roleRings(w), { timeout: 30_000, interval: 100 }).toBe(1);
    const ring = d.allMentions().find((r) => r.kind === 'role' && !r.suppressed)!;
    expect(ring.channelId).toBe(topLevel(w)[0]!.thread!.id);
    expect(topLevel(w)[0]!.thread!.messages.map((m) => m.content)).toContainEqual(expect.stringMatching(/^<@&\d+> Maintenance window \(frigate — NAS firmware, by <@\d+>\) ended early after 1m — still down: frigate$/));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(roleRings(w)).toBe(1);
  });
});
