/** Short, secret-free descriptions of Kubernetes client failures. */
import { ApiException } from '@kubernetes/client-node';

/** One line for logs and snapshots: `HTTP 500: injected failure`, `connection refused`, `timeout after 10s`. */
export function describeKubeError(err: unknown, timeoutMs: number): string {
  if (err instanceof ApiException) {
    const message = statusMessage(err.body);
    return `HTTP ${err.code}${message ? `: ${truncate(message)}` : ''}`;
  }
  const e = err as { name?: string; type?: string; code?: string; errno?: string; message?: string } | null;
  if (e?.name === 'AbortError' || e?.type === 'aborted' || e?.name === 'TimeoutError') return `timeout after ${formatMs(timeoutMs)}`;
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
  return truncate(reason ?? e?.message ?? String(err));
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

function truncate(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** `10000` → `10s`, `250` → `250ms`. */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
