import nodemailer, { type Transporter } from 'nodemailer';
import type { EmailConfig } from '../../config/types.js';

/**
 * The SMTP transport for `notify.email`: one connection per mail (no pool: mails are rare and
 * nothing stays open), every stage bounded by `timeoutMs`. The sink sends with it; the doctor verifies it.
 */
export function createSmtpTransport(email: EmailConfig, timeoutMs: number): Transporter {
  const { user, pass } = email.smtp;
  return nodemailer.createTransport({
    host: email.smtp.host,
    port: email.smtp.port,
    secure: email.smtp.secure,
    auth: user ? { user, pass } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
  });
}
