/**
 * The few API calls the bot makes besides watches — an informer's list, a restart's patch or pod
 * deletion, the Lease — as plain JSON requests, authenticated by client-node's `KubeConfig` (tokens,
 * client certificates, exec plugins, proxies: its `applyToHTTPSOptions`). Why not client-node's typed
 * APIs: each of them imports the whole generated API of every group (`ObjectParamAPI`), about 4 MB of
 * code that stayed resident in the bot; the calls below need none of its (de)serialisation, because
 * the caches keep plain objects anyway.
 */
import http from 'node:http';
import https from 'node:https';
import { ApiException, type KubeConfig } from './clientNode.js';

/** A request to the API server; answers the parsed JSON body of a 2xx, throws `ApiException` otherwise. */
export type KubeRequest = <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, options?: RequestOptions) => Promise<T>;

/** What a request may carry besides its method and path. */
export interface RequestOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Of the body; JSON unless said (a strategic merge patch says so). */
  contentType?: string;
}

/**
 * Makes requests to the kubeconfig's current cluster, each aborted after `timeoutMs` so a hung API
 * server cannot stall a cycle. Non-2xx answers throw client-node's `ApiException` with the status and
 * the body, as its typed APIs do, so errors read the same everywhere (`describeKubeError`).
 */
export function createKubeRequest(kc: KubeConfig, timeoutMs: number): KubeRequest {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kube: the kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/+$/, '');
  return async <T>(method: string, path: string, options: RequestOptions = {}): Promise<T> => {
    const url = new URL(server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const opts: https.RequestOptions = { method, headers: { Accept: 'application/json' } };
    // Sets the agent (TLS material, proxy) and the Authorization header from the kubeconfig's user.
    await kc.applyToHTTPSOptions(opts);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    if (body !== undefined) Object.assign(opts.headers!, { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) });
    const { status, text, headers } = await send(url, { ...opts, signal: AbortSignal.timeout(timeoutMs) }, body);
    if (status < 200 || status > 299) throw new ApiException(status, `HTTP ${status} from ${method} ${url.pathname}`, text, headers);
    return (text === '' ? {} : JSON.parse(text)) as T;
  };
}

/** One HTTP exchange, the whole body read as text. */
function send(url: URL, opts: https.RequestOptions, body: string | undefined): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const transport = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      // A socket destroyed mid-body (the timeout, a reset) may end the response without an error.
      res.on('close', () => {
        if (!res.complete) reject(opts.signal?.reason ?? new Error('the connection closed before the answer was complete'));
      });
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) headers[key] = String(value);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
