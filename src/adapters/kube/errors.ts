/** Short, secret-free descriptions of Kubernetes client failures. */
import { ApiException } from './clientNode.js';
import { formatDuration } from '../../core/duration.js';
import { clip } from '../../core/text.js';

/** One line for logs and snapshots: `HTTP 500: injected failure`, `connection refused`, `timeout after 10s`. */
export function describeKubeError(err: unknown, timeoutMs: number): string {
  if (err instanceof ApiException) {
    const message = statusMessage(err.body);
    return `HTTP ${err.code}${message ? `: ${clip(message, MAX_DETAIL)}` : ''}`;
  }
  const e = err as { name?: string; type?: string; code?: string; errno?: string; message?: string; statusCode?: unknown } | null;
  // A refused watch is an Error with the status text and `statusCode` (transport.ts, as client-node's Watch).
  if (typeof e?.statusCode === 'number') return `HTTP ${e.statusCode}${e.message ? `: ${clip(e.message, MAX_DETAIL)}` : ''}`;
  if (e?.name === 'AbortError' || e?.type === 'aborted' || e?.name === 'TimeoutError') return `timeout after ${formatDuration(timeoutMs)}`;
  const code = e?.code ?? e?.errno;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS lookup failed';
    case 'ETIMEDOUT':
      return 'connection timed out';
    default:
      break;
  }
  // node-fetch messages embed the URL; keep only the reason.
  const reason = /reason: (.*)$/.exec(e?.message ?? '')?.[1];
  return clip(reason ?? e?.message ?? String(err), MAX_DETAIL);
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const msg = (parsed as { message?: unknown } | null)?.message;
  return typeof msg === 'string' ? msg : undefined;
}

/** Kubernetes messages can quote whole objects; a line in a log or a snapshot needs the start. */
const MAX_DETAIL = 160;
