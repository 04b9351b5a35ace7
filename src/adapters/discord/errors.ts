import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';
import { EffectError, isRetryableStatus } from '../../core/delivery.js';
import { REQUIRED_PERMISSION_NAMES } from './permissions.js';

/** Discord's JSON error code for posting into an archived thread. */
export const THREAD_ARCHIVED = 50083;
/** Discord's JSON error code for starting a second thread on one message. */
export const THREAD_ALREADY_CREATED = 160004;

/** Discord's JSON error code for a body it refuses (the message names the fields). */
export const INVALID_FORM_BODY = 50035;

/** How long to wait before asking again after Discord refused stormguard's setup (token, access, channel). */
export const SETUP_RETRY_MS = 3 * 60_000;

/**
 * A refusal no retry in seconds can fix (any 401, 403 or 404 for stormguard's own channel, its
 * messages and threads): Discord answers, but not for stormguard until a person fixes the token, the
 * permissions, the channel or whatever Discord named. Delivery keeps trying every few minutes so the fix
 * heals without a restart, and the email fallback covers it ("Discord cannot be told").
 */
export class DiscordSetupError extends EffectError {
  constructor(
    message: string,
    /** A stable id for metrics and /readyz: `tokenRefused`, `missingAccess`, `missingPermissions`, `unknownChannel`, `forbidden`, `notFound`. */
    readonly problem: string,
    /** What a person must do, in words. */
    readonly fix: string,
    options?: ErrorOptions,
  ) {
    super(message, true, SETUP_RETRY_MS, options);
    this.name = 'DiscordSetupError';
  }
}

/** The setup problem behind a Discord refusal (any 401, 403 or 404), or null when it is not one. */
export function setupProblem(status: number, code: number | null, channelId: string): { problem: string; fix: string } | null {
  if (status === 401) return { problem: 'tokenRefused', fix: 'Discord refuses the bot token: put a valid token in discord.token (Developer Portal → Bot → Reset Token)' };
  if (status === 403 && code === 50001)
    return { problem: 'missingAccess', fix: `the bot cannot see channel ${channelId}: invite it to the server and allow View Channel there (README: ${REQUIRED_PERMISSION_NAMES})` };
  if (status === 403 && code === 50013)
    return { problem: 'missingPermissions', fix: `the bot lacks a permission in channel ${channelId}: grant ${REQUIRED_PERMISSION_NAMES} (README, Setting up Discord)` };
  if (status === 404 && code === 10003) return { problem: 'unknownChannel', fix: `channel ${channelId} does not exist or the bot is not in its server: check discord.channelId and discord.guildId` };
  // Every other permanent refusal of our own channel (Discord's codes outnumber what we can name: 403
  // 40004 "send messages temporarily disabled", 20001, 50007; a 404 from a proxy or a deleted message)
  // still means people cannot be told there: it is a setup problem, so the email fallback covers it.
  const named = code === null || code === 0 ? `HTTP ${status}` : `HTTP ${status} code ${code}`;
  if (status === 403)
    return { problem: 'forbidden', fix: `Discord forbids the bot to post in channel ${channelId} (${named}): look the code up in Discord's JSON error codes and fix what it names` };
  if (status === 404)
    return { problem: 'notFound', fix: `Discord does not find channel ${channelId} or stormguard's message in it (${named}): check discord.channelId, discord.apiUrl and whether someone deleted the message` };
  return null;
}

/** The Discord JSON error code of an API error, or null. */
export function discordCode(err: unknown): number | null {
  return err instanceof DiscordAPIError && typeof err.code === 'number' ? err.code : null;
}

/**
 * Classifies a Discord failure in one place (Alertmanager style): 429 and 5xx and network errors are
 * worth retrying, other 4xx are not (the request itself is wrong and would fail again).
 */
export function classifyDiscordError(err: unknown, what: string, channelId = '?'): EffectError {
  if (err instanceof RateLimitError) {
    return new EffectError(`discord: ${what} rate limited`, true, Math.ceil(err.retryAfter), { cause: err });
  }
  if (err instanceof DiscordAPIError || err instanceof HTTPError) {
    const setup = setupProblem(err.status, discordCode(err), channelId);
    if (setup) return new DiscordSetupError(`discord: ${what} refused with HTTP ${err.status}: ${err.message} — ${setup.fix}`, setup.problem, setup.fix, { cause: err });
    const retryable = isRetryableStatus(err.status);
    return new EffectError(`discord: ${what} failed with HTTP ${err.status}: ${err.message}`, retryable, null, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EffectError(`discord: ${what} failed: ${message}`, true, null, { cause: err });
}
