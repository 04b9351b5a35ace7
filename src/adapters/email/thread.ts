/** Mail-thread bookkeeping: one thread per incident, with Message-IDs that stay the same across retries. */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../sqlite/store.js';

/** The headers that place one email in its incident's thread. */
export interface ThreadHeaders {
  messageId: string;
  /** The thread's first Message-ID; null for the first email itself. */
  inReplyTo: string | null;
  /** The thread's base subject, fixed at the first email. */
  baseSubject: string;
}

/** Meta key of the incident's thread root (the first email's Message-ID). */
export function threadKey(incidentId: number): string {
  return `email:thread:${incidentId}`;
}

const ownerKey = (incidentId: number) => `email:thread:${incidentId}:effect`;
const subjectKey = (incidentId: number) => `email:thread:${incidentId}:subject`;

/**
 * Decides the Message-ID, In-Reply-To and subject of email effect `effectId` of an incident.
 *
 * Persist, then act: the thread root is stored *before* the first email goes out, together with the
 * effect that owns it, so a retry of that effect (after a timeout or a crash between sending and
 * `markEffectDone`) sends the very same Message-ID instead of starting a second thread. Later emails
 * get `<stormguard-effect-{effectId}-{salt}@domain>`: deterministic for the effect, so a duplicate
 * delivery is one receivers can de-duplicate. We cannot avoid that duplicate — SMTP has no
 * idempotency key — only make it recognisable. The salt comes from the thread's random root, so
 * a fresh database, whose effect ids start at 1 again, never reuses an id a mailbox already holds
 * (Gmail silently drops a second mail with a known Message-ID).
 */
export function threadHeaders(meta: Pick<Store, 'getMeta' | 'setMeta' | 'transaction'>, incidentId: number, effectId: number, domain: string, subject: () => string): ThreadHeaders {
  let root = meta.getMeta(threadKey(incidentId));
  if (root === null) {
    const created = `<stormguard-incident-${incidentId}-${randomBytes(8).toString('hex')}@${domain}>`;
    meta.transaction(() => {
      meta.setMeta(threadKey(incidentId), created);
      meta.setMeta(ownerKey(incidentId), String(effectId));
      meta.setMeta(subjectKey(incidentId), subject());
    });
    root = created;
  }
  const baseSubject = meta.getMeta(subjectKey(incidentId)) ?? subject();
  if (meta.getMeta(ownerKey(incidentId)) === String(effectId)) return { messageId: root, inReplyTo: null, baseSubject };
  const salt = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return { messageId: `<stormguard-effect-${effectId}-${salt}@${domain}>`, inReplyTo: root, baseSubject };
}

/** The domain of the sender address (`Stormguard <bot@example.org>` → `example.org`), for Message-IDs. */
export function senderDomain(from: string): string {
  const address = /<([^>]*)>\s*$/.exec(from)?.[1] ?? from;
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1).trim() : '';
  // `.invalid` is reserved (RFC 2606): a Message-ID still needs a right-hand side when `from` has none.
  return /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'stormguard.invalid';
}
