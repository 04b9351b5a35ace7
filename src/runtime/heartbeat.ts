import { splitUserinfo, urlHost } from '../config/urls.js';
import { guessHeartbeatKind, heartbeatRequest, type CycleVerdict, type HeartbeatKind, type HeartbeatSignal } from '../core/heartbeat.js';
import type { Logger } from '../log.js';

/** A dead man's switch told about each cycle in its monitor's dialect (SPEC §14 "watching the watcher"). */
export interface Heartbeat {
  /** The dialect spoken: `heartbeat.kind`, else guessed from the URL. */
  readonly kind: HeartbeatKind;
  /** Says a cycle starts (healthchecks `/start` when asked; nothing otherwise), in the background. */
  start(): void;
  /** Says how a cycle ended, in the background; never throws and never delays the caller. */
  report(verdict: CycleVerdict): void;
  /** Says a whole cycle ended (`report({ whole: true })`). */
  ping(): void;
  /** Resolves when every request started so far has finished (shutdown and tests). */
  settled(): Promise<void>;
}

/** What the heartbeat needs: the URL (a secret), its dialect, healthchecks' `/start`, Gatus's token. */
export interface HeartbeatOptions {
  url: string;
  kind?: HeartbeatKind;
  start?: boolean;
  token?: string;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * Creates the heartbeat for `url` (`user:password@` in it is sent as basic auth; `token` as a bearer
 * token, as Gatus wants). A failure (network, timeout, non-2xx) is logged as a warning naming only
 * the host: the URL's path is the secret that lets anyone ping the check.
 */
export function createHeartbeat(options: HeartbeatOptions): Heartbeat {
  const host = urlHost(options.url);
  const kind = options.kind ?? guessHeartbeatKind(options.url);
  // fetch refuses a URL with credentials: they travel as a header, as for ntfy and Alertmanager.
  const { url, authorization } = splitUserinfo(options.url);
  const headers: Record<string, string> = {};
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  else if (authorization) headers['authorization'] = authorization;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const inFlight = new Set<Promise<void>>();

  async function send(signal: HeartbeatSignal): Promise<void> {
    const request = heartbeatRequest(kind, url, signal, { start: options.start ?? false });
    // A plain URL has no word for failure: silence is how it hears it.
    if (!request) return;
    const phase = signal.phase === 'start' ? 'start' : signal.verdict.whole ? 'whole' : 'failed';
    try {
      const body = request.body === undefined ? {} : { body: request.body, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' } };
      const response = await fetch(request.url, { method: request.method, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', ...body });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer();
      if (!response.ok) options.logger.warn({ host, kind, phase, status: response.status }, 'heartbeat ping refused');
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string } };
      const reason = e.name === 'TimeoutError' ? `timeout after ${timeoutMs}ms` : (e.cause?.code ?? e.name ?? 'error');
      options.logger.warn({ host, kind, phase, reason }, 'heartbeat ping failed');
    }
  }

  const run = (signal: HeartbeatSignal) => {
    const sending = send(signal).finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  };

  return {
    kind,
    start: () => run({ phase: 'start' }),
    report: (verdict) => run({ phase: 'end', verdict }),
    ping: () => run({ phase: 'end', verdict: { whole: true } }),
    async settled() {
      await Promise.all([...inFlight]);
    },
  };
}
