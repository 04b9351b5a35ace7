import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmailConfig } from '../../src/config/types.js';
import type { IncidentView } from '../../src/core/render.js';
import type { Effect, Incident, Silence } from '../../src/core/types.js';
import { createEmailSink, type EmailSinkDeps } from '../../src/adapters/email/sink.js';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type PendingEffect, type Store } from '../../src/adapters/sqlite/store.js';
import { EffectError, type DeliveryContext } from '../../src/core/delivery.js';
import type { DiscordChannelRef } from '../../src/core/text.js';
import { incidentMessageLink } from '../../src/runtime/view.js';
import { newIncident } from '../../src/core/lifecycle.js';

const T0 = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
const PASSWORD = 'hunter2-s3cret';

// ---------------------------------------------------------------- a real SMTP server on loopback

interface Received {
  raw: string;
  user: string | undefined;
  from: string | undefined;
  to: string[];
}

interface Smtp {
  port: number;
  mails: Received[];
  logins: Array<{ username: string | undefined; password: string | null | undefined }>;
  close(): Promise<void>;
}

/** Starts `smtp-server` on 127.0.0.1 without TLS; `options` can refuse commands to test failures. */
async function startSmtp(options: Partial<SMTPServerOptions> = {}): Promise<Smtp> {
  const mails: Received[] = [];
  const logins: Smtp['logins'] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      logins.push({ username: auth.username, password: auth.password });
      cb(null, { user: auth.username });
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
        });
        cb();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as net.AddressInfo).port;
  return { port, mails, logins, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** An SMTP error reply for smtp-server callbacks. */
function reply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

// ---------------------------------------------------------------- minimal MIME reading

interface Mail {
  headers: Map<string, string>;
  subject: string;
  text: string;
  html: string;
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQp(data.replace(/_/g, ' ')),
    );
}

function decodeQp(text: string): string {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseMail(raw: string): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const headers = parseHeaders(raw.slice(0, split));
  const body = raw.slice(split + 4);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  const parts = new Map<string, string>();
  for (const part of boundary ? body.split(`--${boundary}`).slice(1, -1) : []) {
    const at = part.indexOf('\r\n\r\n');
    const partHeaders = parseHeaders(part.slice(0, at).replace(/^\r\n/, ''));
    const content = part.slice(at + 4).replace(/\r\n$/, '');
    const encoding = partHeaders.get('content-transfer-encoding')?.toLowerCase();
    const decoded = encoding === 'base64' ? Buffer.from(content, 'base64').toString('utf8') : encoding === 'quoted-printable' ? decodeQp(content) : content;
    parts.set((partHeaders.get('content-type') ?? '').split(';')[0]!.trim(), decoded);
  }
  return { headers, subject: decodeWords(headers.get('subject') ?? ''), text: parts.get('text/plain') ?? '', html: parts.get('text/html') ?? '' };
}

// ---------------------------------------------------------------- a real store and incidents

/** node-a's unsaved incident covering frigate, opened and rung at T0, as the lifecycle makes it. */
function incident(overrides: Partial<Incident> = {}): Incident {
  return { ...newIncident('node:node-a', 'node', 'node node-a is NotReady', T0), targets: ['frigate'], notifiedAt: T0, ...overrides };
}

/** What the delivery pass hands the sink: the incident, its view, and the link its Discord message has in the store. */
function ctx(i: Incident, discord?: DiscordChannelRef): DeliveryContext {
  return { incident: i, view: viewOf(i), messageLink: incidentMessageLink(store, discord, i.id!) };
}

function viewOf(i: Incident): IncidentView {
  return {
    incident: i,
    silence: activeSilence,
    targets: [{ name: 'frigate', health: 'down', detail: 'HTTP 503' }],
    nodes: [{ name: 'node-a', ready: 'False', unschedulable: false }],
    nextRestart: null,
  };
}

let dir: string;
let store: Store;
let smtp: Smtp | null;
let activeSilence: Silence | null;

beforeEach(() => {
  activeSilence = null;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-email-'));
  store = createStore(openDatabase(path.join(dir, 'db.sqlite')));
  smtp = null;
});

afterEach(async () => {
  await smtp?.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function config(port: number, overrides: Partial<EmailConfig['smtp']> = {}): EmailConfig {
  return {
    smtp: { host: '127.0.0.1', port, secure: false, ...overrides },
    from: 'Stormguard <stormguard@example.org>',
    to: ['oncall@example.org', 'backup@example.org'],
    fallbackAfter: 300_000,
  };
}

function sinkFor(port: number, extra: Partial<EmailSinkDeps> = {}) {
  return createEmailSink({ email: config(port), store, clock: () => T0, ...extra });
}

/** Queues an email effect in the real outbox and returns it as the outbox would hand it over. */
function queue(i: Incident, reason: Extract<Effect, { type: 'email' }>['reason']): PendingEffect {
  const id = store.enqueueEffect(i.id, { type: 'email', reason }, T0);
  const pending = store.pendingEffects(T0).find((p) => p.id === id)!;
  store.markEffectDone(id, T0);
  return pending;
}

async function failure(promise: Promise<unknown>): Promise<EffectError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EffectError);
  return err as EffectError;
}

// ---------------------------------------------------------------- tests

describe('email sink: threading', () => {
  it('gives the first email of an incident a fresh Message-ID, remembered in the store, and no In-Reply-To', async () => {
    smtp = await startSmtp();
    const a = store.insertIncident(incident());
    await sinkFor(smtp.port).deliver(queue(a, 'fallback'), ctx(a));

    expect(smtp.mails).toHaveLength(1);
    const mail = parseMail(smtp.mails[0]!.raw);
    const messageId = mail.headers.get('message-id')!;
    expect(messageId).toMatch(new RegExp(`^<stormguard-incident-${a.id}-[0-9a-f]{16}@example\\.org>$`));
    expect(store.getMeta(`email:thread:${a.id}`)).toBe(messageId);
    expect(mail.headers.has('in-reply-to')).toBe(false);
    expect(mail.headers.has('references')).toBe(false);
    // Titled as the incident's message is, not by its subject.
    expect(mail.subject).toBe('[stormguard] node-a is NotReady — 1 service affected');
    expect(smtp.mails[0]!.from).toBe('stormguard@example.org');
    expect(smtp.mails[0]!.to).toEqual(['oncall@example.org', 'backup@example.org']);
  });

  it('replies to the first email with every later one, keeping the subject base even when the cause and title changed', async () => {
    smtp = await startSmtp();
    const sink = sinkFor(smtp.port);
    const a = store.insertIncident(incident());
    await sink.deliver(queue(a, 'fallback'), ctx(a));
    const changed = { ...a, cause: 'node node-a is NotReady; pods evicted', targets: [...a.targets, 'mqtt'] };
    const escalation = queue(changed, 'escalation');
    await sink.deliver(escalation, ctx(changed));

    const [first, second] = smtp.mails.map((m) => parseMail(m.raw));
    const root = first!.headers.get('message-id')!;
    expect(second!.headers.get('in-reply-to')).toBe(root);
    expect(second!.headers.get('references')).toBe(root);
    expect(second!.headers.get('message-id')).toMatch(new RegExp(`^<stormguard-effect-${escalation.id}-[0-9a-f]{12}@example\\.org>$`));
    expect(second!.subject).toBe('[stormguard] ESCALATION: node-a is NotReady — 1 service affected');
    expect(second!.text).toContain('pods evicted');
  });

  it('sends the same Message-ID when an effect is delivered twice, so receivers can de-duplicate', async () => {
    smtp = await startSmtp();
    const sink = sinkFor(smtp.port);
    const a = store.insertIncident(incident());
    const first = queue(a, 'fallback');
    const later = queue(a, 'escalation');
    await sink.deliver(first, ctx(a));
    await sink.deliver(first, ctx(a));
    await sink.deliver(later, ctx(a));
    await sink.deliver(later, ctx(a));

    const mails = smtp.mails.map((m) => parseMail(m.raw));
    expect(mails[1]!.headers.get('message-id')).toBe(mails[0]!.headers.get('message-id'));
    expect(mails[1]!.headers.has('in-reply-to')).toBe(false);
    expect(mails[3]!.headers.get('message-id')).toBe(mails[2]!.headers.get('message-id'));
    expect(mails[3]!.headers.get('in-reply-to')).toBe(mails[0]!.headers.get('message-id'));
  });

  it('keeps one thread per incident', async () => {
    smtp = await startSmtp();
    const sink = sinkFor(smtp.port);
    const a = store.insertIncident(incident());
    const b = store.insertIncident(incident({ subject: 'target:frigate', kind: 'target', cause: 'HTTP 503 twice in a row' }));
    await sink.deliver(queue(a, 'fallback'), ctx(a));
    await sink.deliver(queue(b, 'fallback'), ctx(b));
    await sink.deliver(queue(b, 'escalation'), ctx(b));

    const [ma, mb1, mb2] = smtp.mails.map((m) => parseMail(m.raw));
    expect(mb1!.headers.get('message-id')).not.toBe(ma!.headers.get('message-id'));
    expect(mb1!.headers.has('in-reply-to')).toBe(false);
    expect(mb2!.headers.get('in-reply-to')).toBe(mb1!.headers.get('message-id'));
    expect(store.getMeta(`email:thread:${a.id}`)).toBe(ma!.headers.get('message-id'));
    expect(store.getMeta(`email:thread:${b.id}`)).toBe(mb1!.headers.get('message-id'));
  });
});

describe('email sink: content', () => {
  it('sends text and HTML with the incident facts, absolute UTC times and probe text escaped', async () => {
    smtp = await startSmtp();
    const a = store.insertIncident(
      incident({ cause: 'probe said <script>alert("x")</script> & gave up', state: 'acknowledged', acknowledgedBy: '1234', acknowledgedAt: T0 + 60_000, restartCount: 2 }),
    );
    activeSilence = { id: 1, scope: { kind: 'everything' }, startsAt: T0, endsAt: T0 + 3_600_000, createdBy: '42', reason: 'maintenance', liftedAt: null };
    await sinkFor(smtp.port).deliver(queue(a, 'escalation'), ctx(a));
    const mail = parseMail(smtp.mails[0]!.raw);

    expect(mail.text).toContain('probe said <script>alert("x")</script> & gave up');
    expect(mail.text).toContain('State: acknowledged');
    expect(mail.text).toContain('Since: 2023-11-14 22:13:20 UTC');
    expect(mail.text).toContain('frigate — HTTP 503');
    expect(mail.text).toContain('node-a: NotReady');
    expect(mail.text).toContain('Restarts: 2 automatic');
    expect(mail.text).toContain('Acknowledged by: @1234 2023-11-14 22:14:20 UTC');
    expect(mail.text).toContain('Silenced until: 2023-11-14 23:13:20 UTC by @42');
    expect(mail.text).not.toMatch(/<t:\d+/);

    expect(mail.html).toContain('probe said &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; gave up');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('2023-11-14 22:13:20 UTC');
    expect(mail.html).not.toMatch(/&lt;t:\d+/);
    expect(mail.headers.get('date')).toBe('Tue, 14 Nov 2023 22:13:20 +0000');
  });

  it('links the Discord message when the incident has one, and not before', async () => {
    smtp = await startSmtp();
    const sink = sinkFor(smtp.port);
    const channel = { guildId: 'g1', channelId: 'c1' };
    const a = store.insertIncident(incident());
    await sink.deliver(queue(a, 'fallback'), ctx(a, channel));
    store.setDiscordMessage(a.id!, 'm99', 't99');
    await sink.deliver(queue(a, 'escalation'), ctx(a, channel));

    const [before, after] = smtp.mails.map((m) => parseMail(m.raw));
    expect(before!.text).not.toContain('discord.com');
    expect(after!.text).toContain('Discord: https://discord.com/channels/g1/c1/m99');
    expect(after!.html).toContain('<a href="https://discord.com/channels/g1/c1/m99">');
  });
});

describe('email sink: authentication and failures', () => {
  it('logs in with the configured user when the server requires it', async () => {
    smtp = await startSmtp({ authOptional: false });
    const sink = createEmailSink({ email: config(smtp.port, { user: 'stormguard', pass: PASSWORD }), store, clock: () => T0 });
    const a = store.insertIncident(incident());
    await sink.deliver(queue(a, 'fallback'), ctx(a));

    expect(smtp.logins).toEqual([{ username: 'stormguard', password: PASSWORD }]);
    expect(smtp.mails[0]!.user).toBe('stormguard');
  });

  it('treats a 451 reply as retryable', async () => {
    smtp = await startSmtp({ onRcptTo: (_a, _s, cb) => cb(reply(451, 'Try again later')) });
    const a = store.insertIncident(incident());
    const err = await failure(sinkFor(smtp.port).deliver(queue(a, 'fallback'), ctx(a)));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('451');
  });

  it('treats a 550 reply as permanent and never shows the password', async () => {
    smtp = await startSmtp({ onMailFrom: (_a, _s, cb) => cb(reply(550, 'Sender rejected')) });
    const sink = createEmailSink({ email: config(smtp.port, { user: 'stormguard', pass: PASSWORD }), store, clock: () => T0 });
    const a = store.insertIncident(incident());
    const err = await failure(sink.deliver(queue(a, 'fallback'), ctx(a)));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('550');
    expect(err.message).not.toContain(PASSWORD);
  });

  it('blanks the password out even when the server echoes it back', async () => {
    smtp = await startSmtp({
      authOptional: false,
      onAuth: (auth, _s, cb) => cb(reply(535, `bad credentials ${auth.password} / ${Buffer.from(`\u0000${auth.username}\u0000${auth.password}`).toString('base64')}`)),
    });
    const sink = createEmailSink({ email: config(smtp.port, { user: 'stormguard', pass: PASSWORD }), store, clock: () => T0 });
    const a = store.insertIncident(incident());
    const err = await failure(sink.deliver(queue(a, 'fallback'), ctx(a)));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('535');
    const everything = `${err.message} ${String((err.cause as Error).message)} ${JSON.stringify(err.cause)}`;
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(Buffer.from(`\u0000stormguard\u0000${PASSWORD}`).toString('base64'));
  });

  it('treats a refused connection as retryable', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const a = store.insertIncident(incident());
    const err = await failure(sinkFor(port).deliver(queue(a, 'fallback'), ctx(a)));
    expect(err.retryable).toBe(true);
  });

  it('gives up on a server that never greets after the timeout, as retryable', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const a = store.insertIncident(incident());
      const started = Date.now();
      const err = await failure(sinkFor(port, { timeoutMs: 200 }).deliver(queue(a, 'fallback'), ctx(a)));
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('ETIMEDOUT');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses effects that are not emails, and emails without an incident, for good', async () => {
    const sink = sinkFor(1);
    const a = store.insertIncident(incident());
    const push: PendingEffect = { id: 1, incidentId: a.id, effect: { type: 'push', reason: 'open' }, attempts: 0 };
    expect((await failure(sink.deliver(push, ctx(a)))).retryable).toBe(false);
    const orphan: PendingEffect = { id: 2, incidentId: null, effect: { type: 'email', reason: 'fallback' }, attempts: 0 };
    expect((await failure(sink.deliver(orphan, null))).retryable).toBe(false);
  });
});
