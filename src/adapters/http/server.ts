/** The operations endpoints (SPEC §8): /healthz, /readyz and /metrics on a plain `node:http` server. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../log.js';

/** What /readyz reports: ready only when every check passes. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, boolean>;
  /** For a failing check, what is wrong and what to do, in words (`database`: "the disk holding … is full"). */
  reasons?: Record<string, string>;
}

/** What the server answers from. */
export interface HttpServerOptions {
  /** `0.0.0.0` in a pod; tests use `127.0.0.1`. */
  host: string;
  /** 0 picks a free port (tests); `config.http.port` 0 means no server at all and is decided by the caller. */
  port: number;
  readiness: () => Readiness;
  registry: Registry;
  logger: Logger;
  /** Further endpoints by path, which handle their own methods (`POST /alertmanager`). */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>>;
}

/** A listening server. */
export interface HttpServer {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts listening; rejects when the port cannot be bound (a second bot on the same port is a mistake). */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      options.logger.error({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // Probes and scrapes are short; idle keep-alive connections must not hold up shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = options.routes?.[path];
  if (route) return route(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz':
      // Alive is all it says: a Discord or cluster outage must not get the pod killed.
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    case '/readyz': {
      const readiness = options.readiness();
      send(res, readiness.ready ? 200 : 503, 'application/json', `${JSON.stringify(readiness)}\n`);
      return;
    }
    case '/metrics':
      send(res, 200, options.registry.contentType, await options.registry.metrics());
      return;
    default:
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
