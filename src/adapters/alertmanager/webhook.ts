/**
 * Alertmanager's webhook payload (version 4, `notify/webhook` in Alertmanager), validated with zod and
 * turned into the core's {@link AlertNotification}. Unknown fields are tolerated (newer Alertmanagers
 * add some); missing or mistyped ones are refused with the path that is wrong.
 */
import * as z from 'zod';
import type { AlertNotification } from '../../core/alertmanager.js';

/** Go's zero time, which Alertmanager sends as `endsAt` of an alert with no known end. */
const GO_ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

const labelSet = z.record(z.string(), z.string());

const time = z.string().transform((text, ctx) => {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    ctx.issues.push({ code: 'custom', message: 'must be an RFC 3339 time', input: text });
    return z.NEVER;
  }
  return ms;
});

const alert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: time,
  endsAt: time.transform((ms) => (ms <= GO_ZERO_TIME ? null : ms)),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1),
});

/** The webhook body, version "4" only (the version field exists so receivers can refuse what they do not know). */
export const webhookSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook version)' }),
  groupKey: z.string().min(1),
  truncatedAlerts: z.int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet.default({}),
  externalURL: z.string(),
  alerts: z.array(alert).min(1),
});

/** A parsed notification, or the first problem in words (`alerts[0].status: …`). */
export type WebhookParse = { ok: true; notification: AlertNotification } | { ok: false; error: string };

/** Validates a decoded JSON body as an Alertmanager webhook notification. */
export function parseWebhook(body: unknown): WebhookParse {
  const result = webhookSchema.safeParse(body);
  if (result.success) return { ok: true, notification: result.data };
  const issue = result.error.issues[0]!;
  const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
  return { ok: false, error: `${path || 'body'}: ${issue.message}` };
}
