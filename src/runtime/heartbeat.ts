import { splitUserinfo, urlHost } from '../config/urls.js';
import type { Logger } from '../log.js';

/** A dead man's switch pinged after each completed cycle (SPEC §8 "who watches the watcher"). */
export interface Heartbeat {
  /** Starts one GET in the background; never throws and never delays the caller. */
  ping(): void;
  /** Resolves when every ping started so far has finished (shutdown and tests). */
  settled(): Promise<void>;
}

/**
 * Creates the heartbeat for `url` (`user:password@` in it is sent as basic auth). A failure (network,
 * timeout, non-2xx) is logged as a warning naming only the host: the URL's path is the secret that
 * lets anyone ping the check.
 */
export function createHeartbeat(options: { url: string; logger: Logger; timeoutMs?: number }): Heartbeat {
  const host = urlHost(options.url);
  // fetch refuses a URL with credentials: they travel as a header, as for ntfy and Alertmanager.
  const { url, authorization } = splitUserinfo(options.url);
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const timeoutMs = options.timeoutMs ?? 10_000;
  const inFlight = new Set<Promise<void>>();

  async function send(): Promise<void> {
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer();
      if (!response.ok) options.logger.warn({ host, status: response.status }, 'heartbeat ping refused');
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string } };
      const reason = e.name === 'TimeoutError' ? `timeout after ${timeoutMs}ms` : (e.cause?.code ?? e.name ?? 'error');
      options.logger.warn({ host, reason }, 'heartbeat ping failed');
    }
  }

  return {
    ping() {
      const run = send().finally(() => inFlight.delete(run));
      inFlight.add(run);
    },
    async settled() {
      await Promise.all([...inFlight]);
    },
  };
}
