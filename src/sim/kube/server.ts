/**
 * The simulator's HTTP layer: loopback listener, request log and fault injection in front of the
 * router. Faults apply before routing, so a "down" API never changes state.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { PlainText } from './logs.js';
import type { ClusterModel } from './model.js';
import { route, watchSelection } from './routes.js';
import { failure } from './status.js';
import { WatchJournal, type WatchOptions } from './watch.js';

/** One request the simulator received (including ones a fault made fail). */
export interface SimRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  /** Sim-clock time. */
  at: number;
}

/** Fault switches, read on every request. */
export interface Faults {
  apiDown: boolean;
  /** Path prefixes answered with a fixed HTTP status (RBAC refusing one namespace, a missing API). */
  failPaths: Map<string, number>;
  failNext: { count: number; status: number };
  latencyMs: number;
  /** How every watch request is answered instead of a stream, until cleared. */
  watchFault: SimWatchFault | null;
}

/**
 * A misbehaving watch: `gone` answers each watch with HTTP `410 Expired`, `goneEvent` with a stream
 * holding only an `ERROR` event of code 410 (an API server whose history never reaches the client),
 * `emptyBody` with a 200 and an empty body that ends at once (a proxy cutting watches).
 */
export type SimWatchFault = 'gone' | 'goneEvent' | 'emptyBody';

/** Serves `model` on 127.0.0.1 and records every request in `log`. */
export class SimHttpServer {
  private server: Server | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  /** Body bytes written (answers and watch streams), for the benchmark's bytes-per-hour. */
  bytesSent = 0;
  /** Change events and open watch streams. */
  readonly watch: WatchJournal;

  constructor(
    private readonly model: ClusterModel,
    private readonly faults: Faults,
    private readonly log: SimRequestRecord[],
    watchOptions: WatchOptions = {},
  ) {
    this.watch = new WatchJournal(model, { ...watchOptions, onBytes: (n) => (this.bytesSent += n) });
  }

  /** Catches up with the clock and publishes what changed to the watchers. */
  publish(): void {
    this.model.reconcile();
    this.watch.sync();
  }

  /** Listens on an ephemeral loopback port and returns the base URL. */
  async start(): Promise<string> {
    if (this.server) throw new Error('kube simulator: already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug in the simulator must be visible to the client, not hang it.
        if (!res.headersSent) this.send(res, 500, failure(500, 'InternalError', `simulator error: ${String(err)}`).body);
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    // Time alone moves rollouts on; watchers hear of it within 100 ms (real time) even when no request comes.
    this.syncTimer = setInterval(() => {
      if (this.watch.openStreams > 0) this.publish();
    }, 100).unref();
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Closes the listener and every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.watch.closeAll();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sim');
    const contentType = req.headers['content-type'] ?? null;
    this.log.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType,
      at: this.model.now(),
    });

    if (this.faults.apiDown) {
      // Closest to "connection refused" a live listener can get: the client sees its socket die.
      req.socket.destroy();
      return;
    }
    if (this.faults.latencyMs > 0) await sleep(this.faults.latencyMs);
    if (this.faults.failNext.count > 0) {
      this.faults.failNext.count--;
      const code = this.faults.failNext.status;
      this.send(res, code, failure(code, code === 503 ? 'ServiceUnavailable' : 'InternalError', 'injected failure').body);
      return;
    }

    const refused = [...this.faults.failPaths].find(([prefix]) => url.pathname.startsWith(prefix));
    if (refused) {
      const [, code] = refused;
      const reason = code === 403 ? 'Forbidden' : code === 404 ? 'NotFound' : 'InternalError';
      this.send(res, code, failure(code, reason, `injected ${code} for ${url.pathname}`).body);
      return;
    }

    this.publish();
    const watch = url.searchParams.get('watch');
    if (req.method === 'GET' && (watch === '1' || watch === 'true')) {
      const selection = watchSelection(url.pathname, url.searchParams, this.model);
      if ('code' in selection) this.send(res, selection.code, selection.body);
      else if (this.faults.watchFault) this.misanswerWatch(res, this.faults.watchFault, url.searchParams);
      else this.watch.serve(req, res, selection, url.searchParams);
      return;
    }
    const out = route(this.model, {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType,
      body,
      accept: req.headers.accept ?? null,
    });
    this.send(res, out.code, out.body);
    this.publish();
    // Listeners see the request once its effect is real (crash tests kill the bot right here).
    for (const listener of this.answered) listener({ method: req.method ?? 'GET', path: url.pathname, code: out.code });
  }

  /** Answers a watch as `fault` says (the request was authorised and well-formed). */
  private misanswerWatch(res: ServerResponse, fault: SimWatchFault, query: URLSearchParams): void {
    const expired = failure(410, 'Expired', `too old resource version: ${query.get('resourceVersion') || '0'} (${this.watch.headRv})`);
    if (fault === 'gone') return this.send(res, expired.code, expired.body);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    if (fault === 'emptyBody') return void res.end();
    const line = `${JSON.stringify({ type: 'ERROR', object: expired.body })}\n`;
    this.bytesSent += Buffer.byteLength(line);
    res.end(line);
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    this.bytesSent += send(res, code, body);
  }

  /** Listeners called right after each routed answer is written. */
  readonly answered = new Set<(answer: SimAnswer) => void>();
}

/** One answered request, as `onAnswered` listeners see it. */
export interface SimAnswer {
  method: string;
  path: string;
  code: number;
}

function send(res: ServerResponse, code: number, body: unknown): number {
  if (body instanceof PlainText) {
    // Pod logs are plain text, not JSON.
    const length = Buffer.byteLength(body.text);
    res.writeHead(code, { 'content-type': 'text/plain', 'content-length': length });
    res.end(body.text);
    return length;
  }
  const text = JSON.stringify(body);
  const length = Buffer.byteLength(text);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': length });
  res.end(text);
  return length;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
