import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in for a service's health endpoint (Frigate's /api/version) whose answer the demo chooses. */
export interface ServiceStub {
  url: string;
  setHealthy(healthy: boolean): void;
  close(): Promise<void>;
}

/** Starts the stand-in on loopback, healthy until told otherwise. */
export async function startServiceStub(): Promise<ServiceStub> {
  let healthy = true;
  const server = http.createServer((_req, res) => {
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ healthy }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/version`,
    setHealthy: (h) => void (healthy = h),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
