/** Small formatting helpers shared by the probes. */
import { formatDuration } from '../../core/duration.js';
import { isTimeoutError, networkErrorPhrase } from '../networkErrors.js';

/** Maps a Node network error to a short phrase; never includes addresses or credentials. */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (isTimeoutError(err)) return `timeout after ${formatDuration(timeoutMs)}`;
  const e = err as { code?: string; cause?: unknown } | null;
  // fetch wraps the socket error in `cause`.
  const code = e?.code ?? (e?.cause as { code?: string } | undefined)?.code;
  if (code === undefined) return 'request failed';
  return networkErrorPhrase(code, timeoutMs) ?? `request failed (${code})`;
}
