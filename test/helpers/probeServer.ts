import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP endpoint standing in for a service's health URL; tests choose its status. */
export interface ProbeServer {
  url: string;
  setStatus(status: number): void;
  hits(): number;
  close(): Promise<void>;
}

/** Starts a probe target answering with the chosen status (200 until told otherwise). */
export async function startProbeServer(): Promise<ProbeServer> {
  let status = 200;
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/version`,
    setStatus: (s) => void (status = s),
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
