import type { Logger } from '../log.js';

/** How long one login may take and how the retries back off. */
export interface LoginRetry {
  /** A login that has not reached READY by then is abandoned and retried. */
  timeoutMs: number;
  baseDelayMs: number;
  /** The longest wait between attempts (SPEC §9: 5 minutes). */
  maxDelayMs: number;
}

/** Defaults for `stormguard run`: a minute per attempt, 5 s doubling up to 5 minutes between them. */
export const DEFAULT_LOGIN_RETRY: LoginRetry = { timeoutMs: 60_000, baseDelayMs: 5_000, maxDelayMs: 300_000 };

/** A login kept trying in the background. */
export interface LoginLoop {
  /** Resolves after the first attempt: true when it connected. */
  readonly firstAttempt: Promise<boolean>;
  /** Stops retrying (an attempt in progress is left to `reset`/destroy by the caller). */
  stop(): void;
}

/**
 * Logs in to Discord until it works, without ever failing the process: Discord being down or
 * refusing the token must not stop the checks (SPEC §9). Each failed attempt is reset (the caller's
 * `reset` destroys the half-open client) and retried after an exponential backoff capped at
 * `maxDelayMs`; discord.js itself reconnects once a session exists.
 */
export function keepLoggedIn(deps: { login: () => Promise<void>; reset: () => Promise<void>; logger: Logger; retry?: LoginRetry }): LoginLoop {
  const retry = deps.retry ?? DEFAULT_LOGIN_RETRY;
  let running = true;
  let wake: (() => void) | null = null;
  let settleFirst: (connected: boolean) => void = () => undefined;
  const firstAttempt = new Promise<boolean>((resolve) => (settleFirst = resolve));

  void (async () => {
    for (let attempt = 0; running; attempt++) {
      try {
        await withTimeout(deps.login(), retry.timeoutMs);
        settleFirst(true);
        return;
      } catch (err) {
        settleFirst(false);
        if (!running) return;
        await deps.reset().catch(() => undefined);
        const delay = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
        const reason = err instanceof Error ? err.message : String(err);
        deps.logger.warn({ err: reason, attempt: attempt + 1, retryInMs: delay }, 'Discord login failed; checks and the email fallback go on, retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    }
  })();

  return {
    firstAttempt,
    stop() {
      running = false;
      wake?.();
      settleFirst(false);
    },
  };
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no READY from the gateway within ${Math.round(ms / 1000)}s`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
