import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { isRetryableStatus } from '../../core/delivery.js';
import { EffectError } from '../../runtime/outbox.js';

/** Discord's JSON error code for posting into an archived thread. */
export const THREAD_ARCHIVED = 50083;
/** Discord's JSON error code for starting a second thread on one message. */
export const THREAD_ALREADY_CREATED = 160004;

/** The Discord JSON error code of an API error, or null. */
export function discordCode(err: unknown): number | null {
  return err instanceof DiscordAPIError && typeof err.code === 'number' ? err.code : null;
}

/**
 * Classifies a Discord failure in one place (Alertmanager style): 429 and 5xx and network errors are
 * worth retrying, other 4xx are not (the request itself is wrong and would fail again).
 */
export function classifyDiscordError(err: unknown, what: string): EffectError {
  if (err instanceof RateLimitError) {
    return new EffectError(`discord: ${what} rate limited`, true, Math.ceil(err.retryAfter), { cause: err });
  }
  if (err instanceof DiscordAPIError || err instanceof HTTPError) {
    const retryable = isRetryableStatus(err.status);
    return new EffectError(`discord: ${what} failed with HTTP ${err.status}: ${err.message}`, retryable, null, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EffectError(`discord: ${what} failed: ${message}`, true, null, { cause: err });
}
