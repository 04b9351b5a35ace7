/**
 * The simulator's HTTP layer: loopback listener, request log and fault injection in front of the
 * router. Faults apply before routing, so a "down" API never changes state.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterModel } from './model.js';
import { route } from './routes.js';
import { failure } from './status.js';

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
  failNext: { count: number; status: number };
  latencyMs: number;
}

/** Serves `model` on 127.0.0.1 and records every request in `log`. */
export class SimHttpServer {
  private server: Server | null = null;

  constructor(
    private readonly model: ClusterModel,
    private readonly faults: Faults,
    private readonly log: SimRequestRecord[],
  ) {}

  /** Listens on an ephemeral loopback port and returns the base URL. */
  async start(): Promise<string> {
    if (this.server) throw new Error('kube simulator: already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug in the simulator must be visible to the client, not hang it.
        if (!res.headersSent) send(res, 500, failure(500, 'InternalError', `simulator error: ${String(err)}`).body);
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Closes the listener and every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
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
      send(res, code, failure(code, code === 503 ? 'ServiceUnavailable' : 'InternalError', 'injected failure').body);
      return;
    }

    this.model.reconcile();
    const out = route(this.model, {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType,
      body,
    });
    send(res, out.code, out.body);
    // Listeners see the request once its effect is real (crash tests kill the bot right here).
    for (const listener of this.answered) listener({ method: req.method ?? 'GET', path: url.pathname, code: out.code });
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

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
