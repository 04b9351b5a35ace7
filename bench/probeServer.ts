/**
 * A loopback HTTP endpoint standing in for many services' health URLs: `/<target>` answers after
 * `delayMs` real milliseconds with 200, or with the status set for that target.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The running endpoint. */
export interface BenchProbeServer {
  /** Base URL; a target's health URL is `${url}/${name}`. */
  url: string;
  /** Sets the status `name` answers with (200 is healthy). */
  setStatus(name: string, status: number): void;
  hits(): number;
  close(): Promise<void>;
}

/** Starts the endpoint on 127.0.0.1 and an ephemeral port. */
export async function startBenchProbeServer(delayMs = 0): Promise<BenchProbeServer> {
  const statuses = new Map<string, number>();
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    const name = (req.url ?? '/').slice(1);
    const answer = () => {
      const status = statuses.get(name) ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(`{"status":${status}}`);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  // Many probes in flight at once; keep-alive connections are reused between cycles.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setStatus: (name, status) => void statuses.set(name, status),
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
