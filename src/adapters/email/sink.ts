/** The email sink: fallback and escalation emails over SMTP (nodemailer), one mail thread per incident. */
import type { EmailConfig } from '../../config/types.js';
import { EffectError, type DeliveryContext, type EffectSink, type PendingEffect } from '../../core/delivery.js';
import type { Clock } from '../../core/types.js';
import type { Store } from '../sqlite/store.js';
import { baseSubject, composeEmail } from './compose.js';
import { classifySmtpError, smtpSecrets } from './errors.js';
import { createSmtpTransport } from './transport.js';
import { senderDomain, threadHeaders } from './thread.js';

/** What the email sink needs. */
export interface EmailSinkDeps {
  email: EmailConfig;
  store: Store;
  clock: Clock;
  /** Bound on each SMTP stage (connect, greeting, socket inactivity); 10 s unless a test wants less. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Delivers `email` effects by SMTP: subject, plain text and HTML from the incident's current
 * rendering, threaded per incident (`Message-ID` of the first, `In-Reply-To`/`References` on the
 * rest); resolves once the server accepted the message (and the audit log says so), throws a
 * classified `EffectError` otherwise.
 */
export function createEmailSink(deps: EmailSinkDeps): EffectSink {
  const { email, store } = deps;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const domain = senderDomain(email.from);
  const secrets = smtpSecrets(email.smtp);
  // nodemailer loads in the background while the bot starts (see createSmtpTransport).
  const transport = createSmtpTransport(email, timeoutMs);

  return {
    async deliver(pending: PendingEffect, context: DeliveryContext | null) {
      const { effect } = pending;
      if (effect.type !== 'email') throw new EffectError(`email: cannot deliver a ${effect.type} effect`, false);
      if (!context || context.incident.id === null) throw new EffectError(`email: effect ${pending.id} has no incident`, false);

      const { incident, view, messageLink } = context;
      const incidentId = incident.id!;
      const thread = threadHeaders(store, incidentId, pending.id, domain, () => baseSubject(view));
      const mail = composeEmail({ view, reason: effect.reason, baseSubject: thread.baseSubject, discordLink: messageLink });
      try {
        await (await transport).sendMail({
          from: email.from,
          to: email.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          date: new Date(deps.clock()),
          messageId: thread.messageId,
          ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo, references: [thread.inReplyTo] } : {}),
          // The stage timeouts reset on every byte; this bounds the whole conversation.
          signal: AbortSignal.timeout(timeoutMs * 3),
        });
      } catch (err) {
        throw classifySmtpError(err, secrets);
      }
      // SPEC §2: "email sent" is an action the audit log records, with the Message-ID that finds it in a mailbox.
      store.appendAudit({
        at: deps.clock(),
        actor: 'scheduler',
        action: 'emailSent',
        subject: incident.subject,
        incidentId,
        reason: effect.reason,
        detail: { messageId: thread.messageId, inReplyTo: thread.inReplyTo, to: email.to, effectId: pending.id },
      });
    },
  };
}
