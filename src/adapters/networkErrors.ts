/**
 * Network failures in words — the one owner for the probes and the Kubernetes client alike, so the same
 * socket error reads the same wherever people meet it ("timeout after 5s", not "connection timed out"
 * in one place and "timeout after 10s" in the other). Never includes addresses or credentials.
 */
import { formatDuration } from '../core/duration.js';

/** Whether an error is a timeout or an abort of a request we bounded (fetch, client-node, our transport). */
export function isTimeoutError(err: unknown): boolean {
  const e = err as { name?: string; type?: string } | null;
  return e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.type === 'aborted';
}

/** The phrase for a Node network error code, or null for a code that is not a network failure we know. */
export function networkErrorPhrase(code: string | undefined, timeoutMs: number): string | null {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'DNS lookup failed';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `timeout after ${formatDuration(timeoutMs)}`;
    case undefined:
      return null;
    default:
      return code.startsWith('ERR_TLS') || code.includes('CERT') ? `TLS error (${code})` : null;
  }
}
