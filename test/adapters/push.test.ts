import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NtfyConfig } from '../../src/config/types.js';
import type { IncidentView } from '../../src/core/render.js';
import type { Effect, Incident } from '../../src/core/types.js';
import { createNtfySink, headerValue, topicUrl, type NtfySinkDeps } from '../../src/adapters/push/ntfy.js';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type PendingEffect, type Store } from '../../src/adapters/sqlite/store.js';
import { EffectError, type DeliveryContext } from '../../src/core/delivery.js';
import type { DiscordChannelRef } from '../../src/core/text.js';
import { incidentMessageLink } from '../../src/runtime/view.js';
import { newIncident } from '../../src/core/lifecycle.js';

const T0 = 1_700_000_000_000;

// ---------------------------------------------------------------- a loopback ntfy stand-in

interface Publish {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  base: string;
  requests: Publish[];
  /** How the next requests are answered; 200 with ntfy's JSON by default. */
  answer: (res: http.ServerResponse) => void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    base: '',
    requests: [],
    answer: (res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id":"x1","event":"message"}'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      receiver.answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return receiver;
}

// ---------------------------------------------------------------- a real store and incidents

/** node-a's unsaved incident covering frigate, opened and rung at T0, as the lifecycle makes it. */
function incident(overrides: Partial<Incident> = {}): Incident {
  return { ...newIncident('node:node-a', 'node', 'node node-a is NotReady', T0), targets: ['frigate'], notifiedAt: T0, ...overrides };
}

let dir: string;
let store: Store;
let receiver: Receiver;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-push-'));
  store = createStore(openDatabase(path.join(dir, 'db.sqlite')));
  receiver = await startReceiver();
});

afterEach(async () => {
  await receiver.close();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The incident as its message shows it, without a cluster snapshot (the title needs no more). */
/** What the delivery pass hands the sink: the incident, its view, and the link its Discord message has in the store. */
function ctx(i: Incident, discord?: DiscordChannelRef): DeliveryContext {
  return { incident: i, view: viewOf(i), messageLink: incidentMessageLink(store, discord, i.id!) };
}

function viewOf(i: Incident): IncidentView {
  return { incident: i, silence: null, targets: [], nodes: [], nextRestart: null };
}

function sink(ntfy: Partial<NtfyConfig> = {}, extra: Partial<NtfySinkDeps> = {}) {
  return createNtfySink({ ntfy: { url: `${receiver.base}/`, topic: 'stormguard-alerts', ...ntfy }, clock: () => T0, ...extra });
}

/** A Title header as ntfy shows it: an RFC 2047 encoded word decoded, plain ASCII as is. */
function shownTitle(header: unknown): string {
  const word = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(String(header));
  return word ? Buffer.from(word[1]!, 'base64').toString('utf8') : String(header);
}

function pending(i: Incident, reason: Extract<Effect, { type: 'push' }>['reason']): PendingEffect {
  return { id: store.enqueueEffect(i.id, { type: 'push', reason }, T0), incidentId: i.id, effect: { type: 'push', reason }, attempts: 0 };
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

describe('ntfy sink: publishing', () => {
  it('posts the summary to /{topic} with title, priority, tags, the Discord link and the token', async () => {
    const a = store.insertIncident(incident());
    store.setDiscordMessage(a.id!, 'm1', 't1');
    await sink({ token: 'tk_secret' }).deliver(pending(a, 'open'), ctx(a, { guildId: 'g1', channelId: 'c1' }));

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/stormguard-alerts');
    // Titled as the incident's message is, not by its subject.
    expect(shownTitle(req.headers.title)).toBe('stormguard: node-a is NotReady — 1 service affected');
    expect(req.headers.priority).toBe('high');
    expect(req.headers.tags).toBe('rotating_light');
    expect(req.headers.click).toBe('https://discord.com/channels/g1/c1/m1');
    expect(req.headers.authorization).toBe('Bearer tk_secret');
    expect(req.body).toBe('[open] node:node-a: node node-a is NotReady');
  });

  it('sends user:password@ from the URL as Basic credentials, never in the URL, and never shows the password', async () => {
    const a = store.insertIncident(incident());
    const withUserinfo = receiver.base.replace('http://', 'http://alerts:s3cr%40t@');
    await sink({ url: withUserinfo }).deliver(pending(a, 'open'), ctx(a));
    expect(receiver.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('alerts:s3cr@t').toString('base64')}`);
    receiver.answer = (res) => res.writeHead(403, { 'Content-Type': 'application/json' }).end('{"code":40301,"http":403,"error":"forbidden"}');
    const err = await failure(sink({ url: withUserinfo }).deliver(pending(a, 'open'), ctx(a)));
    expect(err.message).not.toMatch(/s3cr/);
    await receiver.close();
    const refused = await failure(sink({ url: withUserinfo }).deliver(pending(a, 'open'), ctx(a)));
    expect(refused.retryable).toBe(true);
    expect(refused.message).not.toMatch(/s3cr/);
    receiver = await startReceiver();
  });

  it('marks escalations with sos and an unmuted ring with default priority', async () => {
    const a = store.insertIncident(incident());
    const s = sink();
    await s.deliver(pending(a, 'escalation'), ctx(a));
    await s.deliver(pending(a, 'unmuted'), ctx(a));
    await s.deliver(pending(a, 'reopen'), ctx(a));

    const [escalation, unmuted, reopen] = receiver.requests;
    expect([escalation!.headers.priority, escalation!.headers.tags]).toEqual(['high', 'sos']);
    expect(escalation!.body).toBe('Escalation: [open] node:node-a: node node-a is NotReady');
    expect([unmuted!.headers.priority, unmuted!.headers.tags]).toEqual(['default', 'bell']);
    expect([reopen!.headers.priority, reopen!.headers.tags]).toEqual(['high', 'rotating_light']);
  });

  it('sends no Click without a Discord message and no Authorization without a token', async () => {
    const a = store.insertIncident(incident());
    await sink({}).deliver(pending(a, 'open'), ctx(a, { guildId: 'g1', channelId: 'c1' }));
    expect(receiver.requests[0]!.headers.click).toBeUndefined();
    expect(receiver.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('encodes a non-ASCII title as an RFC 2047 word instead of failing', async () => {
    const a = store.insertIncident(incident({ subject: 'target:café-ünïcode 🚨', kind: 'target' }));
    await sink().deliver(pending(a, 'open'), ctx(a));
    const title = receiver.requests[0]!.headers.title as string;
    expect(title).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
    expect(Buffer.from(title.slice(10, -2), 'base64').toString('utf8')).toBe('stormguard: café-ünïcode 🚨 is down');
    expect(receiver.requests[0]!.body).toContain('café-ünïcode 🚨');
  });

  it('joins the URL and topic whatever their slashes, keeping a path prefix', () => {
    expect(topicUrl('https://ntfy.example.org', 'alerts')).toBe('https://ntfy.example.org/alerts');
    expect(topicUrl('https://ntfy.example.org//', '/alerts')).toBe('https://ntfy.example.org/alerts');
    expect(topicUrl('https://example.org/ntfy/', 'alerts')).toBe('https://example.org/ntfy/alerts');
    expect(headerValue('plain: ascii')).toBe('plain: ascii');
    expect(headerValue('line\r\nInjected: yes')).toBe('line Injected: yes');
  });
});

describe('ntfy sink: failures', () => {
  it('treats 500 as retryable', async () => {
    receiver.answer = (res) => res.writeHead(500).end('boom');
    const a = store.insertIncident(incident());
    const err = await failure(sink().deliver(pending(a, 'open'), ctx(a)));
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('HTTP 500');
  });

  it('treats 429 as retryable after the Retry-After the server asked for', async () => {
    receiver.answer = (res) => res.writeHead(429, { 'Retry-After': '3' }).end('{"code":42901,"http":429,"error":"limit reached"}');
    const a = store.insertIncident(incident());
    const err = await failure(sink().deliver(pending(a, 'open'), ctx(a)));
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(3000);
  });

  it('reads a Retry-After given as an HTTP date against the clock', async () => {
    receiver.answer = (res) => res.writeHead(429, { 'Retry-After': new Date(T0 + 7_000).toUTCString() }).end();
    const a = store.insertIncident(incident());
    expect((await failure(sink().deliver(pending(a, 'open'), ctx(a)))).retryAfterMs).toBe(7000);
  });

  it('treats other 4xx as permanent and never shows the token', async () => {
    receiver.answer = (res) => res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"code":40001,"http":400,"error":"invalid request"}');
    const a = store.insertIncident(incident());
    const err = await failure(sink({ token: 'tk_secret' }).deliver(pending(a, 'open'), ctx(a)));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('HTTP 400');
    expect(err.message).toContain('invalid request');
    expect(err.message).not.toContain('tk_secret');
  });

  it('treats a refused connection as retryable', async () => {
    await receiver.close();
    const a = store.insertIncident(incident());
    const err = await failure(sink().deliver(pending(a, 'open'), ctx(a)));
    expect(err.retryable).toBe(true);
    receiver = await startReceiver();
  });

  it('times out a server that never answers, as retryable', async () => {
    const held: http.ServerResponse[] = [];
    receiver.answer = (res) => held.push(res);
    const a = store.insertIncident(incident());
    const err = await failure(sink({}, { timeoutMs: 200 }).deliver(pending(a, 'open'), ctx(a)));
    expect(err.retryable).toBe(true);
    for (const res of held) res.destroy();
  });

  it('refuses effects that are not pushes, and pushes without an incident, for good', async () => {
    const a = store.insertIncident(incident());
    const email: PendingEffect = { id: 1, incidentId: a.id, effect: { type: 'email', reason: 'fallback' }, attempts: 0 };
    expect((await failure(sink().deliver(email, ctx(a)))).retryable).toBe(false);
    const orphan: PendingEffect = { id: 2, incidentId: null, effect: { type: 'push', reason: 'open' }, attempts: 0 };
    expect((await failure(sink().deliver(orphan, null))).retryable).toBe(false);
    expect(receiver.requests).toHaveLength(0);
  });
});
