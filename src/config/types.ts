import type { HeartbeatKind } from '../core/heartbeat.js';
/**
 * The validated configuration, as the rest of the program sees it.
 *
 * Keys mirror the YAML of SPEC §6 one to one; every duration is already parsed into milliseconds
 * (the YAML says `timeout: 5s`, this type holds `timeout: 5000`). Defaults are filled in.
 */

/** `kubernetes.watchScope`: watch pods and workloads per namespace, cluster-wide, or cluster-wide when allowed and worth it (`auto`). */
export type WatchScopeSetting = 'auto' | 'namespaces' | 'cluster';

/** A workload kind that `kubectl rollout restart` can restart. */
export type RolloutKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** What a target watches: a rollout-capable workload by name, or bare pods by label selector. */
export type WorkloadRef = { kind: RolloutKind; name: string } | { kind: 'Pods'; selector: string };

/** An optional active probe; without one, the workload's pod readiness is the health signal. */
export type ProbeConfig =
  | { http: { url: string; timeout: number; expectStatus: number } }
  | { tcp: { host: string; port: number; timeout: number } };

/** Limits on restarts of one target (SPEC §3 step 4 and 5). */
export interface RestartPolicy {
  maxPerHour: number;
  /** Waits between successive automatic restarts within one incident; the last repeats. */
  backoff: number[];
  circuitBreakAfter: number;
  nodeRecoveryGrace: number;
  /** After any restart, further restarts are refused for this long (SPEC §3 step 4). */
  cooldown: number;
}

/** A link shown as a button on the target's incident message (Grafana, a runbook, the service's own UI). */
export interface TargetLink {
  label: string;
  url: string;
}

/** One watched workload. */
export interface TargetConfig {
  name: string;
  namespace: string;
  workload: WorkloadRef;
  probe?: ProbeConfig;
  failureThreshold: number;
  successThreshold: number;
  autoRestart: boolean;
  restart: RestartPolicy;
  /** Link buttons on the incident message (at most 5). */
  links?: TargetLink[];
}

/** Discord connection and who may act. */
export interface DiscordConfig {
  token: string;
  guildId: string;
  channelId: string;
  mentionRoleId?: string;
  operatorRoleIds: string[];
  apiUrl: string;
}

/** SMTP email for fallback and escalation. */
export interface EmailConfig {
  smtp: { host: string; port: number; secure: boolean; user?: string; pass?: string };
  from: string;
  to: string[];
  fallbackAfter: number;
}

/** ntfy push notifications. */
export interface NtfyConfig {
  url: string;
  topic: string;
  token?: string;
}

/** A bearer token or basic-auth user and password. */
export type Credentials = { bearerToken: string } | { username: string; password: string };

/** `maintenance.kured`: where kured keeps its reboot lock (a DaemonSet annotation) and how it marks a node it reboots. */
export interface KuredConfig {
  namespace: string;
  daemonSet: string;
  lockAnnotation: string;
  rebootAnnotation: string;
}

/** Alertmanager as a source of incidents (its webhook) and of silences (its API v2). */
export interface AlertmanagerConfig {
  /** What Alertmanager sends to `POST /alertmanager` (its receiver's `http_config`). */
  receiver: Credentials;
  /** Alertmanager's base URL; silences set from Discord are created there. */
  url?: string;
  /** Credentials for Alertmanager's API, when it asks for them. */
  api?: Credentials;
  /** Labels whose values, in order, make the incident title (then the common summary). */
  titleLabels: string[];
  /** Alertmanager's Watchdog as a dead man's switch: its absence for `within` (ms) is one incident. */
  watchdog?: { alertname: string; within: number };
}

/** The dead man's switch for stormguard itself (SPEC §14). */
export interface HeartbeatConfig {
  url: string;
  /** The monitor's dialect; unset: guessed from the URL. */
  kind?: HeartbeatKind;
  /** healthchecks.io: ping `/start` before each cycle. */
  start: boolean;
  /** Gatus: the external endpoint's bearer token. */
  token?: string;
}

/** The whole configuration after validation and defaults. */
export interface Config {
  discord?: DiscordConfig;
  kubernetes: { kubeconfig?: string; context?: string; watchScope: WatchScopeSetting };
  database: { path: string };
  schedule: string;
  watchNodes: boolean;
  /** The IANA time zone of local times in incident exports (default UTC). */
  timeZone: string;
  targets: TargetConfig[];
  notify: { escalateAfter: number; email?: EmailConfig; ntfy?: NtfyConfig };
  http: { port: number };
  heartbeat?: HeartbeatConfig;
  reopenWindow: number;
  /** How long the record of what happened is kept (ms, default 180d, SPEC §13): older audit entries are pruned. */
  retention: number;
  alertmanager?: AlertmanagerConfig;
  /** What the diagnosis may read besides states and events: `logs` off, no container log is ever read (no `pods/log` access needed). */
  diagnosis: { logs: boolean };
  /** Planned maintenance: the names the cluster's signals go by, the settle and overrun times, recurring windows. */
  maintenance: MaintenanceConfig;
}

/** `maintenance`: kured's names, how long drained pods get to come back, when a maintenance counts as overrun (ms), and recurring windows. */
export interface MaintenanceConfig {
  kured: KuredConfig;
  /** After the node is Ready and schedulable again, automatic restarts of what it drained wait this long (default 10m). */
  settleAfter: number;
  /** A node NotReady or cordoned this long in a maintenance rings once (default 45m). */
  overrunAfter: number;
  windows: RecurringWindowConfig[];
}

/** A recurring maintenance window (`maintenance.windows[]`): its occurrences mute and hold what it covers. */
export interface RecurringWindowConfig {
  name: string;
  /** The nodes it covers (empty when it names targets). */
  nodes: string[];
  /** The targets it covers (empty when it names nodes). */
  targets: string[];
  /** A cron expression (minutes; no seconds) in `timeZone`: when each occurrence starts. */
  schedule: string;
  /** How long each occurrence lasts (ms). */
  duration: number;
  /** IANA time zone of the schedule; absent: the machine's. */
  timeZone?: string;
}
