/**
 * Plain data shared by the pure core and the shell: what the cluster looked like, what we remember
 * about each target and incident, and the effects the core asks the shell to carry out.
 * Times are epoch milliseconds throughout.
 */
import type { Diagnoses } from './diagnosis.js';

/** The Ready condition of a node as the API reports it. */
export type NodeReadiness = 'True' | 'False' | 'Unknown';

/** What one cycle learned about one node. */
export interface NodeFacts {
  name: string;
  ready: NodeReadiness;
  /** lastTransitionTime of the Ready condition, or null when the API gave none. */
  readySince: number | null;
  /** `spec.unschedulable`: the node is cordoned (maintenance). */
  unschedulable: boolean;
  /** kured holds its reboot lock for this node, or the node carries kured's reboot-in-progress annotation. */
  kuredReboot?: boolean;
  /** system-upgrade-controller Plans (`upgrade.cattle.io/v1`) listing this node in `status.applying`. */
  upgradePlans?: string[];
}

/** One container of a pod as the kubelet reports it (`status.containerStatuses`, init containers too). */
export interface ContainerFacts {
  name: string;
  /** An init container: it must finish before the pod's containers start. */
  init: boolean;
  image: string;
  /** `resources.limits.memory` of the pod's spec for this container, as written (`512Mi`), or null. */
  memoryLimit: string | null;
  restartCount: number;
  /** `state.waiting`: the kubelet's reason constant and its message (text to show, never parsed). */
  waiting: { reason: string; message: string } | null;
  /** `lastState.terminated`: how the previous container ended. */
  lastTerminated: { reason: string; exitCode: number; finishedAt: number | null } | null;
}

/** One pod of a watched workload. */
export interface PodFacts {
  name: string;
  /** `spec.nodeName`, null while unscheduled. */
  node: string | null;
  phase: string;
  ready: boolean;
  /** Being deleted (`metadata.deletionTimestamp` set): an evicted pod on its way out. */
  terminating?: boolean;
  /** Container statuses; absent when the reader does not report them. */
  containers?: ContainerFacts[];
  /** The scheduler's message while `PodScheduled` is `False` with reason `Unschedulable`, else null. */
  unschedulable?: string | null;
  /** The reason of the pod's `DisruptionTarget=True` condition (`EvictionByEvictionAPI` for a drain), else null. */
  disruption?: string | null;
}

/** A Warning event about a target's pods or workload (`type=Warning`), newest occurrence first in a list. */
export interface WarningEvent {
  /** The API's reason constant: `FailedMount`, `FailedAttachVolume`, `FailedScheduling`, `BackOff`… */
  reason: string;
  /** Text to show, never parsed. */
  message: string;
  /** `Kind/name` of the involved object. */
  object: string;
  count: number;
  lastSeen: number;
}

/** What a new revision of a workload's pod template changed, and when it appeared. */
export interface TemplateChange {
  at: number;
  images: Array<{ container: string; from: string; to: string }>;
  memoryLimits: Array<{ container: string; from: string | null; to: string | null }>;
}

/** What one cycle learned about one target's workload. */
export interface WorkloadFacts {
  target: string;
  /** False when the Deployment/StatefulSet/DaemonSet does not exist (Pods targets: always true). */
  found: boolean;
  pods: PodFacts[];
  /** Nodes the pods are bound to, else the node the template pins via kubernetes.io/hostname. */
  relevantNodes: string[];
  readyReplicas: number;
  desiredReplicas: number;
  /** A rollout has not finished (new template not yet fully rolled out and available). */
  rolloutInProgress: boolean;
  /** The Deployment's `Progressing` condition message while it is `False`/`ProgressDeadlineExceeded`, else null. */
  progressDeadlineExceeded?: string | null;
  /** Recent Warning events of the workload and its pods, newest first (few, aged out by the reader). */
  events?: WarningEvent[];
  /** The latest template change the reader saw, if any. */
  change?: TemplateChange | null;
}

/**
 * The state of one source of a snapshot (a cache of one kind in one namespace, or of the nodes):
 * whether it is in sync with the API, and its last failure with the HTTP status when the API answered.
 */
export interface SourceStatus {
  /** `Node`, `Pod`, `Deployment`, `StatefulSet` or `DaemonSet`. */
  kind: string;
  /** Null for cluster-scoped sources (nodes). */
  namespace: string | null;
  inSync: boolean;
  error: { message: string; status: number | null } | null;
}

/** A source as a snapshot reports it: its status, and the configured targets whose data comes from it. */
export interface SnapshotSource extends SourceStatus {
  targets: string[];
}

/** The cluster as one cycle saw it; `reachable: false` means unknown, never healthy nor down. */
export type ClusterSnapshot =
  | {
      reachable: true;
      observedAt: number;
      nodes: Record<string, NodeFacts>;
      workloads: Record<string, WorkloadFacts>;
      /**
       * Targets whose data is unknown although the API answered (a source they need is not in sync),
       * each with a sentence saying why: never healthy, never down, never restarted. Absent: none.
       */
      unknownTargets?: Record<string, string>;
      /**
       * Every source this snapshot read from, when the reader has sources (the informers' caches), each
       * with the targets that read it. The nodes' source out of sync here (the API answered, but with a
       * refusal such as RBAC's 403) means the nodes are unknown: `nodes` is empty and every target is in
       * `unknownTargets` — an API that does not answer is `reachable: false` instead.
       */
      sources?: SnapshotSource[];
    }
  | { reachable: false; observedAt: number; error: string };

/** The outcome of probing one target once; `unknown` changes no counters. */
export interface Observation {
  target: string;
  result: 'ok' | 'fail' | 'unknown';
  /** A short human detail ("HTTP 503", "connection refused", "0/1 pods ready"). */
  detail: string;
}

/** Remembered health of one target, with hysteresis counters. */
export interface TargetState {
  target: string;
  health: 'up' | 'down';
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastDetail: string;
  lastObservedAt: number | null;
  /** Last automatic-restart refusal recorded for this target, so a refusal is audited once per change. */
  lastGateReason: string | null;
  /**
   * Observations in a row in which the target's Deployment/StatefulSet/DaemonSet did not exist: at
   * `failureThreshold` the target is *missing* (a setup incident); 0 once the workload is seen.
   */
  consecutiveMissing: number;
}

/** Lifecycle states of an incident; a silence is an overlay, not a state. */
export type IncidentState = 'open' | 'acknowledged' | 'resolved';

/**
 * What an incident is about; `alert` is an Alertmanager group (SPEC §10); `setup` a problem of
 * stormguard's own setup that blinds it to some targets (a forbidden list, a missing workload);
 * `observer` stormguard's own view looking broken (many probes failing at once while Kubernetes
 * reports their workloads Ready).
 */
export type IncidentKind = 'target' | 'node' | 'cluster' | 'alert' | 'setup' | 'observer';

/** One outage of one subject (`target:frigate`, `node:k3s-2`, `cluster`). */
export interface Incident {
  /** Null until the store has inserted it. */
  id: number | null;
  subject: string;
  kind: IncidentKind;
  state: IncidentState;
  /** A sentence for people: why this incident exists right now. */
  cause: string;
  /** Targets this incident covers (a target incident: just its target). */
  targets: string[];
  openedAt: number;
  resolvedAt: number | null;
  reopenCount: number;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  /** When the role was rung for the current opening; null while the ring is still owed (muted). */
  notifiedAt: number | null;
  escalatedAt: number | null;
  /** Automatic restarts in this incident, for the circuit breaker and the message. */
  restartCount: number;
  /** The circuit breaker tripped: automatic restarts stopped, a person must act. */
  needsHuman: boolean;
  /** Why its targets are down, as Kubernetes said when it was last seen (by target); absent = nothing known. */
  diagnoses?: Diagnoses;
}

/** What a silence mutes: everything (maintenance), one target, or one node (its incident). */
export type SilenceScope = { kind: 'everything' } | { kind: 'target'; name: string } | { kind: 'node'; name: string } | { kind: 'alert'; name: string };

/** A silence: mutes notifications and automatic restarts until `endsAt` (derived, never stored). */
export interface Silence {
  id: number;
  scope: SilenceScope;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  reason: string;
  /** Set when lifted early with `/silence off`. */
  liftedAt: number | null;
}

/** Outcome of one restart attempt; `pending` is written before the API call (persist, then act). */
export type RestartStatus = 'pending' | 'succeeded' | 'failed' | 'unknown';

/** One restart attempt, automatic or by a person. */
export interface RestartRecord {
  id: number;
  target: string;
  incidentId: number | null;
  requestedBy: string;
  automatic: boolean;
  requestedAt: number;
  status: RestartStatus;
  error: string | null;
}

/** Why a ring (a message that mentions the role) is sent. */
export type RingReason = 'open' | 'reopen' | 'unmuted' | 'escalation' | 'overrun';

/** The effects Discord carries: the incident message, its thread, its notes and rings. */
export type DiscordEffect =
  | { type: 'postMessage'; mention: boolean }
  | { type: 'editMessage' }
  | { type: 'threadNote'; text: string }
  | { type: 'ring'; reason: Exclude<RingReason, 'open'>; text: string }
  | { type: 'archiveThread' };

/** A notification to carry out after the state that caused it has been committed (through the outbox). */
export type Effect = DiscordEffect | { type: 'email'; reason: RingReason | 'fallback' } | { type: 'push'; reason: RingReason };

/**
 * A restart the lifecycle asks for. Not an effect: restarts are not idempotent, so the shell records an
 * attempt row in the same transaction and carries it out once, after commit — never from the outbox.
 */
export interface RestartRequest {
  target: string;
  automatic: boolean;
  requestedBy: string;
}

/** One audit record: who did what to which subject, and why. */
export interface AuditEntry {
  at: number;
  /** A Discord user id or `scheduler`. */
  actor: string;
  action: string;
  subject: string;
  incidentId: number | null;
  reason: string | null;
  detail: Record<string, unknown>;
}

/** Where an effect is delivered; order is kept per incident within one channel. */
export type EffectChannel = 'discord' | 'email' | 'push';

/** The channel that carries an effect — the one place that says which effects go to Discord (the outbox stores it). */
export function effectChannel(effect: Effect): EffectChannel {
  return effect.type === 'email' || effect.type === 'push' ? effect.type : 'discord';
}

/** Whether Discord carries this effect. */
export function isDiscordEffect(effect: Effect): effect is DiscordEffect {
  return effectChannel(effect) === 'discord';
}

/** Where time comes from (epoch milliseconds); tests pass a controllable clock. */
export type Clock = () => number;
