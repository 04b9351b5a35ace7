/** Classifies SMTP failures in one place: whether sending the same email again can succeed. */
import type { EmailConfig } from '../../config/types.js';
import { EffectError } from '../../core/delivery.js';

/** The fields nodemailer puts on its errors. */
interface SmtpFailure {
  message: string;
  code?: string;
  responseCode?: number;
  command?: string;
}

/** Nodemailer codes that mean the connection failed, not that the server refused the message. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'EABORT']);

/**
 * Turns a nodemailer error into an `EffectError`: 4xx replies (greylisting, mailbox busy) and
 * connection or timeout failures are retryable; 5xx replies are permanent — except 503 (bad
 * sequence of commands), which says the session was in the wrong state, not that the message was
 * refused (RFC 5321, as nodemailer reads it). Other nodemailer codes without a reply (bad envelope,
 * bad configuration) would fail the same way again; anything unrecognised is retried, the outbox
 * bounds how often. `secrets` are blanked
 * out of the message and of the cause: a server may echo what it was sent, AUTH included.
 */
export function classifySmtpError(err: unknown, secrets: string[]): EffectError {
  const failure = asFailure(err);
  const reply = typeof failure.responseCode === 'number' ? failure.responseCode : null;
  const retryable =
    reply !== null ? reply < 500 || reply === 503 : failure.code === undefined || CONNECTION_CODES.has(failure.code);
  const what = [reply !== null ? `SMTP ${reply}` : null, failure.code, failure.command ? `at ${failure.command}` : null].filter(Boolean).join(' ');
  const message = redact(`email: send failed${what ? ` (${what})` : ''}: ${failure.message}`, secrets);
  // A redacted copy as the cause: the original may carry the server's echo of our credentials.
  const cause = Object.assign(new Error(redact(failure.message, secrets)), { code: failure.code, responseCode: failure.responseCode, command: failure.command });
  return new EffectError(message, retryable, null, { cause });
}

/** What {@link classifySmtpError} must blank for this account: the password, and AUTH PLAIN's `\0user\0pass`. */
export function smtpSecrets(smtp: EmailConfig['smtp']): string[] {
  return smtp.pass ? [smtp.pass, `\u0000${smtp.user ?? ''}\u0000${smtp.pass}`] : [];
}

function asFailure(err: unknown): SmtpFailure {
  if (err instanceof Error) {
    const e = err as Error & Partial<SmtpFailure>;
    return { message: e.message, code: typeof e.code === 'string' ? e.code : undefined, responseCode: e.responseCode, command: e.command };
  }
  return { message: String(err) };
}

/** Blanks every secret, and its base64 forms as AUTH PLAIN/LOGIN send them, out of `text`. */
function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of [secret, Buffer.from(secret).toString('base64')]) out = out.split(form).join('***');
  }
  return out;
}
