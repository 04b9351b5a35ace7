import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP endpoint standing in for a service's health URL; tests choose its status, or that it hangs. */
export interface ProbeServer {
  url: string;
  /** Sets the status (and optionally the reason phrase) of every following answer. */
  setStatus(status: number, reason?: string): void;
  /**
   * While hanging, requests are accepted and never answered (as behind a broken network path or a
   * stuck service), so the probe runs into its timeout; turning it off answers the next requests again.
   */
  setHanging(hanging: boolean): void;
  hits(): number;
  close(): Promise<void>;
}

/** Starts a probe target answering with the chosen status (200 until told otherwise). */
export async function startProbeServer(): Promise<ProbeServer> {
  let status = 200;
  let reason: string | undefined;
  let hits = 0;
  let hanging = false;
  const server = http.createServer((_req, res) => {
    hits++;
    // The prober gives up at its timeout and destroys the connection; close() cuts whatever is left.
    if (hanging) return;
    if (reason) res.statusMessage = reason;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/version`,
    setStatus: (s, r) => {
      status = s;
      reason = r;
    },
    setHanging: (h) => {
      hanging = h;
    },
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
