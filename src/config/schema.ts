/**
 * The zod schema of the configuration file (SPEC §6): what the YAML may say, its defaults, and the
 * conversion of duration strings into milliseconds. Its output type is exactly {@link Config}.
 *
 * Objects are strict so a misspelt key (`failureTreshold`) is an error instead of a silently
 * ignored setting that leaves the default in force.
 */
import { validateDetailed } from 'node-cron';
import * as z from 'zod';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../core/duration.js';
import { HEARTBEAT_KINDS } from '../core/heartbeat.js';
import { DEFAULT_THRESHOLDS } from '../core/hysteresis.js';
import { KURED_DEFAULTS, MAINTENANCE_DEFAULTS } from '../core/maintenance.js';
import type { Config } from './types.js';
import { hasUserinfo } from './urls.js';
import { firesOnWholeMinutes, isTimeZone, shortestGap } from './windows.js';

/**
 * A schema-level message that steps aside for a missing key, so the loader can say "is required"
 * instead of a type complaint about `undefined`.
 */
function unlessMissing(message: string) {
  return (issue: { input?: unknown }) => (issue.input === undefined ? undefined : message);
}

// `.meta({...})` below only shapes the JSON Schema generated from this schema for the Helm chart's
// values (`npm run chart:schema`), so `helm install` refuses what this schema can express there.

/** A duration string (`90s`, `1h30m`) parsed into milliseconds with the same parser as `/silence`. */
const duration = z
  .string({ error: unlessMissing('must be a duration string such as 30s, 5m, 1h30m or 2d') })
  .transform((text, ctx) => {
    // Not echoed: a value in the file may be a secret pasted into the wrong key.
    const parsed = parseDuration(text, { echo: false });
    if (parsed.ok) return parsed.ms;
    ctx.issues.push({ code: 'custom', message: parsed.error, input: text });
    return z.NEVER;
  })
  .meta({ pattern: DURATION_PATTERN, minLength: 2 });

const positiveInt = z.int({ error: unlessMissing('must be a whole number') }).positive({ error: 'must be 1 or more' });

const port = z
  .int({ error: unlessMissing('must be a port number') })
  .min(1, { error: 'must be a port number from 1 to 65535' })
  .max(65535, { error: 'must be a port number from 1 to 65535' });

// Only http(s): every URL in the file is fetched by the bot, and a typo like `htps:` should not pass.
// Messages never repeat the URL: a heartbeat URL carries a secret.
const httpUrl = z
  .url({
    protocol: /^https?$/,
    error: unlessMissing('Invalid URL; expected an http:// or https:// URL'),
  })
  .meta({ pattern: '^https?://' });

// A URL that is shown to people (a link button) or handed to a library as is (discord.js) cannot
// carry `user:password@`: the first would publish the password, the second would not send it.
const plainHttpUrl = httpUrl.refine((url) => !hasUserinfo(url), {
  error: 'must not contain user:password@ (it would be shown or not sent)',
});

// A YAML number loses digits past 2^53, so an unquoted id is silently a different id: refuse it.
const snowflake = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? 'Discord ids must be quoted strings (a YAML number loses digits), e.g. "123456789012345678"'
        : undefined,
  })
  .regex(/^\d{17,20}$/, { error: 'must be a Discord id: 17 to 20 digits, quoted' });

// RFC 1123 label, the rule Kubernetes applies to namespace names.
const dnsLabel = z
  .string()
  .max(63, { error: 'must be at most 63 characters' })
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    error: 'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  });

// RFC 1123 subdomain, the rule Kubernetes applies to Deployment/StatefulSet/DaemonSet names.
const objectName = z
  .string()
  .max(253, { error: 'must be at most 253 characters' })
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
    error: 'must be a Kubernetes object name: lowercase letters, digits, "-" and "."',
  });

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

// A Kubernetes annotation key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters.
const annotationKey = z
  .string()
  .max(316, { error: 'must be at most 316 characters' })
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
    error: 'must be an annotation key: [prefix/]name, e.g. weave.works/kured-node-lock',
  });

// Where kured keeps its reboot lock and how it marks a node it reboots: kured's own defaults.
const kured = z.strictObject({
  namespace: dnsLabel.default(KURED_DEFAULTS.namespace),
  daemonSet: objectName.default(KURED_DEFAULTS.daemonSet),
  lockAnnotation: annotationKey.default(KURED_DEFAULTS.lockAnnotation),
  rebootAnnotation: annotationKey.default(KURED_DEFAULTS.rebootAnnotation),
});

const email = z.email({ error: unlessMissing('must be an email address') });

// nodemailer accepts `Name <addr@example.com>` as a sender; people like to name the bot.
const sender = z.string().refine((text) => email.safeParse(/<([^<>]+)>\s*$/.exec(text)?.[1] ?? text).success, {
  error: 'must be an email address, optionally with a name: "Stormguard <stormguard@example.com>"',
});

const cronExpression = z.string().superRefine((expression, ctx) => {
  const result = validateDetailed(expression);
  if (result.valid) return;
  const first = result.errors[0];
  // Values are never echoed (a secret pasted into the wrong key must not reach a log), so the
  // message names the field, not what it holds; node-cron's own sentences quote the value.
  const reason =
    first && first.field !== 'expression'
      ? `the ${first.field} field is out of range or malformed`
      : first && !first.message.includes(expression) && !(first.value && first.message.includes(String(first.value)))
        ? first.message
        : 'malformed';
  ctx.addIssue({ code: 'custom', message: `not a valid cron expression (${reason})` });
});

const workload = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']), name: objectName }),
    z.strictObject({ kind: z.literal('Pods'), selector: nonEmpty }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.input !== undefined
        ? 'must be one of Deployment, StatefulSet, DaemonSet, Pods'
        : undefined,
  },
);

const httpProbe = z.strictObject({
  url: httpUrl,
  timeout: duration.prefault('5s'),
  expectStatus: z
    .int({ error: unlessMissing('must be an HTTP status code') })
    .min(100, { error: 'must be an HTTP status code (100-599)' })
    .max(599, { error: 'must be an HTTP status code (100-599)' })
    .default(200),
});

const tcpProbe = z.strictObject({
  host: nonEmpty,
  port,
  timeout: duration.prefault('5s'),
});

// Two optional keys plus a check, rather than a zod union: a union's error on a typo is
// "no option matched", while this names the key that is wrong.
const probe = z
  .strictObject({ http: httpProbe.optional(), tcp: tcpProbe.optional() })
  .transform((probe, ctx) => {
    if (probe.http && !probe.tcp) return { http: probe.http };
    if (probe.tcp && !probe.http) return { tcp: probe.tcp };
    ctx.issues.push({
      code: 'custom',
      message: probe.http ? 'set either http or tcp, not both' : 'set exactly one of http or tcp',
      input: probe,
    });
    return z.NEVER;
  })
  .meta({ minProperties: 1, maxProperties: 1 });

const restartPolicy = z.strictObject({
  maxPerHour: positiveInt.default(3),
  backoff: z.array(duration).min(1, { error: 'must list at least one duration' }).prefault(['1m', '5m', '15m']),
  circuitBreakAfter: positiveInt.default(3),
  nodeRecoveryGrace: duration.prefault('60s'),
  // Not in SPEC §6's example: our addition. After any restart (automatic or /restart), further
  // restarts of the target are refused for this long, so pods get time to become ready (SPEC §3 step 4).
  cooldown: duration.prefault('2m'),
});

const target = z.strictObject({
  name: z
    .string()
    .max(63, { error: 'must be at most 63 characters' })
    .regex(/^[a-z0-9-]+$/, { error: 'must use only lowercase letters, digits and "-"' }),
  namespace: dnsLabel,
  workload,
  probe: probe.optional(),
  failureThreshold: positiveInt.default(DEFAULT_THRESHOLDS.failureThreshold),
  successThreshold: positiveInt.default(DEFAULT_THRESHOLDS.successThreshold),
  autoRestart: z.boolean().default(true),
  restart: restartPolicy.prefault({}),
  // Discord shows at most 5 buttons in a row; a label longer than 80 characters is refused by Discord.
  links: z
    .array(z.strictObject({ label: z.string().min(1, { error: 'must not be empty' }).max(80, { error: 'must be at most 80 characters (a Discord button label)' }), url: plainHttpUrl }))
    .max(5, { error: 'at most 5 links (one row of Discord buttons)' })
    .optional(),
});

// Required even when empty: a file without `targets` is more likely a mistake than a choice to
// watch only nodes, and `targets: []` states that choice.
const targets = z.array(target).superRefine((list, ctx) => {
  const firstIndexByName = new Map<string, number>();
  list.forEach((target, index) => {
    const first = firstIndexByName.get(target.name);
    if (first === undefined) {
      firstIndexByName.set(target.name, index);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: [index, 'name'],
      message: `duplicate target name "${target.name}" (already used by targets[${first}])`,
    });
  });
});

const discord = z.strictObject({
  token: nonEmpty,
  guildId: snowflake,
  channelId: snowflake,
  mentionRoleId: snowflake.optional(),
  operatorRoleIds: z.array(snowflake).default([]),
  // A trailing slash would double up when paths are appended.
  apiUrl: plainHttpUrl.default('https://discord.com/api').transform((url) => url.replace(/\/+$/, '')),
});

const emailNotify = z.strictObject({
  smtp: z.strictObject({
    host: nonEmpty,
    port: port.default(587),
    secure: z.boolean().default(false),
    user: z.string().optional(),
    pass: z.string().optional(),
  }),
  from: sender,
  to: z.array(email).min(1, { error: 'must list at least one email address' }),
  fallbackAfter: duration.prefault('2m'),
});

const ntfy = z.strictObject({
  url: httpUrl,
  topic: nonEmpty,
  token: z.string().optional(),
});

const DEFAULT_SCHEDULE = '*/30 * * * * *';

// A recurring maintenance window (README "Maintenance windows"): nodes or targets, a cron schedule in a
// time zone, and how long each occurrence lasts — no longer than the shortest gap between occurrences.
/** What a time zone Intl does not know is told. */
const TIME_ZONE_ERROR = 'must be an IANA time zone such as Europe/Berlin or UTC';

const recurringWindow = z
  .strictObject({
    name: z.string().max(100, { error: 'must be at most 100 characters' }).regex(/^[a-z0-9][a-z0-9 ._-]*$/i, { error: 'must be a name: letters, digits, " ", ".", "_" and "-"' }),
    nodes: z.array(objectName).min(1, { error: 'must list at least one node' }).optional(),
    targets: z.array(nonEmpty).min(1, { error: 'must list at least one target' }).optional(),
    schedule: cronExpression,
    duration,
    timeZone: z.string().refine(isTimeZone, { error: TIME_ZONE_ERROR }).optional(),
  })
  .transform((w, ctx) => {
    if ((w.nodes === undefined) === (w.targets === undefined)) {
      ctx.issues.push({ code: 'custom', path: [w.nodes ? 'targets' : 'nodes'], message: 'set either nodes or targets, not both', input: w });
      return z.NEVER;
    }
    if (!firesOnWholeMinutes(w.schedule)) {
      ctx.issues.push({ code: 'custom', path: ['schedule'], message: 'must start on a whole minute: leave out the seconds field (or make it 0)', input: w.schedule });
      return z.NEVER;
    }
    const gap = shortestGap(w.schedule, w.timeZone);
    if (w.duration > gap) {
      ctx.issues.push({ code: 'custom', path: ['duration'], message: `is longer than the ${formatGap(gap)} between two occurrences of the schedule, so they would overlap`, input: w.duration });
      return z.NEVER;
    }
    return { name: w.name, nodes: w.nodes ?? [], targets: w.targets ?? [], schedule: w.schedule, duration: w.duration, ...(w.timeZone ? { timeZone: w.timeZone } : {}) };
  });

function formatGap(ms: number): string {
  const hours = ms / 3_600_000;
  return Number.isInteger(hours) ? `${hours}h` : `${Math.round(ms / 60_000)}m`;
}

// Recurring maintenance windows (README "Maintenance windows").
const maintenanceWindows = z.array(recurringWindow).default([]);

/**
 * The cron expression that runs every `ms`: only for intervals that divide a minute, an hour or a
 * day evenly (10s, 30s, 1m, 5m, 1h, 6h, 1d…), so cycles keep a steady rhythm on the clock and the
 * rest of stormguard has one notion of cadence, the schedule. Null for any other interval.
 */
export function intervalToCron(ms: number): string | null {
  if (ms % 1000 !== 0) return null;
  const s = ms / 1000;
  const every = (n: number) => (n === 1 ? '*' : `*/${n}`);
  if (s < 60) return 60 % s === 0 ? `${every(s)} * * * * *` : null;
  if (s < 3600) return s % 60 === 0 && 60 % (s / 60) === 0 ? `0 ${every(s / 60)} * * * *` : null;
  if (s < 86400) return s % 3600 === 0 && 24 % (s / 3600) === 0 ? `0 0 ${every(s / 3600)} * * *` : null;
  return s === 86400 ? '0 0 0 * * *' : null;
}

// How a caller proves who it is: a bearer token, or a user name and password (basic auth).
const credentials = z
  .strictObject({ bearerToken: nonEmpty.optional(), username: nonEmpty.optional(), password: nonEmpty.optional() })
  .transform((c, ctx) => {
    if (c.bearerToken && !c.username && !c.password) return { bearerToken: c.bearerToken };
    if (!c.bearerToken && c.username && c.password) return { username: c.username, password: c.password };
    ctx.issues.push({ code: 'custom', message: 'set either bearerToken, or username and password', input: c });
    return z.NEVER;
  });

// Optional (SPEC §10): Alertmanager's webhook as a source of incidents, and its API for silences.
const alertmanager = z.strictObject({
  // What Alertmanager's http_config sends to POST /alertmanager; required, so the endpoint is never open.
  receiver: credentials,
  // Alertmanager's own URL (API v2 for silences); without it, silences are stormguard's only.
  url: httpUrl.transform((url) => url.replace(/\/+$/, '')).optional(),
  api: credentials.optional(),
  titleLabels: z.array(nonEmpty).min(1, { error: 'must list at least one label' }).default(['alertname']),
  // Alertmanager's always-firing alert as a dead man's switch for the alerting pipeline (SPEC §14).
  watchdog: z.strictObject({ alertname: nonEmpty.default('Watchdog'), within: duration.prefault('10m') }).optional(),
});

/** The whole configuration file; parsing yields a {@link Config} with defaults filled in. */
export const configSchema = z.strictObject({
  discord: discord.optional(),
  kubernetes: z
    .strictObject({
      kubeconfig: nonEmpty.optional(),
      context: nonEmpty.optional(),
      // How pods and workloads are watched (README "Watch scope"): auto picks cluster-wide when allowed and worth it.
      watchScope: z
        .enum(['auto', 'namespaces', 'cluster'], { error: unlessMissing('must be auto, namespaces or cluster') })
        .default('auto'),
    })
    .prefault({}),
  database: z.strictObject({ path: nonEmpty.default('./data/stormguard.db') }).prefault({}),
  // `schedule` (cron) or `interval` (a duration such as 30s), not both; `interval` becomes a schedule.
  schedule: cronExpression.optional(),
  interval: duration.optional(),
  watchNodes: z.boolean().default(true),
  // Local times of the incident export (SPEC §13), beside UTC: an IANA zone such as Europe/Berlin.
  timeZone: z
    .string()
    .refine((zone) => isTimeZone(zone), { error: TIME_ZONE_ERROR })
    .default('UTC'),
  targets,
  notify: z
    .strictObject({
      escalateAfter: duration.prefault('15m'),
      email: emailNotify.optional(),
      ntfy: ntfy.optional(),
    })
    .prefault({}),
  http: z
    .strictObject({
      // 0 turns the HTTP server off, for running outside a cluster.
      port: z
        .int({ error: unlessMissing('must be a port number') })
        .min(0, { error: 'must be a port number from 0 (off) to 65535' })
        .max(65535, { error: 'must be a port number from 0 (off) to 65535' })
        .default(9464),
    })
    .prefault({}),
  heartbeat: z
    .strictObject({
      url: httpUrl,
      // The monitor's dialect; guessed from the URL when unset (core/heartbeat.ts).
      kind: z.enum(HEARTBEAT_KINDS, { error: unlessMissing(`must be one of ${HEARTBEAT_KINDS.join(', ')}`) }).optional(),
      // healthchecks.io only: ping `/start` before each cycle, so it measures the cycle's duration.
      start: z.boolean().default(false),
      // Gatus external endpoints want `Authorization: Bearer <token>`.
      token: nonEmpty.optional(),
    })
    .optional(),
  reopenWindow: duration.prefault('10m'),
  retention: duration.prefault('180d'),
  alertmanager: alertmanager.optional(),
  // Excerpts of the failing container's log in the thread and on demand (README "Evidence"): off, no pods/log is read.
  diagnosis: z.strictObject({ logs: z.boolean({ error: unlessMissing('must be true or false') }).default(true) }).prefault({}),
  maintenance: z
    .strictObject({
      kured: kured.prefault({}),
      // Planned maintenance recognised from the cluster (README "Planned maintenance").
      settleAfter: duration.prefault(formatDuration(MAINTENANCE_DEFAULTS.settleAfter)),
      overrunAfter: duration.prefault(formatDuration(MAINTENANCE_DEFAULTS.overrunAfter)),
      windows: maintenanceWindows,
    })
    .prefault({}),
}).transform(({ interval, schedule, ...rest }, ctx) => {
  // A recurring window names configured targets only (nodes are the cluster's: `stormguard doctor` sees them).
  const known = new Set(rest.targets.map((t) => t.name));
  const names = new Map<string, number>();
  for (const [i, w] of rest.maintenance.windows.entries()) {
    const unknown = w.targets.findIndex((t) => !known.has(t));
    if (unknown >= 0) {
      ctx.issues.push({ code: 'custom', path: ['maintenance', 'windows', i, 'targets', unknown], message: 'is not a configured target', input: w.targets[unknown] });
      return z.NEVER;
    }
    if (names.has(w.name)) {
      ctx.issues.push({ code: 'custom', path: ['maintenance', 'windows', i, 'name'], message: `duplicate window name (already used by maintenance.windows[${names.get(w.name)}])`, input: w.name });
      return z.NEVER;
    }
    names.set(w.name, i);
  }
  // The webhook is served by the HTTP server; with it turned off Alertmanager could never reach us.
  if (rest.alertmanager && rest.http.port === 0) {
    ctx.issues.push({ code: 'custom', path: ['http', 'port'], message: 'must not be 0 (off) while alertmanager is configured: the webhook is served on it', input: 0 });
    return z.NEVER;
  }
  if (interval === undefined) return { ...rest, schedule: schedule ?? DEFAULT_SCHEDULE };
  if (schedule !== undefined) {
    ctx.issues.push({ code: 'custom', path: ['interval'], message: 'set either schedule or interval, not both', input: interval });
    return z.NEVER;
  }
  const expression = intervalToCron(interval);
  if (expression === null) {
    ctx.issues.push({
      code: 'custom',
      path: ['interval'],
      message: 'must divide a minute, an hour or a day evenly (10s, 15s, 20s, 30s, 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h, 6h, 12h, 1d); use schedule (cron) for anything else',
      input: interval,
    });
    return z.NEVER;
  }
  return { ...rest, schedule: expression };
});

// Compile-time proof that the schema and the hand-written contract agree, in both directions.
type SchemaOutput = z.output<typeof configSchema>;
type Assert<T extends true> = T;
type SchemaMatchesConfig = Assert<SchemaOutput extends Config ? (Config extends SchemaOutput ? true : false) : false>;
