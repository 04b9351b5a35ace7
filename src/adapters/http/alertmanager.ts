/**
 * `POST /alertmanager`: Alertmanager's webhook, authenticated (bearer token or basic auth, as its
 * `http_config` sends them), size-limited and validated before anything reaches the database.
 * Answers follow Alertmanager's retry rules: 2xx done, 5xx retried, 4xx given up on.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Credentials } from '../../config/types.js';
import type { AlertNotification } from '../../core/alertmanager.js';
import type { Logger } from '../../log.js';
import { parseWebhook } from '../alertmanager/webhook.js';

/** Largest body accepted: far above a group of a few hundred alerts (set `max_alerts` for bigger ones). */
export const MAX_WEBHOOK_BYTES = 1_048_576;

/** Why a webhook call was refused: a fixed set, the label of the refusals metric. */
export type WebhookRefusal = 'unauthorized' | 'tooLarge' | 'malformed' | 'notReady';

/** At most one log line per refusal reason in this long (ms); the lines in between are counted in the next. */
export const REFUSAL_LOG_EVERY = 60_000;

/** What the endpoint needs from the application. */
export interface AlertmanagerEndpointDeps {
  credentials: Credentials;
  /** Takes a valid notification; false when this instance is not running the app (not leader): 503. */
  receive(notification: AlertNotification): Promise<boolean> | boolean;
  /**
   * Counts a refusal (a metric). A refusal stores nothing — no audit row, none of the caller's text:
   * refusing must cost whoever is refused nothing, however many requests they send.
   */
  refused(reason: WebhookRefusal): void;
  logger: Logger;
  maxBytes?: number;
  /** For the rate limit of the refusal log (ms); `Date.now` unless a test drives time. */
  clock?: () => number;
}

/**
 * Logs refusals at most once per reason per {@link REFUSAL_LOG_EVERY}, with how many were not logged
 * since: a flood of refused requests is a few lines, the first one at once. Time is compared, never
 * scheduled, so there is no timer to cancel.
 */
export function createRefusalLog(logger: Logger, clock: () => number = Date.now): (reason: WebhookRefusal, detail: Record<string, unknown>) => void {
  const last = new Map<WebhookRefusal, { at: number; unlogged: number }>();
  return (reason, detail) => {
    const now = clock();
    const seen = last.get(reason);
    if (seen && now - seen.at < REFUSAL_LOG_EVERY) {
      seen.unlogged++;
      return;
    }
    logger.warn({ reason, ...detail, ...(seen?.unlogged ? { notLogged: seen.unlogged } : {}) }, 'alertmanager webhook refused');
    last.set(reason, { at: now, unlogged: 0 });
  };
}

/** Builds the request handler for `POST /alertmanager`. */
export function createAlertmanagerEndpoint(deps: AlertmanagerEndpointDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const maxBytes = deps.maxBytes ?? MAX_WEBHOOK_BYTES;
  const log = createRefusalLog(deps.logger, deps.clock);
  const refuse = (reason: WebhookRefusal, detail: Record<string, unknown>) => {
    deps.refused(reason);
    log(reason, detail);
  };
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      reply(res, 405, 'method not allowed');
      return;
    }
    const remote = req.socket.remoteAddress ?? 'unknown';
    if (!authorized(req.headers.authorization, deps.credentials)) {
      // Nothing of the request is kept or logged: its headers are the caller's text.
      refuse('unauthorized', { remote });
      res.setHeader('WWW-Authenticate', 'bearerToken' in deps.credentials ? 'Bearer' : 'Basic realm="stormguard"');
      reply(res, 401, 'unauthorized', true);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBytes) {
      refuse('tooLarge', { remote, bytes: declared, limit: maxBytes });
      reply(res, 413, `body larger than ${maxBytes} bytes`, true);
      return;
    }
    const body = await readLimited(req, maxBytes);
    if (body === null) {
      refuse('tooLarge', { remote, limit: maxBytes });
      reply(res, 413, `body larger than ${maxBytes} bytes`, true);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      const error = `body is not JSON: ${err instanceof Error ? err.message : String(err)}`;
      // Past the credentials: the sender is Alertmanager (or holds its token); the log gets the reason, clipped.
      refuse('malformed', { remote, error: error.slice(0, 200) });
      reply(res, 400, error);
      return;
    }
    const parsed = parseWebhook(json);
    if (!parsed.ok) {
      refuse('malformed', { remote, error: parsed.error.slice(0, 200) });
      reply(res, 400, `not an Alertmanager webhook (version 4): ${parsed.error}`);
      return;
    }
    if (!(await deps.receive(parsed.notification))) {
      // Not the leader (or shutting down): Alertmanager retries a 5xx, and the leader will answer.
      refuse('notReady', { remote, groupKey: parsed.notification.groupKey });
      reply(res, 503, 'not ready: this instance is not running the bot right now');
      return;
    }
    reply(res, 200, 'ok');
  };
}

/** Whether the Authorization header carries the configured credentials (compared in constant time). */
function authorized(header: string | undefined, credentials: Credentials): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.split(' ', 2);
  if ('bearerToken' in credentials) return scheme?.toLowerCase() === 'bearer' && sameSecret(value.trim(), credentials.bearerToken);
  if (scheme?.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
  return sameSecret(decoded, `${credentials.username}:${credentials.password}`);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads the body, or null as soon as it passes `max` bytes (the rest is not read). */
async function readLimited(req: IncomingMessage, max: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, text: string, close = false): void {
  const body = `${text}\n`;
  // A refused request's body is not read; closing makes sure it is not taken for the next request.
  if (close) res.setHeader('Connection', 'close');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
