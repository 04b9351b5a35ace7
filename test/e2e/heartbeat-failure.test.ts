/**
 * Who watches the watcher (issue 24 item 1, SPEC §14): each cycle's ping says whether the cycle was
 * whole. Stale watch caches, a database another process holds locked, and Discord unreachable with no
 * email fallback each make the very next ping a failure in the monitor's dialect, with a short reason;
 * the ping after recovery is a success again — the real bot, the real informers against the Kubernetes
 * simulator, discord.js against the Discord simulator, a real second SQLite writer, and a loopback
 * receiver recording what each monitor would be told.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emailNotify, startSmtpServer, type SmtpServer } from '../helpers/smtp.js';
import { closeWorldChecked, startWorld, type World } from '../helpers/world.js';

/** One request the monitor received. */
interface Ping {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  authorization: string | undefined;
}

/** A monitor on loopback that records every request. */
async function startReceiver(): Promise<{ origin: string; pings: Ping[]; close(): Promise<void> }> {
  const pings: Ping[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://monitor');
      pings.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, body, authorization: req.headers.authorization });
      res.end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    pings,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How one monitor hears success and failure (null: it hears nothing on failure). */
interface Dialect {
  kind: string;
  path: string;
  token?: string;
  success(p: Ping): boolean;
  /** The reason a failure ping carries, or null when `p` is not a failure ping. */
  failure: ((p: Ping) => string | null) | null;
}

const HC_UUID = '5f1c0d5e-8a7b-4c3d-9e2f-1a2b3c4d5e6f';
const DIALECTS: Dialect[] = [
  {
    kind: 'healthchecks',
    path: `/ping/${HC_UUID}`,
    success: (p) => p.method === 'POST' && p.path === `/ping/${HC_UUID}`,
    failure: (p) => (p.method === 'POST' && p.path === `/ping/${HC_UUID}/fail` ? p.body : null),
  },
  {
    kind: 'uptime-kuma',
    path: '/api/push/Xk3pQ9',
    success: (p) => p.path === '/api/push/Xk3pQ9' && p.query.get('status') === 'up',
    failure: (p) => (p.path === '/api/push/Xk3pQ9' && p.query.get('status') === 'down' ? p.query.get('msg') : null),
  },
  {
    kind: 'gatus',
    path: '/api/v1/endpoints/homelab_stormguard/external',
    token: 'gatus-push-token',
    success: (p) => p.method === 'POST' && p.query.get('success') === 'true' && p.authorization === 'Bearer gatus-push-token',
    failure: (p) => (p.method === 'POST' && p.query.get('success') === 'false' && p.authorization === 'Bearer gatus-push-token' ? p.query.get('error') : null),
  },
  { kind: 'plain', path: '/beat/s3cret', success: (p) => p.method === 'GET' && p.path === '/beat/s3cret', failure: null },
];

let world: World | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
let holder: ChildProcess | undefined;
let smtp: SmtpServer | undefined;

afterEach(async () => {
  holder?.kill('SIGKILL');
  await closeWorldChecked(world);
  await receiver?.close();
  await smtp?.close();
  world = receiver = holder = smtp = undefined;
});

/** One scheduled cycle 30 s later, which may fail (a locked database); the caches are not awaited (they may be stale on purpose). */
async function cycle(w: World): Promise<void> {
  w.clock.advance(30_000);
  await w.app.cycles.tick().catch(() => undefined);
}

/** A real second writer holding SQLite's write lock until killed. */
async function holdWriteLock(file: string): Promise<ChildProcess> {
  const script = `
    const major = Number(process.versions.node.split('.')[0]);
    let Database;
    try { Database = require(major >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3'); } catch { Database = require('better-sqlite3'); }
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ['-e', script, file], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

async function release(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe.each(DIALECTS)('the heartbeat in the $kind dialect', (dialect) => {
  it('says failure within one cycle for stale watches, a locked database and Discord unreachable without email, and success after each recovery', async () => {
    receiver = await startReceiver();
    const r = receiver;
    world = await startWorld({ heartbeat: { url: `${r.origin}${dialect.path}`, ...(dialect.token ? { token: dialect.token } : {}) } });
    const w = world;

    /** Runs one cycle and expects the monitor to hear failure (with a reason matching `reason`), or nothing for plain. */
    const expectFailure = async (reason: RegExp) => {
      const before = r.pings.length;
      await cycle(w);
      if (dialect.failure === null) {
        // A plain URL hears failure as silence: one more failing cycle, and still no ping.
        await cycle(w);
        expect(r.pings.slice(before)).toEqual([]);
        return;
      }
      await expect.poll(() => r.pings.length).toBe(before + 1);
      const said = dialect.failure(r.pings.at(-1)!);
      expect(said).toMatch(reason);
      expect(said!.length).toBeLessThanOrEqual(200);
    };
    /** Runs one cycle and expects the monitor to hear success. */
    const expectSuccess = async () => {
      const before = r.pings.length;
      await cycle(w);
      await expect.poll(() => r.pings.length).toBe(before + 1);
      expect(dialect.success(r.pings.at(-1)!)).toBe(true);
    };

    await w.cycles(1);
    await expect.poll(() => r.pings.length).toBe(1);
    expect(dialect.success(r.pings[0]!)).toBe(true);

    // Stale watches: the pods of nvr can no longer be listed, and their watch breaks.
    w.kube.failPath('/api/v1/namespaces/nvr/pods', 500);
    w.kube.failPath('/api/v1/pods', 500);
    w.kube.breakWatches();
    await expect.poll(() => w.adapter.caches().some((c) => !c.inSync), { timeout: 10_000 }).toBe(true);
    await expectFailure(/^watch caches out of sync: pods/);
    w.kube.failPath('/api/v1/namespaces/nvr/pods', null);
    w.kube.failPath('/api/v1/pods', null);
    await expect.poll(() => w.adapter.caches().every((c) => c.inSync), { timeout: 10_000 }).toBe(true);
    await expectSuccess();

    // The database: another process holds its write lock.
    holder = await holdWriteLock(path.join(w.dir, 'stormguard.db'));
    await expectFailure(/^database cannot be written/);
    await release(holder);
    holder = undefined;
    await expectSuccess();

    // Discord: neither REST nor the gateway answer, and there is no email to fall back on.
    w.discord.setRestDown(true);
    w.discord.setGatewayDown(true);
    await expect.poll(() => w.app.readiness().checks['discord']).toBe(false);
    await expectFailure(/^Discord cannot be told \(.+\) and no email fallback is configured$/);
    w.discord.setRestDown(false);
    w.discord.setGatewayDown(false);
    await expect.poll(() => w.app.readiness().checks['discord'], { timeout: 30_000 }).toBe(true);
    await expectSuccess();

    // The URL's path is the secret: it is what the monitor got, and nothing stormguard says holds it.
    expect(r.pings.every((p) => p.path.startsWith(dialect.path))).toBe(true);
  }, 90_000);
});

describe('the heartbeat while Discord cannot be told, with email configured', () => {
  it('is whole while the email fallback delivers, and says so when the fallback fails too', async () => {
    receiver = await startReceiver();
    smtp = await startSmtpServer();
    const r = receiver;
    const kuma = '/api/push/Kuma1';
    world = await startWorld(
      { heartbeat: { url: `${r.origin}${kuma}` }, notify: { escalateAfter: '6m', email: emailNotify(smtp.port) } },
      {},
      {
        beforeStart: (discord) => {
          discord.setRestDown(true);
          discord.setGatewayDown(true);
        },
        discordLogin: { timeoutMs: 2_000, baseDelayMs: 100, maxDelayMs: 500 },
      },
    );
    const w = world;
    const last = () => r.pings.at(-1)!;
    /** Runs cycles until `done` holds after one (at most `max`), waiting for each cycle's ping. */
    const cyclesUntil = async (done: () => boolean, max: number) => {
      for (let i = 0; i < max && !done(); i++) {
        const before = r.pings.length;
        await cycle(w);
        await expect.poll(() => r.pings.length).toBe(before + 1);
      }
      expect(done()).toBe(true);
    };

    // frigate goes down while Discord is unreachable: after fallbackAfter (2m) the incident is emailed.
    w.probe.setStatus(503, 'down');
    await cyclesUntil(() => smtp!.mails.length === 1, 12);
    // Discord cannot be told, but the email fallback works: the cycle is whole.
    expect(last().query.get('status')).toBe('up');

    // The mail server now refuses too: the escalation's email fails, and the next ping says why.
    smtp.refuse({ code: 451, text: 'greylisted, try again later' });
    await cyclesUntil(() => last().query.get('status') === 'down', 12);
    expect(last().query.get('msg')).toMatch(/^Discord cannot be told \(.+\) and the email fallback fails \(.*451.*\)/);
  }, 90_000);
});
