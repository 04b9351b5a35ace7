/** Classifies ntfy's HTTP answers in one place: whether publishing again can succeed. */
import { EffectError, isRetryableStatus } from '../../core/delivery.js';

/**
 * Turns a non-2xx ntfy response into an `EffectError`: 429 (with its `Retry-After`, in seconds or
 * as an HTTP date) and 5xx are retryable, any other status is permanent — the request itself is
 * wrong (bad topic, bad token) and would fail again. The body (ntfy's JSON error) is quoted briefly.
 */
export function classifyNtfyResponse(status: number, retryAfter: string | null, body: string, now: number): EffectError {
  const retryable = isRetryableStatus(status);
  const detail = body.trim().replace(/\s+/g, ' ').slice(0, 200);
  const message = `ntfy: publish failed with HTTP ${status}${detail ? `: ${detail}` : ''}`;
  return new EffectError(message, retryable, status === 429 ? retryAfterMs(retryAfter, now) : null);
}

/** `Retry-After` in milliseconds from now, or null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
