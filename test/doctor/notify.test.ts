/**
 * The doctor's SMTP, ntfy and heartbeat checks against real servers on loopback: a real SMTP server
 * (`smtp-server`, with AUTH) for nodemailer's verify(), an ntfy stand-in, a heartbeat receiver.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { EmailConfig } from '../../src/config/types.js';
import { checkEmail, checkHeartbeat, checkNtfy } from '../../src/doctor/notify.js';
import { startNtfyReceiver, type NtfyReceiver } from '../helpers/ntfy.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
let smtp: SMTPServer;
let smtpPort: number;
const mails: string[] = [];
let ntfy: NtfyReceiver;
let beat: http.Server;
let beatUrl: string;
const pings: string[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'bot' && auth.password === 'right-pass') cb(null, { user: 'bot' });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(Buffer.concat(chunks).toString('utf8'));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  ntfy = await startNtfyReceiver();
  beat = http.createServer((req, res) => {
    pings.push(req.url ?? '');
    res.writeHead(req.url === '/' || req.url === '/ping/abc' ? 200 : 404).end('OK');
  });
  await new Promise<void>((resolve) => beat.listen(0, '127.0.0.1', resolve));
  beatUrl = `http://127.0.0.1:${(beat.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await ntfy.close();
  beat.closeAllConnections();
  await new Promise<void>((resolve) => beat.close(() => resolve()));
});

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const email = (pass: string, port = smtpPort): EmailConfig => ({
  smtp: { host: '127.0.0.1', port, secure: false, user: 'bot', pass },
  from: 'stormguard@example.com',
  to: ['oncall@example.com'],
  fallbackAfter: 120_000,
});

describe('doctor: email', () => {
  it('passes when the server accepts the connection and the login, and --send-test sends one mail', async () => {
    expect(await checkEmail(email('right-pass'), { sendTest: false, now: NOW })).toEqual([
      { status: 'ok', title: `the SMTP server 127.0.0.1:${smtpPort} accepts the connection and the login` },
    ]);
    expect(mails).toHaveLength(0);
    const checks = await checkEmail(email('right-pass'), { sendTest: true, now: NOW });
    expect(checks[1]).toEqual({ status: 'ok', title: 'sent a test mail to oncall@example.com' });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toContain('Subject: stormguard doctor: test mail');
  });

  it('fails on a refused login without printing the password', async () => {
    const [check] = await checkEmail(email('wrong-pass'), { sendTest: true, now: NOW });
    expect(check).toMatchObject({ status: 'fail', title: expect.stringContaining('refused the login (SMTP 535'), fix: expect.stringContaining('smtp.user and .pass') });
    expect(JSON.stringify(check)).not.toContain('wrong-pass');
  });

  it('fails when nothing listens', async () => {
    const closed = await closedPort();
    const [check] = await checkEmail(email('right-pass', closed), { sendTest: false, now: NOW, timeoutMs: 2000 });
    expect(check).toMatchObject({ status: 'fail', title: expect.stringMatching(/^cannot talk to the SMTP server 127\.0\.0\.1:\d+ \(ESOCKET at CONN\): connect ECONNREFUSED/) });
  });
});

describe('doctor: ntfy', () => {
  it('passes when ntfy accepts the token for the topic, asking /<topic>/auth with it', async () => {
    ntfy.failWith(null);
    const check = await checkNtfy({ url: ntfy.url, topic: 'homelab-alerts', token: 'tk_secret' });
    expect(check).toMatchObject({ status: 'ok', title: expect.stringContaining('accepts the token for topic homelab-alerts') });
    expect(ntfy.publishes.at(-1)).toMatchObject({ method: 'GET', path: '/homelab-alerts/auth', headers: expect.objectContaining({ authorization: 'Bearer tk_secret' }) });
  });

  it('fails when ntfy refuses the token', async () => {
    ntfy.failWith(403);
    expect(await checkNtfy({ url: ntfy.url, topic: 'homelab-alerts', token: 'tk_wrong' })).toMatchObject({ status: 'fail', fix: expect.stringContaining('notify.ntfy.token') });
    ntfy.failWith(null);
  });
});

describe('doctor: heartbeat', () => {
  it('asks only the origin without --send-test (no ping), and pings the URL with it', async () => {
    pings.length = 0;
    expect((await checkHeartbeat(`${beatUrl}/ping/abc`, { sendTest: false })).status).toBe('ok');
    expect(pings).toEqual(['/']);
    expect((await checkHeartbeat(`${beatUrl}/ping/abc`, { sendTest: true })).status).toBe('ok');
    expect(pings).toEqual(['/', '/ping/abc']);
  });

  it('fails on a refused ping without printing the secret path, and on a server that does not answer', async () => {
    const refused = await checkHeartbeat(`${beatUrl}/ping/wrong-uuid`, { sendTest: true });
    expect(refused).toMatchObject({ status: 'fail', title: expect.stringContaining('refused the ping (HTTP 404)') });
    expect(JSON.stringify(refused)).not.toContain('wrong-uuid');
    const down = await checkHeartbeat(`http://127.0.0.1:${await closedPort()}/ping/abc`, { sendTest: false, timeoutMs: 2000 });
    expect(down).toMatchObject({ status: 'fail', title: expect.stringContaining('does not answer: ECONNREFUSED') });
  });
});
