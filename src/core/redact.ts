/**
 * Secrets out of text read from a cluster (SPEC §11: nothing read from a cluster leaves the process
 * unredacted). The kubelet's and the controllers' messages quote what they were given — a registry URL
 * with its password, a probe's `Authorization` header, a connection string — and the card, the thread,
 * the audit log and the database would carry them on. Each rule replaces the secret, never its context,
 * so the sentence still says what went wrong.
 *
 * A hand-written list rather than secretlint's preset: the preset is a plugin framework with its own
 * dependencies, far above the bot's memory budget, for the dozen shapes that appear in Kubernetes messages.
 */

/** What a redacted secret reads as. */
export const REDACTED = '[redacted]';

const KEY_NAMES = '(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth)';

const RULES: Array<[RegExp, string | ((...groups: string[]) => string)]> = [
  // PEM private keys, whole (an unterminated one to the end).
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // Authorization headers, whatever the scheme.
  [/(\bauthorization\s*[:=]\s*)(?:(?:bearer|basic|token|digest)\s+)?[^\s,;"']+/gi, `$1${REDACTED}`],
  [/(\bbearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  // URLs with userinfo: keep the scheme and the host.
  [/([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, `$1${REDACTED}@`],
  // key=value, key: value, "key":"value" for names that say secret.
  [new RegExp(`(${KEY_NAMES}["']?\\s*[:=]\\s*["']?)[^\\s"',;&]+`, 'gi'), `$1${REDACTED}`],
  // JSON Web Tokens.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Well-known token shapes: GitHub, Slack, AWS access key ids, Discord bot tokens.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})\b/g, REDACTED],
  [/\b[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38}\b/g, REDACTED],
  // Long hex strings (keys, hashes of secrets), but not a content digest (`sha256:…`, an image's id).
  [/(?<!(?:sha\d{3}|md5|sha1):)\b[0-9a-fA-F]{32,}\b/g, REDACTED],
  // Long base64 runs with letters of both cases and digits: a key, not a word or a path.
  [/(?<![A-Za-z0-9+/])(?=[A-Za-z0-9+/]{40,})(?=[^\s]*[a-z])(?=[^\s]*[A-Z])(?=[^\s]*\d)[A-Za-z0-9+/]{40,}={0,2}/g, REDACTED],
];

/** `text` with every secret shape replaced by {@link REDACTED}; everything else unchanged. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement as string);
  return out;
}
