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

/** Why a webhook call was refused, as audited. */
export type WebhookRefusal = 'unauthorized' | 'tooLarge' | 'malformed' | 'notReady';

/** What the endpoint needs from the application. */
export interface AlertmanagerEndpointDeps {
  credentials: Credentials;
  /** Takes a valid notification; false when this instance is not running the app (not leader): 503. */
  receive(notification: AlertNotification): Promise<boolean> | boolean;
  /** Records a refusal (never the credentials). */
  refused(reason: WebhookRefusal, detail: Record<string, unknown>): void;
  logger: Logger;
  maxBytes?: number;
}

/** Builds the request handler for `POST /alertmanager`. */
export function createAlertmanagerEndpoint(deps: AlertmanagerEndpointDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const maxBytes = deps.maxBytes ?? MAX_WEBHOOK_BYTES;
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      reply(res, 405, 'method not allowed');
      return;
    }
    const remote = req.socket.remoteAddress ?? 'unknown';
    if (!authorized(req.headers.authorization, deps.credentials)) {
      deps.refused('unauthorized', { remote, scheme: req.headers.authorization?.split(' ')[0] ?? null });
      res.setHeader('WWW-Authenticate', 'bearerToken' in deps.credentials ? 'Bearer' : 'Basic realm="stormguard"');
      reply(res, 401, 'unauthorized', true);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxBytes) {
      deps.refused('tooLarge', { remote, bytes: declared, limit: maxBytes });
      reply(res, 413, `body larger than ${maxBytes} bytes`, true);
      return;
    }
    const body = await readLimited(req, maxBytes);
    if (body === null) {
      deps.refused('tooLarge', { remote, limit: maxBytes });
      reply(res, 413, `body larger than ${maxBytes} bytes`, true);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      const error = `body is not JSON: ${err instanceof Error ? err.message : String(err)}`;
      deps.refused('malformed', { remote, error });
      reply(res, 400, error);
      return;
    }
    const parsed = parseWebhook(json);
    if (!parsed.ok) {
      deps.refused('malformed', { remote, error: parsed.error });
      reply(res, 400, `not an Alertmanager webhook (version 4): ${parsed.error}`);
      return;
    }
    if (!(await deps.receive(parsed.notification))) {
      // Not the leader (or shutting down): Alertmanager retries a 5xx, and the leader will answer.
      deps.refused('notReady', { remote, groupKey: parsed.notification.groupKey });
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
