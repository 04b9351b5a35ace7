/**
 * Who watches the watcher (SPEC §14): whether a check cycle was whole, and how that is said to the
 * monitor in its own dialect. Pure: the shell gathers the facts, sends the request and logs only the host.
 */
import type { ClusterSnapshot } from './types.js';

/** The monitors stormguard speaks to, each with its own way of hearing "failed". */
export const HEARTBEAT_KINDS = ['healthchecks', 'uptime-kuma', 'gatus', 'plain'] as const;

/** A monitor's dialect: healthchecks.io (`/fail`, `/start`), Uptime Kuma push, Gatus external endpoint, or a plain URL. */
export type HeartbeatKind = (typeof HEARTBEAT_KINDS)[number];

/** The longest reason sent: monitors show a line, and a query string must stay short. */
export const REASON_MAX = 200;

/**
 * The dialect a heartbeat URL speaks, read from its shape when `heartbeat.kind` is not set: hc-ping.com
 * (or any `/ping/<uuid>` of a self-hosted Healthchecks) → healthchecks, `/api/push/` → uptime-kuma,
 * `/api/v1/endpoints/<key>/external` → gatus, anything else → plain.
 */
export function guessHeartbeatKind(url: string): HeartbeatKind {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'plain';
  }
  const path = parsed.pathname;
  if (/^\/api\/v1\/endpoints\/[^/]+\/external\/?$/.test(path)) return 'gatus';
  if (/^\/api\/push\/[^/]+\/?$/.test(path)) return 'uptime-kuma';
  if (parsed.hostname === 'hc-ping.com' || parsed.hostname.endsWith('.hc-ping.com') || /^\/ping\/[0-9a-f-]{36}\/?$/i.test(path)) return 'healthchecks';
  return 'plain';
}

/** What a cycle's wholeness is judged from; the shell reads each fact once, after the cycle. */
export interface CycleFacts {
  /** The cycle's snapshot, or null when the cycle failed before observing (its error is `cycleError`). */
  snapshot: ClusterSnapshot | null;
  /** Why the cycle failed (it threw), or null when it completed. */
  cycleError: string | null;
  /** The database took the cycle's writes (`store.health().writable`). */
  databaseWritable: boolean;
  /** Discord, when configured: whether it can be told now (connected, answering, not refusing for a setup problem). */
  discord: { reachable: boolean; why: string | null } | null;
  /** Email, when configured: whether its last delivery worked (null: none tried yet, taken as working). */
  email: { working: boolean; why: string | null } | null;
}

/** A cycle's verdict: whole, or not with one short reason a person reads on the monitor. */
export type CycleVerdict = { whole: true } | { whole: false; reason: string };

/**
 * Whether a cycle was whole: it completed, the Kubernetes API answered and every watch cache is in
 * sync, the database took its writes, and Discord can be told — or, when it cannot, the email fallback
 * works. The first thing missing is the reason (several are joined, most fundamental first).
 */
export function judgeCycle(facts: CycleFacts): CycleVerdict {
  const reasons: string[] = [];
  if (!facts.databaseWritable) reasons.push('database cannot be written');
  if (facts.cycleError !== null) reasons.push(`check cycle failed: ${facts.cycleError}`);
  const snapshot = facts.snapshot;
  if (snapshot && !snapshot.reachable) reasons.push('Kubernetes API unreachable');
  else if (snapshot?.reachable) {
    const stale = (snapshot.sources ?? []).filter((s) => !s.inSync);
    if (stale.length > 0) reasons.push(`watch caches out of sync: ${staleNames(stale)}`);
  }
  if (facts.discord && !facts.discord.reachable) {
    const discord = `Discord cannot be told${facts.discord.why ? ` (${facts.discord.why})` : ''}`;
    if (!facts.email) reasons.push(`${discord} and no email fallback is configured`);
    else if (!facts.email.working) reasons.push(`${discord} and the email fallback fails${facts.email.why ? ` (${facts.email.why})` : ''}`);
  }
  if (reasons.length === 0) return { whole: true };
  return { whole: false, reason: clipReason(reasons.join('; ')) };
}

/** `pods in nvr, nodes` — the kinds and namespaces of the stale caches, each once. */
function staleNames(sources: ReadonlyArray<{ kind: string; namespace: string | null }>): string {
  const names = sources.map((s) => `${s.kind.toLowerCase()}s${s.kind === 'Node' ? '' : s.namespace === null ? ' in all namespaces' : ` in ${s.namespace}`}`);
  return [...new Set(names)].join(', ');
}

/** One line, at most `REASON_MAX` characters. */
function clipReason(reason: string): string {
  const line = reason.replace(/\s+/g, ' ').trim();
  return line.length <= REASON_MAX ? line : `${line.slice(0, REASON_MAX - 1)}…`;
}

/** What the monitor is told: a cycle starts, or how it ended. */
export type HeartbeatSignal = { phase: 'start' } | { phase: 'end'; verdict: CycleVerdict };

/** One request to the monitor: method, URL (secret: never logged) and an optional text body. */
export interface HeartbeatRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
}

/**
 * The request that says `signal` to a monitor of `kind` at `url`, or null when that dialect has no word
 * for it (a plain URL hears only success; only healthchecks hears a start, and only when asked):
 * - healthchecks: POST `<url>` (success), `<url>/fail` with the reason as the body, `<url>/start`;
 * - uptime-kuma: GET `<url>?status=up&msg=OK` or `?status=down&msg=<reason>`;
 * - gatus: POST `<url>?success=true` or `?success=false&error=<reason>` (the bearer token is the shell's);
 * - plain: GET `<url>` on success only.
 */
export function heartbeatRequest(kind: HeartbeatKind, url: string, signal: HeartbeatSignal, options: { start?: boolean } = {}): HeartbeatRequest | null {
  if (signal.phase === 'start') {
    return kind === 'healthchecks' && options.start === true ? { method: 'POST', url: withPathSuffix(url, 'start') } : null;
  }
  const { verdict } = signal;
  switch (kind) {
    case 'healthchecks':
      return verdict.whole ? { method: 'POST', url, body: 'cycle whole' } : { method: 'POST', url: withPathSuffix(url, 'fail'), body: verdict.reason };
    case 'uptime-kuma':
      return { method: 'GET', url: withQuery(url, verdict.whole ? { status: 'up', msg: 'OK' } : { status: 'down', msg: verdict.reason }) };
    case 'gatus':
      return { method: 'POST', url: withQuery(url, verdict.whole ? { success: 'true' } : { success: 'false', error: verdict.reason }) };
    case 'plain':
      return verdict.whole ? { method: 'GET', url } : null;
  }
}

/** `url` with `/suffix` appended to its path, its query kept (`?create=1` of a slug URL). */
function withPathSuffix(url: string, suffix: string): string {
  const parsed = new URL(url);
  parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/${suffix}`;
  return parsed.toString();
}

/** `url` with `params` set in its query (replacing any of the same name), percent-encoded. */
function withQuery(url: string, params: Record<string, string>): string {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value);
  return parsed.toString();
}
