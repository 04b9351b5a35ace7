/**
 * A loopback stand-in for an ntfy server in end-to-end tests: it records every publish (method,
 * path, headers, body) and answers as ntfy does, or with a status a test sets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One publish as the receiver saw it. */
export interface Publish {
  method: string;
  /** Request path, e.g. `/homelab-alerts`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The Title header as ntfy shows it: an RFC 2047 encoded word (`=?UTF-8?B?…?=`) decoded. */
  title: string;
  body: string;
}

function decodedTitle(header: string | string[] | undefined): string {
  const value = String(header ?? '');
  const word = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/i.exec(value);
  return word ? Buffer.from(word[1]!, 'base64').toString('utf8') : value;
}

/** The running receiver. */
export interface NtfyReceiver {
  /** The base URL to configure as `notify.ntfy.url`. */
  url: string;
  /** Every publish, in order (including those answered with an error). */
  publishes: Publish[];
  /** Answers the next publishes with `status` (ntfy's JSON error), or as ntfy does with `null`. */
  failWith(status: number | null): void;
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1 and an ephemeral port. */
export async function startNtfyReceiver(): Promise<NtfyReceiver> {
  const publishes: Publish[] = [];
  let failure: number | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Recorded before answering: once the sink's fetch resolves, the publish is in the list.
      publishes.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, title: decodedTitle(req.headers.title), body: Buffer.concat(chunks).toString('utf8') });
      if (failure !== null) {
        res.writeHead(failure, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: failure * 100, http: failure, error: 'simulated failure' }));
        return;
      }
      const event = { id: `m${publishes.length}`, time: Math.floor(Date.now() / 1000), event: 'message', topic: (req.url ?? '/').slice(1) };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(event));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publishes,
    failWith(status) {
      failure = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
