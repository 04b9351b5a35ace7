import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { Sqlite } from '../../src/adapters/sqlite/driver.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiscordSimulator, type DiscordRequestRecord, type DiscordSimulator } from '../../src/sim/discord/index.js';
import { createKubeSimulator, type KubeSimulator, type SimAnswer } from '../../src/sim/kube/index.js';
import { spawnCli } from '../helpers/cliProcess.js';
import { startProbeServer, type ProbeServer } from '../helpers/probeServer.js';
import { IDS } from '../helpers/world.js';

/** Where the real `stormguard run` process is killed: right after Discord or Kubernetes acted on a request, or at a moment. */
type KillPoint = 'postIncident' | 'startThread' | 'threadPost' | 'editMessage' | 'archive' | 'unarchive' | 'restartCall' | `timer:${number}`;

const CHANNEL = IDS.channel;
const matchers: Record<Exclude<KillPoint, `timer:${number}`>, (r: DiscordRequestRecord | SimAnswer) => boolean> = {
  postIncident: (r) => discordOk(r, 'POST', new RegExp(`^/channels/${CHANNEL}/messages$`)),
  startThread: (r) => discordOk(r, 'POST', /^\/channels\/\d+\/messages\/\d+\/threads$/),
  threadPost: (r) => discordOk(r, 'POST', /^\/channels\/\d+\/messages$/) && !(r as DiscordRequestRecord).path.includes(CHANNEL),
  editMessage: (r) => discordOk(r, 'PATCH', new RegExp(`^/channels/${CHANNEL}/messages/\\d+$`)),
  archive: (r) => discordOk(r, 'PATCH', /^\/channels\/\d+$/) && (r as DiscordRequestRecord & { body: { archived?: boolean } }).body.archived === true,
  unarchive: (r) => discordOk(r, 'PATCH', /^\/channels\/\d+$/) && (r as DiscordRequestRecord & { body: { archived?: boolean } }).body.archived === false,
  restartCall: (r) => 'code' in r && r.method === 'PATCH' && /\/apis\/apps\/v1\/namespaces\/[^/]+\/deployments\//.test(r.path) && r.code === 200,
};

function discordOk(r: DiscordRequestRecord | SimAnswer, method: string, path: RegExp): boolean {
  return 'auth' in r && r.method === method && path.test(r.path) && r.status >= 200 && r.status < 300;
}

let kube: KubeSimulator;
let discord: DiscordSimulator;
let probe: ProbeServer;
let dir: string;
let child: ChildProcess | null = null;
let exited: Promise<void> = Promise.resolve();
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
  const proc = spawnCli(['run', '--config', path.join(dir, 'stormguard.yaml')], {
    cwd: dir,
    env: { DISCORD_TOKEN: 'crash-bot-token', STORMGUARD_LEASE: 'off', POD_NAME: 'crash-test' },
  });
  proc.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  proc.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child = proc;
  exited = new Promise((resolve) => proc.once('exit', () => resolve()));
}

/**
 * Kills the bot with SIGKILL at `point`; resolves whether that point was reached within `timeoutMs`.
 * The wait is generous because a loaded machine needs seconds just to start the process; a point that
 * is reached costs no more than the time to reach it.
 */
async function killAt(point: KillPoint, timeoutMs = 30_000): Promise<boolean> {
  if (!child || child.exitCode !== null || child.signalCode !== null) startBot();
  const proc = child!;
  const fired = await new Promise<boolean>((resolve, reject) => {
    const done = (hit: boolean) => {
      clearTimeout(timeout);
      offDiscord();
      offKube();
      if (timer) clearTimeout(timer);
      resolve(hit);
    };
    const kill = () => {
      proc.kill('SIGKILL');
      done(true);
    };
    const timeout = setTimeout(() => done(false), timeoutMs);
    // The bot must only ever die because we killed it.
    proc.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`stormguard exited by itself (code ${code}, signal ${signal}):\n${output}`));
    });
    let timer: NodeJS.Timeout | null = null;
    let offDiscord = () => {};
    let offKube = () => {};
    if (point.startsWith('timer:')) {
      timer = setTimeout(kill, Number(point.slice('timer:'.length)));
    } else {
      const match = matchers[point as keyof typeof matchers];
      offDiscord = discord.onAnswered((r) => match(r) && kill());
      offKube = kube.onAnswered((r) => match(r) && kill());
    }
  });
  if (fired) await exited;
  return fired;
}

/** Opens the database read-only beside the running bot (WAL allows it). */
function readDb<T>(fn: (db: Database) => T): T {
  const db = new Sqlite(path.join(dir, 'data', 'stormguard.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return predicate();
}

describe('crash safety: the real process, killed with SIGKILL again and again', () => {
  it('never posts an incident twice, ends consistent, and never restarts more than the gate allows', { timeout: 900_000 }, async () => {
    kube = createKubeSimulator({ rolloutDelayMs: 500 });
    kube.addNode('node-a');
    kube.addNode('node-b');
    kube.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    kube.addDeployment({ namespace: 'home', name: 'hass', node: 'node-b' });
    await kube.start();
    discord = createDiscordSimulator({
      guildId: IDS.guild,
      channelId: CHANNEL,
      botToken: 'crash-bot-token',
      roles: [
        { id: IDS.mentionRole, name: 'oncall' },
        { id: IDS.operatorRole, name: 'operators' },
      ],
    });
    const { apiUrl } = await discord.start();
    probe = await startProbeServer();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-crash-'));
    await kube.writeKubeconfig(path.join(dir, 'kubeconfig'));
    const restart = '{ maxPerHour: 3, backoff: [2s], circuitBreakAfter: 3, nodeRecoveryGrace: 1s, cooldown: 2s }';
    fs.writeFileSync(
      path.join(dir, 'stormguard.yaml'),
      [
        'discord:',
        '  token: ${DISCORD_TOKEN}',
        `  guildId: "${IDS.guild}"`,
        `  channelId: "${CHANNEL}"`,
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
        `    restart: ${restart}`,
        '  - name: hass',
        '    namespace: home',
        '    workload: { kind: Deployment, name: hass }',
        '    failureThreshold: 1',
        '    successThreshold: 1',
        `    restart: ${restart}`,
      ].join('\n'),
    );

    const kills: KillPoint[] = [];
    const missed: KillPoint[] = [];
    const phase = async (setup: () => void, points: KillPoint[]) => {
      setup();
      for (const point of points) ((await killAt(point)) ? kills : missed).push(point);
    };

    // node-a goes down while frigate fails: the node incident is posted, its thread started, notes written.
    await phase(() => {
      kube.setNodeReady('node-a', 'False');
      probe.setStatus(503);
    }, ['postIncident', 'timer:300', 'startThread', 'threadPost', 'timer:1500', 'timer:2500']);
    // node-a returns: one restart is allowed after the grace period.
    await phase(() => kube.setNodeReady('node-a', 'True'), ['threadPost', 'restartCall', 'editMessage', 'timer:800', 'timer:2000']);
    // frigate recovers: the incident resolves and its thread is archived.
    await phase(() => probe.setStatus(200), ['editMessage', 'archive', 'timer:1200']);
    // frigate fails again within the reopen window: the thread is unarchived, the role rung again.
    await phase(() => probe.setStatus(503), ['unarchive', 'threadPost', 'timer:700', 'timer:1600']);
    await phase(() => probe.setStatus(200), ['archive', 'timer:500', 'timer:1100']);
    // hass fails on a Ready node: its own incident, and a restart that heals it.
    await phase(() => kube.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false, { healAfterRestart: true }), [
      'postIncident',
      'startThread',
      'restartCall',
      'threadPost',
      'timer:900',
      'editMessage',
      'archive',
      'timer:1800',
    ]);

    // Let the last instance run until everything is delivered and every incident is resolved.
    if (!child || child.exitCode !== null || child.signalCode !== null) startBot();
    const settled = await until(
      () =>
        readDb((db) => {
          const pending = db.prepare("SELECT count(*) AS n FROM outbox WHERE status = 'pending'").get() as { n: number };
          const open = db.prepare("SELECT count(*) AS n FROM incidents WHERE state <> 'resolved'").get() as { n: number };
          return pending.n === 0 && open.n === 0;
        }),
      60_000,
    );
    expect(settled, output).toBe(true);
    child!.kill('SIGTERM');
    await exited;

    expect(kills.length, `killed at: ${kills.join(', ')}; not reached: ${missed.join(', ')}`).toBeGreaterThanOrEqual(20);
    expect(new Set(kills.map((k) => (k.startsWith('timer') ? 'timer' : k))).size).toBeGreaterThanOrEqual(7);

    const state = readDb((db) => ({
      integrity: db.pragma('integrity_check', { simple: true }),
      incidents: db.prepare('SELECT id, subject, state, discord_message_id AS messageId, discord_thread_id AS threadId FROM incidents ORDER BY id').all() as Array<{ id: number; subject: string; state: string; messageId: string; threadId: string }>,
      attempts: db.prepare('SELECT target, status, requested_at AS at FROM restart_attempts ORDER BY id').all() as Array<{ target: string; status: string; at: number }>,
      notes: db.prepare("SELECT incident_id AS incidentId, count(*) AS n FROM outbox WHERE type IN ('threadNote', 'ring') AND status = 'done' GROUP BY incident_id").all() as Array<{ incidentId: number; n: number }>,
      failedEffects: db.prepare("SELECT count(*) AS n FROM outbox WHERE status = 'failed'").get() as { n: number },
    }));
    expect(state.integrity).toBe('ok');
    expect(state.failedEffects.n).toBe(0);

    // Exactly one top-level message per incident, the one the database knows, showing the state it holds.
    const channel = discord.channel();
    expect(state.incidents.map((i) => i.subject).sort()).toEqual(['node:node-a', 'target:hass']);
    expect(channel.messages.map((m) => m.id).sort()).toEqual(state.incidents.map((i) => i.messageId).sort());
    for (const incident of state.incidents) {
      const message = channel.messages.find((m) => m.id === incident.messageId)!;
      expect(JSON.stringify(message.embeds)).toContain(incident.state === 'resolved' ? 'Resolved' : 'Incident');
      expect(message.thread?.id).toBe(incident.threadId);
      expect(message.thread?.archived).toBe(true);
      // Every delivered note is in the thread exactly once: the nonce kept retries from doubling it.
      const delivered = state.notes.find((n) => n.incidentId === incident.id)?.n ?? 0;
      expect(message.thread?.messages.length).toBe(delivered);
    }

    // Restarts are never repeated by a crash: each attempt row made at most one API call, and no target
    // was restarted more than maxPerHour (3) times.
    const simRestarts = kube.restarts;
    expect(simRestarts.length).toBeLessThanOrEqual(state.attempts.length);
    for (const target of ['frigate', 'hass']) {
      expect(simRestarts.filter((r) => r.name === target).length).toBeLessThanOrEqual(3);
    }
    expect(discord.violations).toEqual([]);
  });
});
