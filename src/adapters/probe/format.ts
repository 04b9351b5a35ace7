/** Small formatting helpers shared by the probes. */
import { formatDuration } from '../../core/duration.js';

/** Maps a Node network error code to a short phrase; never includes addresses or credentials. */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; cause?: unknown } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timeout after ${formatDuration(timeoutMs)}`;
  // fetch wraps the socket error in `cause`.
  const code = e?.code ?? (e?.cause as { code?: string } | undefined)?.code;
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
      return 'request failed';
    default:
      return code.startsWith('ERR_TLS') || code.includes('CERT') ? `TLS error (${code})` : `request failed (${code})`;
  }
}
