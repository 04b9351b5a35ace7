import type { Transporter } from 'nodemailer';
import type { EmailConfig } from '../../config/types.js';

/**
 * The SMTP transport for `notify.email`: one connection per mail (no pool: mails are rare and
 * nothing stays open), every stage bounded by `timeoutMs`. The sink sends with it; the doctor verifies it.
 */
export async function createSmtpTransport(email: EmailConfig, timeoutMs: number): Promise<Transporter> {
  // Loaded when email is configured, not at start: nodemailer is one of the largest modules the bot
  // would otherwise keep in memory, and most installations notify by Discord and ntfy only.
  const { default: nodemailer } = await import('nodemailer');
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
