/**
 * Configured URLs and their secrets, in one place: credentials written into a URL
 * (`https://user:password@host/…`) travel as a Basic Authorization header, never in the URL itself
 * (fetch refuses such a URL and its error would quote it), and a URL is only ever shown with its
 * password masked, or, where its path is the secret (a dead man's switch), as its host alone.
 */

/** A configured URL split for sending: the URL without `user:password@`, and those credentials as a header value. */
export interface SplitUrl {
  url: string;
  /** `Basic base64(user:password)`, or null when the URL carries no credentials. */
  authorization: string | null;
}

/** The URL without `user:password@`, and those credentials (percent-decoded, as browsers do) as a Basic Authorization header value. */
export function splitUserinfo(raw: string): SplitUrl {
  const parsed = parse(raw);
  if (!parsed || (parsed.username === '' && parsed.password === '')) return { url: raw, authorization: null };
  const authorization = basicAuthorization(decode(parsed.username), decode(parsed.password));
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), authorization };
}

/** The `Authorization` header value of HTTP basic auth (RFC 7617, UTF-8). */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** True when the URL carries `user@` or `user:password@`. */
export function hasUserinfo(raw: string): boolean {
  const parsed = parse(raw);
  return parsed !== null && (parsed.username !== '' || parsed.password !== '');
}

/** What every secret is replaced with, in a URL or anywhere else the configuration is shown. */
export const MASK = '********';

/** `https://user:pw@host/x` → `https://user:********@host/x`, for showing a configuration: a URL's password is a password. */
export function maskUrlPassword(raw: string): string {
  const parsed = parse(raw);
  if (!parsed || parsed.password === '') return raw;
  parsed.password = MASK;
  return parsed.toString();
}

/** `https://user:pw@hc-ping.com/<uuid>` → `https://hc-ping.com/********`: where the path is the secret, only scheme and host are shown. */
export function maskUrlPath(raw: string): string {
  const parsed = parse(raw);
  return parsed ? `${parsed.protocol}//${parsed.host}/${MASK}` : MASK;
}

/** The host (and port) of a URL: all that logs and the doctor say about where a request went. */
export function urlHost(raw: string): string {
  return parse(raw)?.host ?? 'an invalid URL';
}

/**
 * `text` with every URL's `user:password@` masked: for error texts from libraries, which may quote
 * the URL they were given. Matches any scheme, so it does not depend on which URL was used.
 */
export function redactUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s@]*@/gi, `$1${MASK}@`);
}

/** {@link redactUserinfo}, and the path (with query) of `secretPathUrl` masked wherever it appears: for URLs whose path is the secret. */
export function redactSecretPath(text: string, secretPathUrl: string): string {
  const parsed = parse(secretPathUrl);
  const secret = parsed ? `${parsed.pathname}${parsed.search}` : '';
  const masked = redactUserinfo(text);
  return secret.length > 1 ? masked.split(secret).join(`/${MASK}`) : masked;
}

function parse(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null;
  }
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // A lone `%` is not an escape; the user meant it literally.
    return part;
  }
}
