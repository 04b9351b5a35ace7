/**
 * Reads the last lines of a container's log (`GET /api/v1/namespaces/{ns}/pods/{name}/log`) for the
 * evidence note and `/logs`. A read that fails — RBAC's 403, a pod gone (404), a container that never
 * started (400), a timeout — is a value saying why, never an error: evidence is a courtesy, it must not
 * break the incident it explains.
 *
 * Why not client-node's `CoreV1Api.readNamespacedPodLog`: the typed API brings the whole generated
 * client into the bot (see transport.ts); this is one GET with the same credentials.
 */
import { LOG_LIMIT_BYTES, LOG_TAIL_LINES, type LogRead, type LogSource } from '../../core/evidence.js';
import { loadKubeConfig, type KubeConfigSource } from './config.js';
import { describeKubeError } from './errors.js';
import { createKubeRequest, type KubeRequest } from './transport.js';

/** Reads container logs; never throws. */
export interface LogReader {
  /** The last {@link LOG_TAIL_LINES} lines of `source`'s container in `namespace`, or why they could not be read. */
  read(namespace: string, source: LogSource): Promise<LogRead>;
}

/** Options of {@link createLogReader}. */
export interface LogReaderOptions extends KubeConfigSource {
  /** How long one read may take (default 5 s: the note waits for it, a restart may wait behind it). */
  timeoutMs?: number;
}

/** The API path of a pod's log. */
export function podLogPath(namespace: string, pod: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`;
}

/** A log reader over the kubeconfig stormguard uses, loaded at the first read (a kubeconfig that cannot be loaded is that read's why). */
export function createLogReader(options: LogReaderOptions): LogReader {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let request: KubeRequest | null = null;
  return {
    async read(namespace, source) {
      const query: Record<string, string> = { tailLines: String(LOG_TAIL_LINES), limitBytes: String(LOG_LIMIT_BYTES) };
      if (source.container !== null) query.container = source.container;
      if (source.previous) query.previous = 'true';
      try {
        // Loaded at the first read: a bot that never needs a log never needs this to work.
        // The answer is bounded twice: the API cuts at limitBytes, the transport drops anything far beyond it.
        request ??= createKubeRequest(loadKubeConfig(options), timeoutMs, LOG_LIMIT_BYTES * 4);
        const text = await request<string>('GET', podLogPath(namespace, source.pod), { query, text: true });
        return { ok: true, text };
      } catch (err) {
        return { ok: false, why: describeKubeError(err, timeoutMs) };
      }
    },
  };
}
