/**
 * The simulated cluster's state and its controllers (scheduler, rollouts, pod replacement).
 *
 * Everything time-based is evaluated lazily: `reconcile()` runs at the start of every API request
 * and every state call and catches up with the injected clock, so a fake clock in a test moves
 * rollouts forward without timers.
 */
import { ListSnapshots } from './paging.js';
import { EventStore, syncFailureEvents } from './events.js';
import { failureOf, podStatusKey, type SimFailureRule } from './failures.js';
import type { SimLogRule } from './logs.js';
import type { SimPlan } from './plans.js';
import type { SimRbacRule } from './rbac.js';

/** The status of a node's `Ready` condition, as the kubelet and the node lifecycle controller set it. */
export type NodeReadiness = 'True' | 'False' | 'Unknown';

/** A workload kind the simulator runs. */
export type SimWorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** Pod health as a test sets it: `untilRestart` is unhealthy, but pods created by a restart are healthy. */
export type SimHealth = 'healthy' | 'unhealthy' | 'untilRestart';

/** One container of a pod template: its name, image and memory limit (`resources.limits.memory`). */
export interface SimContainer {
  name: string;
  image: string;
  memoryLimit?: string;
}

/** One node. */
export interface SimNode {
  name: string;
  uid: string;
  createdAt: number;
  rv: number;
  ready: NodeReadiness;
  /** Sim-clock time of the last change of the Ready condition. */
  readySince: number;
  unschedulable: boolean;
  /** `metadata.annotations` (kured's `weave.works/kured-reboot-in-progress`, `kubectl annotate`). */
  annotations: Record<string, string>;
}

/** One Deployment, StatefulSet or DaemonSet. */
export interface SimWorkload {
  kind: SimWorkloadKind;
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  rv: number;
  /** Desired replicas (Deployment, StatefulSet); DaemonSets use `daemonNodes`. */
  replicas: number;
  /** Nodes a DaemonSet runs on, fixed at creation. */
  daemonNodes: string[];
  matchLabels: Record<string, string>;
  /** Pinned node (`nodeSelector kubernetes.io/hostname`), or null. */
  node: string | null;
  generation: number;
  /** Template revision; bumped by each template change. */
  revision: number;
  /** Revision every pod ran when the last rollout completed (StatefulSet `currentRevision`). */
  currentRevision: number;
  templateAnnotations: Record<string, string>;
  /** The pod template's containers (absent: one `main` container). */
  containers?: SimContainer[];
  initContainers?: SimContainer[];
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** Health of pods the controller creates from now on. */
  health: SimHealth;
  /** A template change waiting for its pods to be replaced. */
  rollout: { startedAt: number } | null;
  /** Deployment `Progressing` condition: sticky `complete` once the rollout finished. */
  progress: 'progressing' | 'complete';
  lastProgressAt: number;
  progressDeadlineSeconds: number;
  podSeq: number;
}

/** One pod, owned by a workload or bare. */
export interface SimPod {
  namespace: string;
  name: string;
  uid: string;
  createdAt: number;
  rv: number;
  labels: Record<string, string>;
  /** `spec.nodeName`; null while unscheduled (phase Pending). */
  nodeName: string | null;
  /** `nodeSelector kubernetes.io/hostname`; null when the pod may run anywhere. */
  pinnedNode: string | null;
  /** `kind/namespace/name` of the owning workload, or null for a bare pod. */
  owner: string | null;
  ownerUid: string | null;
  revision: number;
  health: SimHealth;
  /** Bare pods only: a controller we do not model recreates the pod (new name) after a delete. */
  replaceOnDelete: boolean;
  /** Bare pods only: the name replacements derive theirs from. */
  baseName: string;
  /** The containers of the template the pod was created from (absent: one `main` container). */
  containers?: SimContainer[];
  initContainers?: SimContainer[];
  /** The time-dependent part of its status last published (see failures.ts `podStatusKey`). */
  statusKey?: string;
  /** Sim-clock time its graceful deletion began (`metadata.deletionTimestamp`); absent while it lives. */
  deletingAt?: number;
  /** The `DisruptionTarget=True` condition the API server added before deleting it (drain.ts). */
  disruption?: { reason: string; message: string; at: number };
}

/** One Lease, stored as the client sent it plus server-owned metadata. */
export interface SimLease {
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
  rv: number;
}

/** One recorded restart: a workload PATCH or a pod DELETE. */
export interface SimRestart {
  kind: SimWorkloadKind | 'Pod';
  namespace: string;
  name: string;
  at: number;
  contentType: string | null;
  body: unknown;
}

/** Options of the cluster model. */
export interface ModelOptions {
  now: () => number;
  rolloutDelayMs: number;
  /**
   * Sim-clock time a gracefully deleted pod takes to stop once its kubelet acts (default 1000): the
   * kubelet confirms the deletion, and the pod object disappears, only from a Ready node.
   */
  terminationMs?: number;
}

/** The node label a pod template pins a node with. */
export const HOSTNAME = 'kubernetes.io/hostname';

/** Key of a workload in maps and in `SimPod.owner`. */
export function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** The in-memory cluster; every mutation bumps the global resourceVersion. */
export class ClusterModel {
  readonly nodes = new Map<string, SimNode>();
  readonly workloads = new Map<string, SimWorkload>();
  /** Keyed by `namespace/name`. */
  readonly pods = new Map<string, SimPod>();
  readonly leases = new Map<string, SimLease>();
  /** system-upgrade-controller Plans by `namespace/name`; null while their CRD is not installed (plans.ts). */
  plans: Map<string, SimPlan> | null = null;
  readonly restarts: SimRestart[] = [];
  /** The rules granted to the simulator's user; `null` = RBAC not modelled, everything allowed. */
  rbac: SimRbacRule[] | null = null;
  /** Lists being read a page at a time (`limit`/`continue`). */
  readonly lists = new ListSnapshots();
  /** Pod failures a test set (failures.ts), newest last; bump `failuresVersion` on every change. */
  readonly failures: SimFailureRule[] = [];
  failuresVersion = 0;
  /** Events (events.ts). */
  readonly events = new EventStore();
  /** Log texts a test set (logs.ts), newest last. */
  readonly logRules: SimLogRule[] = [];
  /** Replacements of deleted bare pods, due at a sim-clock time. */
  private readonly pendingReplacements: { due: number; pod: SimPod }[] = [];
  private resourceVersion = 1000;
  private uidSeq = 0;
  private ownerIndex: Map<string, SimPod[]> | null = null;
  private ownerIndexAt = '';

  constructor(private readonly opts: ModelOptions) {}

  /** The injected clock. */
  now(): number {
    return this.opts.now();
  }

  /** Current global resourceVersion (list responses carry it). */
  get currentRv(): number {
    return this.resourceVersion;
  }

  /** Returns a fresh resourceVersion for a mutated object. */
  bump(): number {
    return ++this.resourceVersion;
  }

  /** A fresh, deterministic object uid. */
  uid(): string {
    const n = (++this.uidSeq).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${n}`;
  }

  /** True when a pod of `kind` may be bound to `nodeName` now (DaemonSet pods tolerate cordons). */
  schedulable(nodeName: string, kind: SimWorkloadKind | null): boolean {
    const node = this.nodes.get(nodeName);
    if (!node || node.ready !== 'True') return false;
    return kind === 'DaemonSet' || !node.unschedulable;
  }

  /** A pod is Ready iff it is bound, its node is Ready, and the test did not mark it unhealthy. */
  podReady(pod: SimPod): boolean {
    if (pod.nodeName === null || pod.health !== 'healthy' || pod.deletingAt !== undefined) return false;
    if (this.failures.length > 0 && failureOf(this, pod) !== null) return false;
    return this.nodes.get(pod.nodeName)?.ready === 'True';
  }

  /** The pods a workload owns that are not being deleted (what its controller counts in its status). */
  activePodsOf(w: SimWorkload): SimPod[] {
    return this.podsOf(w).filter((p) => p.deletingAt === undefined);
  }

  /** The pods a workload owns. */
  podsOf(w: SimWorkload): SimPod[] {
    // Indexed once per state (resourceVersion, pod count): rendering 1,000 workloads stays linear.
    if (this.ownerIndex === null || this.ownerIndexAt !== `${this.resourceVersion}/${this.pods.size}`) {
      this.ownerIndex = new Map();
      for (const p of this.pods.values()) {
        if (p.owner === null) continue;
        const list = this.ownerIndex.get(p.owner);
        if (list) list.push(p);
        else this.ownerIndex.set(p.owner, [p]);
      }
      this.ownerIndexAt = `${this.resourceVersion}/${this.pods.size}`;
    }
    return [...(this.ownerIndex.get(workloadKey(w.kind, w.namespace, w.name)) ?? [])];
  }

  /** Catches up with the clock: finishes due rollouts and replacements, binds Pending pods. */
  reconcile(): void {
    const now = this.now();
    for (const w of this.workloads.values()) {
      if (w.rollout && now >= w.rollout.startedAt + this.opts.rolloutDelayMs) this.replacePods(w);
    }
    for (let i = this.pendingReplacements.length - 1; i >= 0; i--) {
      const entry = this.pendingReplacements[i]!;
      if (now < entry.due) continue;
      this.pendingReplacements.splice(i, 1);
      this.pods.set(`${entry.pod.namespace}/${entry.pod.name}`, entry.pod);
    }
    this.finishTerminations(now);
    this.schedulePending();
    for (const w of this.workloads.values()) this.updateProgress(w);
    this.syncFailures();
  }

  /**
   * Time alone moves a failing pod on (restarts, back-off): a pod whose status changed gets a new
   * resourceVersion, and the events its failure emits are brought up to date.
   */
  private syncFailures(): void {
    if (this.failures.length > 0) {
      for (const pod of this.pods.values()) {
        const key = podStatusKey(this, pod);
        if ((pod.statusKey ?? '') === key) continue;
        pod.statusKey = key;
        pod.rv = this.bump();
      }
    }
    syncFailureEvents(this);
  }

  /** Replaces a workload's pods with new ones of the same revision (as after an eviction). */
  recreatePods(w: SimWorkload): void {
    for (const pod of this.podsOf(w)) this.pods.delete(`${pod.namespace}/${pod.name}`);
    if (w.kind === 'DaemonSet') {
      for (const node of w.daemonNodes) this.addWorkloadPod(w, node, undefined);
    } else {
      for (let i = 0; i < w.replicas; i++) this.addWorkloadPod(w, w.node, i);
    }
    w.rv = this.bump();
  }

  /** Creates a workload's first pods. */
  createPods(w: SimWorkload): void {
    if (w.kind === 'DaemonSet') {
      for (const node of w.daemonNodes) this.addWorkloadPod(w, node, undefined);
    } else {
      for (let i = 0; i < w.replicas; i++) this.addWorkloadPod(w, w.node, i);
    }
    this.schedulePending();
    this.updateProgress(w);
  }

  /** Starts a rollout after a template change: the controller replaces pods `rolloutDelayMs` later. */
  startRollout(w: SimWorkload): void {
    w.generation++;
    w.revision++;
    w.rollout = { startedAt: this.now() };
    w.progress = 'progressing';
    w.lastProgressAt = this.now();
    w.rv = this.bump();
  }

  /**
   * Deletes a pod; a workload's controller replaces it at once, and a bare pod with
   * `replaceOnDelete` comes back under a new name after the delay.
   */
  deletePod(pod: SimPod): void {
    this.pods.delete(`${pod.namespace}/${pod.name}`);
    const owner = pod.owner === null ? undefined : this.workloads.get(pod.owner);
    // A ReplicaSet already replaced a pod when its graceful deletion began (beginDeletion).
    if (owner?.kind === 'Deployment' && pod.deletingAt !== undefined) return;
    if (owner) {
      // The owning controller (ReplicaSet, StatefulSet, DaemonSet) replaces the pod at once, from
      // the current template: a pod whose template fails fails again.
      const ordinal = owner.kind === 'StatefulSet' ? Number(pod.name.slice(owner.name.length + 1)) : undefined;
      this.addWorkloadPod(owner, owner.kind === 'DaemonSet' ? pod.pinnedNode : owner.node, ordinal);
      this.schedulePending();
      return;
    }
    if (pod.owner !== null || !pod.replaceOnDelete) return;
    const replacement: SimPod = {
      ...pod,
      name: `${pod.baseName}-${this.suffix(pod.baseName, this.uidSeq + 1)}`,
      uid: this.uid(),
      createdAt: this.now() + this.opts.rolloutDelayMs,
      rv: this.bump(),
      nodeName: null,
      health: pod.health === 'unhealthy' ? 'unhealthy' : 'healthy',
      statusKey: undefined,
    };
    // An unpinned bare pod goes back to the node it ran on when that node can take it.
    if (replacement.pinnedNode === null && pod.nodeName !== null && this.schedulable(pod.nodeName, null)) {
      replacement.nodeName = pod.nodeName;
    }
    this.pendingReplacements.push({ due: this.now() + this.opts.rolloutDelayMs, pod: replacement });
  }

  /**
   * Starts a graceful deletion (what the Eviction API does after adding the `DisruptionTarget`
   * condition): the pod gets a deletionTimestamp and stops being Ready; the ReplicaSet controller
   * replaces it at once (it counts terminating pods as gone), while StatefulSet and DaemonSet
   * controllers wait until the old pod object is gone (same ordinal name, same node).
   */
  beginDeletion(pod: SimPod, disruption?: SimPod['disruption']): void {
    if (pod.deletingAt !== undefined) return;
    pod.deletingAt = this.now();
    if (disruption) pod.disruption = disruption;
    pod.rv = this.bump();
    const owner = pod.owner === null ? undefined : this.workloads.get(pod.owner);
    if (owner?.kind === 'Deployment') {
      this.addWorkloadPod(owner, owner.node, undefined);
      this.schedulePending();
    }
  }

  /**
   * Removes terminating pods whose kubelet has confirmed: `terminationMs` after the deletion began,
   * on a Ready node (a NotReady node's kubelet confirms nothing: its pods stay Terminating), or at
   * once for a pod never bound. StatefulSet and DaemonSet controllers then create the replacement.
   */
  private finishTerminations(now: number): void {
    for (const pod of [...this.pods.values()]) {
      if (pod.deletingAt === undefined) continue;
      const bound = pod.nodeName !== null;
      if (bound && (now < pod.deletingAt + (this.opts.terminationMs ?? 1000) || this.nodes.get(pod.nodeName!)?.ready !== 'True')) continue;
      this.pods.delete(`${pod.namespace}/${pod.name}`);
      this.bump();
      const owner = pod.owner === null ? undefined : this.workloads.get(pod.owner);
      if (owner && owner.kind !== 'Deployment') {
        const ordinal = owner.kind === 'StatefulSet' ? Number(pod.name.slice(owner.name.length + 1)) : undefined;
        this.addWorkloadPod(owner, owner.kind === 'DaemonSet' ? pod.pinnedNode : owner.node, ordinal);
      }
    }
  }

  /** Sets the Ready condition of a node; pods on it change readiness with it. */
  setNodeReady(node: SimNode, ready: NodeReadiness): void {
    if (node.ready === ready) return;
    node.ready = ready;
    node.readySince = this.now();
    node.rv = this.bump();
    for (const pod of this.pods.values()) if (pod.nodeName === node.name) pod.rv = this.bump();
  }

  private replacePods(w: SimWorkload): void {
    for (const pod of this.podsOf(w)) this.pods.delete(`${pod.namespace}/${pod.name}`);
    // `untilRestart` models "a restart fixes it"; `unhealthy` survives restarts.
    if (w.health === 'untilRestart') w.health = 'healthy';
    if (w.kind === 'DaemonSet') {
      for (const node of w.daemonNodes) this.addWorkloadPod(w, node, undefined);
    } else {
      for (let i = 0; i < w.replicas; i++) this.addWorkloadPod(w, w.node, i);
    }
    w.rollout = null;
    w.lastProgressAt = this.now();
    w.rv = this.bump();
  }

  private addWorkloadPod(w: SimWorkload, pinnedNode: string | null, ordinal: number | undefined): void {
    const seq = ++w.podSeq;
    const labels: Record<string, string> = { ...w.matchLabels };
    let name: string;
    if (w.kind === 'Deployment') {
      const hash = this.suffix(`${w.name}/${w.revision}`, 0, 10);
      labels['pod-template-hash'] = hash;
      name = `${w.name}-${hash}-${this.suffix(w.name, seq)}`;
    } else if (w.kind === 'StatefulSet') {
      // StatefulSet pods keep their ordinal names across restarts; only the uid changes.
      name = `${w.name}-${ordinal ?? 0}`;
      labels['controller-revision-hash'] = `${w.name}-${this.suffix(`${w.name}/${w.revision}`, 0, 10)}`;
      labels['statefulset.kubernetes.io/pod-name'] = name;
    } else {
      name = `${w.name}-${this.suffix(w.name, seq)}`;
      labels['controller-revision-hash'] = this.suffix(`${w.name}/${w.revision}`, 0, 10);
    }
    const pod: SimPod = {
      namespace: w.namespace,
      name,
      uid: this.uid(),
      createdAt: this.now(),
      rv: this.bump(),
      labels,
      nodeName: null,
      pinnedNode,
      owner: workloadKey(w.kind, w.namespace, w.name),
      ownerUid: w.uid,
      revision: w.revision,
      health: w.health === 'unhealthy' || w.health === 'untilRestart' ? w.health : 'healthy',
      replaceOnDelete: false,
      baseName: name,
      ...(w.containers ? { containers: w.containers.map((c) => ({ ...c })) } : {}),
      ...(w.initContainers ? { initContainers: w.initContainers.map((c) => ({ ...c })) } : {}),
    };
    this.pods.set(`${pod.namespace}/${pod.name}`, pod);
  }

  /**
   * The scheduler: binds Pending pods. A pinned pod waits for its node to be Ready (and, except for
   * DaemonSets, uncordoned) — it stays unscheduled (no nodeName, phase Pending) until then, as a real
   * scheduler leaves a pod whose only allowed node is tainted not-ready.
   */
  private schedulePending(): void {
    const free = [...this.nodes.keys()].sort();
    let rr = 0;
    for (const pod of this.pods.values()) {
      if (pod.nodeName !== null) continue;
      // A pod the test made unschedulable finds no node.
      if (this.failures.length > 0 && failureOf(this, pod)?.failure.kind === 'unschedulable') continue;
      const kind = pod.owner ? (pod.owner.split('/')[0] as SimWorkloadKind) : null;
      if (pod.pinnedNode !== null) {
        if (this.schedulable(pod.pinnedNode, kind)) this.bind(pod, pod.pinnedNode);
        continue;
      }
      const candidates = free.filter((n) => this.schedulable(n, kind));
      if (candidates.length > 0) this.bind(pod, candidates[rr++ % candidates.length]!);
    }
  }

  private bind(pod: SimPod, node: string): void {
    pod.nodeName = node;
    pod.rv = this.bump();
  }

  /** Deployment `Progressing`: complete once every pod runs the new template and is Ready. */
  private updateProgress(w: SimWorkload): void {
    if (w.rollout !== null || w.progress === 'complete') return;
    const pods = this.activePodsOf(w);
    const want = w.kind === 'DaemonSet' ? w.daemonNodes.length : w.replicas;
    const done = pods.length === want && pods.every((p) => p.revision === w.revision && this.podReady(p));
    if (done) {
      w.progress = 'complete';
      w.currentRevision = w.revision;
      w.rv = this.bump();
    }
  }

  /** A short lowercase suffix, deterministic for (seed, n) like the controllers' random ones. */
  suffix(seed: string, n: number, length = 5): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let h = 2166136261;
    for (const ch of `${seed}#${n}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    let out = '';
    for (let i = 0; i < length; i++) {
      out += alphabet[h % alphabet.length];
      h = Math.imul(h ^ (i + 0x9e37), 16777619) >>> 0;
    }
    return out;
  }
}
