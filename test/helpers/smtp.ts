/**
 * A real SMTP server (`smtp-server`) on loopback for end-to-end tests: it keeps every accepted
 * message raw, parses its headers minimally, and can refuse mail with an SMTP reply while told to.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** `notify.email` sending to this server's `port`: one on-call recipient, mail once Discord has failed for 2 minutes. */
export function emailNotify(port: number, from = 'stormguard@example.org') {
  return { smtp: { host: '127.0.0.1', port, secure: false }, from, to: ['oncall@example.org'], fallbackAfter: '2m' };
}

/** One accepted message: the envelope, the raw text and its top-level headers. */
export interface ReceivedMail {
  from: string | null;
  to: string[];
  raw: string;
  /** Top-level headers, names lower-cased, folded lines joined. */
  headers: Map<string, string>;
  /** The `Subject` header with RFC 2047 encoded words decoded. */
  subject: string;
  messageId: string;
  inReplyTo: string | null;
  references: string | null;
  /** The decoded `text/plain` part (or the whole body of a single-part message). */
  text: string;
}

/** A refusal the server gives while set: an SMTP reply code and text (e.g. 451 greylisting). */
export interface Refusal {
  code: number;
  text: string;
  /** Where the server refuses: at `RCPT TO` (default) or after `DATA`. */
  at?: 'rcpt' | 'data';
}

/** The running server and what it saw. */
export interface SmtpServer {
  port: number;
  /** Accepted messages, in order. */
  mails: ReceivedMail[];
  /** How many times mail was refused. */
  readonly refusals: number;
  /** Refuses every message from now on with `refusal`, or accepts again with `null`. */
  refuse(refusal: Refusal | null): void;
  close(): Promise<void>;
}

/** Starts a plain (no TLS, no AUTH required) SMTP server on 127.0.0.1 and an ephemeral port. */
export async function startSmtpServer(): Promise<SmtpServer> {
  const mails: ReceivedMail[] = [];
  let refusal: Refusal | null = null;
  let refusals = 0;
  const refused = (at: 'rcpt' | 'data'): Error | null => {
    if (!refusal || (refusal.at ?? 'rcpt') !== at) return null;
    refusals++;
    return Object.assign(new Error(refusal.text), { responseCode: refusal.code });
  };

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onRcptTo(_address, _session, cb) {
      cb(refused('rcpt') ?? undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const error = refused('data');
        if (error) return cb(error);
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : null;
        // Recorded before the 250 goes out: once `sendMail` resolves, the mail is in the list.
        mails.push(parseMail(raw, from, session.envelope.rcptTo.map((r) => r.address)));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    mails,
    get refusals() {
      return refusals;
    },
    refuse(next) {
      refusal = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Top-level headers of a raw message (`\r\n` line ends), names lower-cased, folded lines joined. */
export function parseHeaders(raw: string): Map<string, string> {
  const end = raw.indexOf('\r\n\r\n');
  const block = end >= 0 ? raw.slice(0, end) : raw;
  const headers = new Map<string, string>();
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`) as nodemailer writes them. */
export function decodeWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?UTF-8\?([BQ])\?([^?]*)\?=/gi, (_, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQ(data),
    );
}

function decodeQ(data: string): string {
  return decodeQuotedPrintable(data.replace(/_/g, ' '));
}

function decodeQuotedPrintable(encoded: string): string {
  const bytes: number[] = [];
  const text = encoded.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The decoded text/plain part: enough MIME for nodemailer's multipart/alternative mails. */
function plainText(raw: string, headers: Map<string, string>): string {
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  const boundary = /boundary="?([^";]+)"?/.exec(headers.get('content-type') ?? '')?.[1];
  const parts = boundary ? body.split(`--${boundary}`).slice(1, -1).map((p) => p.replace(/^\r\n/, '')) : [raw];
  for (const part of parts) {
    const partHeaders = parseHeaders(part);
    if (!(partHeaders.get('content-type') ?? 'text/plain').startsWith('text/plain')) continue;
    const content = part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '');
    const encoding = partHeaders.get('content-transfer-encoding')?.toLowerCase();
    if (encoding === 'base64') return Buffer.from(content, 'base64').toString('utf8');
    return encoding === 'quoted-printable' ? decodeQuotedPrintable(content) : content;
  }
  return '';
}

function parseMail(raw: string, from: string | null, to: string[]): ReceivedMail {
  const headers = parseHeaders(raw);
  return {
    from,
    to,
    raw,
    headers,
    subject: decodeWords(headers.get('subject') ?? ''),
    messageId: headers.get('message-id') ?? '',
    inReplyTo: headers.get('in-reply-to') ?? null,
    references: headers.get('references') ?? null,
    text: plainText(raw, headers),
  };
}
