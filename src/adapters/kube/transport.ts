/**
 * The few API calls the bot makes besides watches — an informer's list, a restart's patch or pod
 * deletion, the Lease — as plain JSON requests, authenticated by client-node's `KubeConfig` (tokens,
 * client certificates, exec plugins, proxies: its `applyToHTTPSOptions`). Why not client-node's typed
 * APIs: each of them imports the whole generated API of every group (`ObjectParamAPI`), about 4 MB of
 * code that stayed resident in the bot; the calls below need none of its (de)serialisation, because
 * the caches keep plain objects anyway.
 */
import http, { STATUS_CODES, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { ApiException, type KubeConfig } from './clientNode.js';

/**
 * The largest answer a request reads (64 MiB): a list is read a page at a time (`limit`), so an
 * answer this large is a broken or hostile server, and reading on would end in V8's string limit
 * (512 MiB), an error no caller can catch.
 */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The longest line a watch stream may send (16 MiB): one line is one event carrying one object, and
 * the API server refuses objects over 3 MiB; a longer line is dropped with the stream, not buffered.
 */
export const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;

/** An answer or a watch line over its bound: the exchange was dropped, nothing of it was kept. */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

/** A request to the API server; answers the parsed JSON body of a 2xx, throws `ApiException` otherwise. */
export type KubeRequest = <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options?: RequestOptions) => Promise<T>;

/** What a request may carry besides its method and path. */
export interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Of the body; JSON unless said (a strategic merge patch says so). */
  contentType?: string;
  /** The answer is plain text (a container's log): returned as read, not parsed. */
  text?: boolean;
}

/**
 * Makes requests to the kubeconfig's current cluster, each aborted after `timeoutMs` so a hung API
 * server cannot stall a cycle. Non-2xx answers throw client-node's `ApiException` with the status and
 * the body, as its typed APIs do, so errors read the same everywhere (`describeKubeError`).
 */
export function createKubeRequest(kc: KubeConfig, timeoutMs: number, maxBodyBytes = MAX_BODY_BYTES): KubeRequest {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kube: the kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/+$/, '');
  return async <T>(method: string, path: string, options: RequestOptions = {}): Promise<T> => {
    const url = new URL(server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const opts: https.RequestOptions = { method, headers: { Accept: options.text ? 'text/plain, */*' : 'application/json' } };
    // Sets the agent (TLS material, proxy) and the Authorization header from the kubeconfig's user.
    await kc.applyToHTTPSOptions(opts);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) Object.assign(opts.headers!, { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) });
    const { status, text, headers } = await send(url, { ...opts, signal: AbortSignal.timeout(timeoutMs) }, body, maxBodyBytes);
    if (status < 200 || status > 299) throw new ApiException(status, `HTTP ${status} from ${method} ${url.pathname}`, text, headers);
    if (options.text) return text as T;
    try {
      return (text === '' ? {} : JSON.parse(text)) as T;
    } catch (cause) {
      throw new Error(`kube: the answer to ${method} ${url.pathname} is not JSON`, { cause });
    }
  };
}

/** One HTTP exchange, the whole body (at most `maxBodyBytes`) read as text; every failure rejects, none throws in a listener. */
function send(url: URL, opts: https.RequestOptions, body: string | undefined, maxBodyBytes: number): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (bytes > maxBodyBytes) return;
        bytes += chunk.length;
        if (bytes <= maxBodyBytes) return void chunks.push(chunk);
        // Drop what was read and the connection: the rest of the answer is never read.
        chunks.length = 0;
        const err = new TooLargeError(`the answer to ${opts.method} ${url.pathname} exceeds ${formatBytes(maxBodyBytes)}`);
        reject(err);
        req.destroy(err);
      });
      res.on('error', reject);
      // A socket destroyed mid-body (the timeout, a reset) may end the response without an error.
      res.on('close', () => {
        if (!res.complete) reject(opts.signal?.reason ?? new Error('the connection closed before the answer was complete'));
      });
      res.on('end', () => {
        try {
          const headers: Record<string, string> = {};
          for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) headers[key] = String(value);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers });
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A watch in progress; `abort()` ends it (its `done` is then called with an `AbortError`). */
export interface WatchHandle {
  abort(): void;
}

/**
 * Opens a watch (`?watch=true` and `query`) on a collection path: `onEvent` gets each event's type and
 * object, `done` is called once when the stream ends — `null` for a clean end, else the error (an HTTP
 * refusal carries `statusCode`). Resolves once the server answered (or the attempt failed), as
 * client-node's `Watch.watch` does.
 */
export type KubeWatch = (path: string, query: Record<string, string | number | boolean>, onEvent: (type: string, object: unknown) => void, done: (err: unknown) => void) => Promise<WatchHandle>;

/**
 * Watches over plain HTTP with the kubeconfig's credentials, reading the stream line by line with a
 * bound: a line longer than `maxLineBytes` ends the watch with a `TooLargeError` instead of being
 * buffered (client-node's `Watch` hands the body to `readline`, which buffers a line of any length).
 * A line that is not JSON, or that `onEvent` throws on, ends the watch too: skipping it would lose an event.
 */
export function createKubeWatch(kc: KubeConfig, maxLineBytes = MAX_WATCH_LINE_BYTES): KubeWatch {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kube: the kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/+$/, '');
  return async (path, query, onEvent, done) => {
    const controller = new AbortController();
    let finished = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      controller.abort();
      done(err);
    };
    const handle: WatchHandle = { abort: () => finish(Object.assign(new Error('the watch was aborted'), { name: 'AbortError' })) };
    const url = new URL(server + path);
    url.searchParams.set('watch', 'true');
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (err) {
      finish(err);
      return handle;
    }
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<WatchHandle>((resolve) => {
      const req = transport.request(url, { ...opts, signal: controller.signal }, (res) => {
        resolve(handle);
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          // As client-node's Watch: the status line, not the body, with the code in `statusCode`.
          finish(Object.assign(new Error(res.statusMessage || STATUS_CODES[status] || 'Internal Server Error'), { statusCode: status }));
          return;
        }
        readLines(res, maxLineBytes, (line) => {
          if (finished) return;
          try {
            const event = JSON.parse(line) as { type?: unknown; object?: unknown };
            onEvent(String(event.type), event.object);
          } catch (err) {
            finish(new Error(`watch: an event could not be read (${(err as Error).message})`, { cause: err }));
          }
        }, finish);
      });
      req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
      req.on('error', (err) => {
        resolve(handle);
        finish(err);
      });
      req.end();
    });
  };
}

/**
 * Splits a response into lines of at most `maxLineBytes`, holding only the unfinished line; calls
 * `end` once: null when the body ended completely, else why it did not.
 */
function readLines(res: IncomingMessage, maxLineBytes: number, line: (text: string) => void, end: (err: unknown) => void): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let dropped = false;
  const tooLong = () => {
    dropped = true;
    pending = [];
    end(new TooLargeError(`watch: a line exceeds ${formatBytes(maxLineBytes)}; the stream was dropped`));
    res.destroy();
  };
  res.on('data', (chunk: Buffer) => {
    if (dropped) return;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (pendingBytes + piece.length > maxLineBytes) return tooLong();
      const text = (pending.length === 0 ? piece : Buffer.concat([...pending, piece])).toString('utf8');
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
      if (text.trim() !== '') line(text);
    }
    if (start === chunk.length) return;
    pendingBytes += chunk.length - start;
    if (pendingBytes > maxLineBytes) return tooLong();
    pending.push(chunk.subarray(start));
  });
  res.on('error', end);
  res.on('end', () => {
    // The stream ends with a newline; a last unfinished line is an event cut short.
    end(pendingBytes === 0 ? null : new Error('watch: the stream ended in the middle of an event'));
  });
  res.on('close', () => {
    if (!res.complete) end(new Error('watch: the connection closed in the middle of the stream'));
  });
}

/** `64 MiB`, for messages. */
function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MiB` : n >= 1024 ? `${Math.round(n / 1024)} KiB` : `${n} bytes`;
}
