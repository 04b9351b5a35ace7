/** The doctor's checks of the other ways out: SMTP, ntfy and the heartbeat URL. */
import type { EmailConfig, HeartbeatConfig, NtfyConfig } from '../config/types.js';
import { guessHeartbeatKind, heartbeatRequest, type HeartbeatKind } from '../core/heartbeat.js';
import { classifySmtpError, smtpSecrets } from '../adapters/email/errors.js';
import { createSmtpTransport } from '../adapters/email/transport.js';
import { topicUrl } from '../adapters/push/ntfy.js';
import { redactSecretPath, redactUserinfo, splitUserinfo, urlHost } from '../config/urls.js';
import { fail, ok, warn, type Check } from './checklist.js';

const TIMEOUT_MS = 10_000;

/** SMTP: nodemailer's `verify()` connects, says EHLO, upgrades to TLS where configured and logs in; `sendTest` also sends one mail. */
export async function checkEmail(email: EmailConfig, options: { sendTest: boolean; now: number; timeoutMs?: number }): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const transport = await createSmtpTransport(email, timeoutMs);
  const secrets = smtpSecrets(email.smtp);
  const server = `${email.smtp.host}:${email.smtp.port}`;
  const why = (err: unknown) => classifySmtpError(err, secrets).message.replace(/^email: send failed ?/, '').replace(/^: /, '');
  try {
    await transport.verify();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EAUTH') return [fail(`the SMTP server ${server} refused the login ${why(err)}`, 'check notify.email.smtp.user and .pass (often an app password)')];
    return [fail(`cannot talk to the SMTP server ${server} ${why(err)}`, 'check notify.email.smtp.host, .port and .secure (465 is secure: true; 587 and 25 are secure: false with STARTTLS)')];
  } finally {
    transport.close();
  }
  const checks = [ok(`the SMTP server ${server} accepts the connection${email.smtp.user ? ' and the login' : ''}`)];
  if (options.sendTest) {
    try {
      await (await createSmtpTransport(email, timeoutMs)).sendMail({
        from: email.from,
        to: email.to,
        subject: 'stormguard doctor: test mail',
        text: `A test mail from stormguard doctor, sent ${new Date(options.now).toISOString()}.\nIncident emails (fallback and escalation) will reach you this way. Nothing is wrong.\n`,
        date: new Date(options.now),
      });
      checks.push(ok(`sent a test mail to ${email.to.join(', ')}`));
    } catch (err) {
      checks.push(fail(`the test mail was refused ${why(err)}`, 'check notify.email.from (the server may not let this account send as it) and notify.email.to'));
    }
  }
  return checks;
}

/** ntfy: `GET {url}/{topic}/auth` answers whether ntfy is there and whether the token (or anonymous access) may use the topic. */
export async function checkNtfy(ntfy: NtfyConfig, timeoutMs = TIMEOUT_MS): Promise<Check> {
  const host = urlHost(ntfy.url);
  // As the sink sends it: the URL's `user:password@` as basic auth, unless a token is set.
  const { url, authorization: basic } = splitUserinfo(ntfy.url);
  const authorization = ntfy.token ? `Bearer ${ntfy.token}` : basic;
  const credentials = ntfy.token ? 'the token' : basic ? 'the URL’s user and password' : 'anonymous access';
  try {
    const response = await fetch(`${topicUrl(url, ntfy.topic)}/auth`, {
      headers: authorization ? { Authorization: authorization } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    if (response.ok) return ok(`ntfy at ${host} answers and accepts ${authorization ? `${credentials} for ` : ''}topic ${ntfy.topic}`);
    if (response.status === 401 || response.status === 403) {
      return fail(
        `ntfy at ${host} refuses ${credentials} for topic ${ntfy.topic} (HTTP ${response.status})`,
        basic && !ntfy.token ? 'check the user and password in notify.ntfy.url (a user with write access to the topic)' : 'check notify.ntfy.token (an access token with write access to the topic)',
      );
    }
    return fail(`ntfy at ${host} answered HTTP ${response.status}`, 'check notify.ntfy.url (the server, not the topic URL)');
  } catch (err) {
    return fail(`ntfy at ${host} does not answer: ${networkReason(err, timeoutMs)}`, 'check notify.ntfy.url and the network path to it');
  }
}

/**
 * The heartbeat URL's server answers. Without `sendTest` only the origin is asked (a request to the
 * URL itself would be a ping, telling the dead man's switch the bot runs); with it, a success is
 * sent in the monitor's dialect (`heartbeat.kind`, else guessed from the URL), with Gatus's token.
 */
export async function checkHeartbeat(heartbeat: string | Pick<HeartbeatConfig, 'url' | 'kind' | 'token'>, options: { sendTest: boolean; timeoutMs?: number }): Promise<Check> {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const { url, kind: configured, token } = typeof heartbeat === 'string' ? { url: heartbeat, kind: undefined, token: undefined } : heartbeat;
  const kind = configured ?? guessHeartbeatKind(url);
  // The path is the secret that lets anyone ping the check: only the host is ever printed.
  const host = urlHost(url);
  const { url: ping, authorization } = splitUserinfo(url);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : authorization ? { authorization } : {};
  const request = heartbeatRequest(kind, ping, { phase: 'end', verdict: { whole: true } })!;
  try {
    const response = await fetch(options.sendTest ? request.url : new URL(ping).origin, {
      ...(options.sendTest ? { method: request.method, ...(request.body === undefined ? {} : { body: request.body }) } : {}),
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
    });
    await response.arrayBuffer();
    if (!options.sendTest) return ok(`the heartbeat server ${host} answers (not pinged; --send-test pings it)`);
    return response.ok
      ? ok(`pinged the heartbeat at ${host} (HTTP ${response.status})`)
      : fail(`the heartbeat at ${host} refused the ping (HTTP ${response.status})`, kind === 'gatus' ? 'check heartbeat.url (the external endpoint’s key) and heartbeat.token' : 'check heartbeat.url (the check’s ping URL, with its UUID or slug)');
  } catch (err) {
    return fail(`the heartbeat server ${host} does not answer: ${redactSecretPath(networkReason(err, timeoutMs), url)}`, 'check heartbeat.url and the network path to it');
  }
}

/** The dialect the heartbeat speaks and whether it was set or guessed, with what failure looks like there. */
export function heartbeatDialect(heartbeat: Pick<HeartbeatConfig, 'url' | 'kind' | 'start' | 'token'>): Check {
  const kind = heartbeat.kind ?? guessHeartbeatKind(heartbeat.url);
  const how = heartbeat.kind ? 'heartbeat.kind' : 'guessed from the URL; set heartbeat.kind if that is wrong';
  const failure: Record<HeartbeatKind, string> = {
    healthchecks: `failures ping /fail with the reason${heartbeat.start ? ', each cycle starts with /start' : ''}`,
    'uptime-kuma': 'failures push status=down with the reason as msg',
    gatus: 'failures push success=false with the reason as error',
    plain: 'a failing cycle sends nothing (a plain URL has no word for failure)',
  };
  if (kind === 'gatus' && !heartbeat.token) return warn(`the heartbeat speaks gatus (${how}) without heartbeat.token`, 'Gatus external endpoints want a bearer token: set heartbeat.token to the endpoint’s token');
  return ok(`the heartbeat speaks ${kind} (${how}): ${failure[kind]}`);
}

/** Why a request failed, in a few words; a library's text may quote the URL, so its credentials are masked. */
function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000}s`;
  return redactUserinfo(e.cause?.code ?? e.cause?.message ?? e.message ?? String(err));
}
