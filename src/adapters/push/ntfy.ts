/** The push sink: posts the moments that ring the role to an ntfy topic, with a link to Discord. */
import type { NtfyConfig } from '../../config/types.js';
import { redactUserinfo, splitUserinfo } from '../../config/urls.js';
import { incidentTitle, summarize } from '../../core/render.js';
import { clip } from '../../core/text.js';
import type { Effect } from '../../core/types.js';
import { EffectError, type DeliveryContext, type EffectSink, type PendingEffect } from '../../core/delivery.js';
import type { Clock } from '../../core/types.js';
import { classifyNtfyResponse } from './classify.js';

/** What the ntfy sink needs. */
export interface NtfySinkDeps {
  ntfy: NtfyConfig;
  /** Defaults to the global `fetch`; tests may pass their own. */
  fetch?: typeof fetch;
  /** For `Retry-After` given as an HTTP date; defaults to `Date.now`. */
  clock?: Clock;
  /** Bound on the whole request; 10 s unless a test wants less. */
  timeoutMs?: number;
}

type PushReason = Extract<Effect, { type: 'push' }>['reason'];

/** ntfy priorities: a ring is `high`; the ring owed after a silence is news, not an emergency. */
const PRIORITIES: Record<PushReason, string> = { open: 'high', reopen: 'high', escalation: 'high', unmuted: 'default', overrun: 'high' };
/** ntfy turns tags that name an emoji into that emoji. */
const TAGS: Record<PushReason, string> = { open: 'rotating_light', reopen: 'rotating_light', escalation: 'sos', unmuted: 'bell', overrun: 'warning' };
const LABELS: Record<PushReason, string> = { open: '', reopen: 'Reopened: ', escalation: 'Escalation: ', unmuted: 'Silence ended: ', overrun: 'Maintenance overran: ' };

/**
 * Delivers `push` effects as one ntfy publish each (`POST {url}/{topic}`); resolves once ntfy
 * accepted it, throws an `EffectError` classified by HTTP status otherwise.
 */
export function createNtfySink(deps: NtfySinkDeps): EffectSink {
  const doFetch = deps.fetch ?? fetch;
  const clock = deps.clock ?? Date.now;
  // fetch refuses a URL with `user:password@`, and its error would carry the password into logs and
  // the outbox: the credentials travel as a Basic Authorization header instead, the URL without them.
  const { url: base, authorization: basic } = splitUserinfo(deps.ntfy.url);
  const endpoint = topicUrl(base, deps.ntfy.topic);

  return {
    async deliver(pending: PendingEffect, context: DeliveryContext | null) {
      const { effect } = pending;
      if (effect.type !== 'push') throw new EffectError(`ntfy: cannot deliver a ${effect.type} effect`, false);
      if (!context || context.incident.id === null) throw new EffectError(`ntfy: effect ${pending.id} has no incident`, false);
      const { incident, view, messageLink: link } = context;

      const headers: Record<string, string> = {
        'Content-Type': 'text/plain; charset=utf-8',
        // The push is titled as its message is; its click-through opens that message.
        Title: headerValue(`stormguard: ${incidentTitle(view)}`),
        Priority: PRIORITIES[effect.reason],
        Tags: TAGS[effect.reason],
      };
      if (link) headers.Click = link;
      if (deps.ntfy.token) headers.Authorization = `Bearer ${deps.ntfy.token}`;
      else if (basic) headers.Authorization = basic;

      let response: Response;
      try {
        response = await doFetch(endpoint, {
          method: 'POST',
          headers,
          // ntfy turns a body over 4096 bytes into an attachment; a summary is all a phone needs.
          body: clip(`${LABELS[effect.reason]}${summarize(incident)}`, 1000),
          signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
        });
      } catch (err) {
        const detail = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
        throw new EffectError(`ntfy: publish failed: ${redactUserinfo(detail)}`, true, null, { cause: err });
      }
      const body = await response.text().catch(() => '');
      if (response.ok) return { rang: 'ntfy' };
      throw classifyNtfyResponse(response.status, response.headers.get('retry-after'), body, clock());
    },
  };
}

/** `{url}/{topic}` whatever slashes the configuration has; a path prefix (ntfy behind a proxy) is kept. */
export function topicUrl(base: string, topic: string): string {
  return `${base.replace(/\/+$/, '')}/${encodeURIComponent(topic.replace(/^\/+|\/+$/g, ''))}`;
}

/**
 * Makes a header value safe for `fetch`, which rejects characters outside Latin-1 and would send
 * Latin-1 ones as bytes ntfy reads as UTF-8 garbage. ASCII goes as is; anything else as one RFC 2047
 * encoded word (`=?UTF-8?B?…?=`), which ntfy decodes for Title and Tags since v2.4.0. Control
 * characters (a newline would split the header) become spaces.
 */
export function headerValue(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return /^[\u0020-\u007e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}
