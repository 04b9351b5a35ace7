/**
 * The simulator's HTTP layer: one loopback listener for REST (`/api/v10/...`) and the gateway
 * upgrade, the request log, `Authorization` checks and fault injection. Faults apply before
 * routing, so a failed request never changes state.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseForm, type UploadedFile } from './attachments.js';
import type { Gateway } from './gateway.js';
import { fail, handleRest, isTokenRoute, type RestContext, type RestReply } from './rest.js';
import { formErrors } from './validate.js';

const PREFIX = '/api/v10';

/** One REST request the simulator received, including those a fault answered. */
export interface DiscordRequestRecord {
  method: string;
  /** Path below `/api/v10`, percent-decoded (`/webhooks/1/tok/messages/@original`). */
  path: string;
  status: number;
  /** Sim-clock time. */
  at: number;
  /** What the `Authorization` header held — never the token itself. */
  auth: 'bot' | 'none' | 'invalid';
  /** The parsed JSON body, if any (a multipart body's `payload_json`). */
  body: unknown;
  /** The `files[n]` parts of a multipart body (empty for JSON): what was uploaded, bytes included. */
  files: UploadedFile[];
}

/** Fault switches, read on every request. */
export interface RestFaults {
  down: boolean;
  latencyMs: number;
  failNext: { count: number; status: number };
  rateLimitNext: { count: number; retryAfterSeconds: number };
  /** While set, every request for this channel, its messages or its threads is refused with this error. */
  refuseChannel: { channelId: string; status: number; code: number; message: string } | null;
}

/** Serves REST and the gateway on 127.0.0.1. */
export class DiscordHttpServer {
  private server: Server | null = null;

  constructor(
    private readonly ctx: RestContext,
    private readonly gateway: Gateway,
    private readonly faults: RestFaults,
    private readonly log: DiscordRequestRecord[],
    private readonly botToken: string,
  ) {}

  /** Listens on an ephemeral loopback port and returns the http origin. */
  async start(): Promise<string> {
    if (this.server) throw new Error('discord simulator: already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A simulator bug must reach the client as an error, not hang it.
        if (!res.headersSent) send(res, fail(500, 0, `simulator error: ${String(err)}`));
        else res.destroy();
      });
    });
    server.on('upgrade', (req, socket, head) => this.gateway.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Closes the listener, the gateway and every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.gateway.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const path = url.pathname.startsWith(PREFIX)
      ? url.pathname.slice(PREFIX.length).split('/').map(safeDecode).join('/')
      : url.pathname;
    const header = req.headers.authorization;
    const auth = header === undefined ? 'none' : header === `Bot ${this.botToken}` ? 'bot' : 'invalid';
    const contentType = req.headers['content-type'] ?? '';
    const form = contentType.startsWith('multipart/form-data') ? await parseForm(raw, contentType) : null;
    let body: unknown;
    if (form?.ok) body = form.body;
    else if (form === null) {
      const text = raw.toString('utf8');
      try {
        body = text.length === 0 ? undefined : (JSON.parse(text) as unknown);
      } catch {
        body = text;
      }
    }
    const files = form?.ok ? form.files : [];
    const record: DiscordRequestRecord = { method, path, status: 0, at: this.ctx.model.now(), auth, body, files };
    this.log.push(record);

    if (this.faults.down) {
      // The nearest a live listener gets to "connection refused": the client's socket dies.
      record.status = 0;
      req.socket.destroy();
      return;
    }
    if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);
    const refusedForm = form && !form.ok ? fail(form.status, form.code, form.message, form.issues ? { errors: formErrors(form.issues) } : {}) : null;
    const reply = this.injected() ?? this.refusedChannel(path) ?? refusedForm ?? this.route(method, path, url, body, files, auth);
    record.status = reply.status;
    send(res, reply, reply.status === 429 ? rateLimitHeaders(this.faults.rateLimitNext.retryAfterSeconds, this.ctx.model.now()) : {});
    // Listeners see the request once its effect is real (crash tests kill the bot right here).
    for (const listener of this.answered) listener(record);
  }

  /** Listeners called right after each answer is written. */
  readonly answered = new Set<(record: DiscordRequestRecord) => void>();

  private injected(): RestReply | null {
    const { rateLimitNext, failNext } = this.faults;
    if (rateLimitNext.count > 0) {
      rateLimitNext.count--;
      return { status: 429, body: { code: 0, message: 'You are being rate limited.', retry_after: rateLimitNext.retryAfterSeconds, global: false } };
    }
    if (failNext.count > 0) {
      failNext.count--;
      return fail(failNext.status, 0, failNext.status === 502 ? '502: Bad Gateway' : `${failNext.status}: Internal Server Error`);
    }
    return null;
  }

  /** The standing refusal of one channel (and its threads), as Discord answers a bot it has turned away there. */
  private refusedChannel(path: string): RestReply | null {
    const refusal = this.faults.refuseChannel;
    const id = /^\/channels\/(\d+)/.exec(path)?.[1];
    if (!refusal || id === undefined) return null;
    const parent = this.ctx.model.channels.get(id)?.parentId;
    if (id !== refusal.channelId && parent !== refusal.channelId) return null;
    return fail(refusal.status, refusal.code, refusal.message);
  }

  private route(method: string, path: string, url: URL, body: unknown, files: UploadedFile[], auth: DiscordRequestRecord['auth']): RestReply {
    if (!url.pathname.startsWith(`${PREFIX}/`)) return fail(404, 0, '404: Not Found');
    if (!isTokenRoute(path) && auth !== 'bot') return fail(401, 0, '401: Unauthorized');
    return handleRest(this.ctx, { method, path, query: url.searchParams, body, files });
  }
}

/** The headers Discord sends with a per-route 429 (seconds, possibly fractional). */
function rateLimitHeaders(retryAfterSeconds: number, now: number): Record<string, string> {
  return {
    'retry-after': String(retryAfterSeconds),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String((now / 1000 + retryAfterSeconds).toFixed(3)),
    'x-ratelimit-reset-after': String(retryAfterSeconds),
    'x-ratelimit-bucket': 'simulated-bucket',
    'x-ratelimit-scope': 'user',
  };
}

function send(res: ServerResponse, reply: RestReply, headers: Record<string, string> = {}): void {
  if (reply.body === undefined) {
    // No content-type on 204: @discordjs/rest would try to parse an empty body as JSON.
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  // Bytes, not text: an uploaded file must arrive byte for byte.
  return Buffer.concat(chunks);
}
