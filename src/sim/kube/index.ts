/**
 * A small Kubernetes API server for tests and `stormguard demo`: the real `@kubernetes/client-node`
 * talks to it over loopback HTTP. It models nodes, Deployments, StatefulSets, DaemonSets, pods and
 * Leases closely enough for stormguard's reads, restarts and lease, plus fault injection.
 *
 * Rollouts: a PATCH that changes the pod template bumps `metadata.generation`; `rolloutDelayMs`
 * later on the injected clock the pods are replaced by new ones (Deployment/DaemonSet pods get new
 * names; StatefulSet pods keep their ordinal names and get a new uid). A new pod whose pinned node
 * is not Ready (or cordoned) stays unscheduled — `Pending` with no `nodeName` — until it is.
 *
 * Why pods fail (container states, Events, pod logs, template changes) is the diagnostics API:
 * see diagnostics.ts, failures.ts, events.ts and logs.ts.
 */
import { writeFile } from 'node:fs/promises';
import { parseSimSelector, simSelectorMatches } from './labels.js';
import { simKubeconfig } from './kubeconfig.js';
import {
  ClusterModel,
  workloadKey,
  type NodeReadiness,
  type SimHealth,
  type SimContainer,
  type SimRestart,
  type SimWorkload,
  type SimWorkloadKind,
} from './model.js';
import { createDiagnosticsApi, type SimDiagnosticsApi } from './diagnostics.js';
import { accessOf, isAllowed, type SimRbacRule } from './rbac.js';
import { drain, evict, type DrainResult } from './drain.js';
import { releaseKuredLock, takeKuredLock, type SimKuredLockOptions } from './kured.js';
import type { SimPlan } from './plans.js';
import { renderPod, renderWorkload } from './render.js';
import { watchSelection } from './routes.js';
import { SimHttpServer, type SimAnswer, type Faults, type SimRequestRecord, type SimWatchFault } from './server.js';
import type { WatchSelection } from './watch.js';

export type { SimRestart, SimWorkloadKind, SimRequestRecord, SimWatchFault };
export type { SimAnswer } from './server.js';
export type { SimRbacRule, SimAccess } from './rbac.js';
export { isAllowed } from './rbac.js';
export type { WatchSelection } from './watch.js';
export type { SimDiagnosticsApi, SimDiagnosisSelection, SimFailure, SimEventSpec, SimObjectRef } from './diagnostics.js';
export type { SimContainer } from './model.js';
export type { DrainResult } from './drain.js';
export type { SimKuredLockOptions, KuredLockEntry } from './kured.js';
export { KURED } from './kured.js';
export { EVICTION_DISRUPTION } from './drain.js';

/** Options of `createKubeSimulator`. */
export interface KubeSimulatorOptions {
  /** The simulator's clock (default `Date.now`); tests pass a controllable one. */
  now?: () => number;
  /** Sim-clock delay between a rollout restart and the replacement of the pods (default 2000). */
  rolloutDelayMs?: number;
  /** Watch events kept for resuming watches; older resourceVersions get `410` (default 10,000). */
  watchHistory?: number;
  /** Real-time interval of watch bookmarks (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Sim-clock time an evicted pod takes to stop on a Ready node before its object is gone (default 1000). */
  terminationMs?: number;
}

/** A system-upgrade-controller Plan to add (plans.ts). */
export interface SimPlanOptions {
  /** Default `system-upgrade`, where the controller's manifests put Plans. */
  namespace?: string;
  name: string;
  /** `status.applying`: the nodes being upgraded now (default none). */
  applying?: string[];
  version?: string;
  image?: string;
  nodeSelector?: Record<string, string>;
}

/** A node to add. */
export interface SimNodeOptions {
  ready?: NodeReadiness;
  unschedulable?: boolean;
}

/** A workload to add. */
export interface SimWorkloadOptions {
  namespace: string;
  name: string;
  /** Deployment/StatefulSet replicas (default 1); ignored for DaemonSets. */
  replicas?: number;
  /** Pins the pod template to this node with `nodeSelector kubernetes.io/hostname`. */
  node?: string;
  /** Selector and pod labels (default `{ app: name }`). */
  labels?: Record<string, string>;
  /** Deployment `spec.progressDeadlineSeconds` (default 600). */
  progressDeadlineSeconds?: number;
  /** The pod template's containers (default one `main` container); see diagnostics.ts. */
  containers?: SimContainer[];
  initContainers?: SimContainer[];
}

/** A bare pod to add. */
export interface SimPodOptions {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  /** Node the pod is bound to; null or absent leaves it to the scheduler. */
  node?: string | null;
  /** Also pin the pod to `node` via nodeSelector (default true when `node` is given). */
  pinned?: boolean;
  /** After a delete, an unmodelled controller recreates it under a new name (default true). */
  replaceOnDelete?: boolean;
  /** The pod's containers (default one `main` container). */
  containers?: SimContainer[];
  initContainers?: SimContainer[];
}

/** Which pods `setPodsReady` changes: a label selector, or every pod of a workload. */
export type SimPodSelection = string | { kind: SimWorkloadKind; name: string };

/** A compact view of one pod, for assertions. */
export interface SimPodView {
  namespace: string;
  name: string;
  uid: string;
  node: string | null;
  phase: 'Pending' | 'Running';
  ready: boolean;
  /** Present while a graceful deletion is in progress (an eviction): `metadata.deletionTimestamp` is set. */
  terminating?: true;
}

/** The simulator: an HTTP server plus the state and fault API that tests and the demo drive. */
export interface KubeSimulator extends SimDiagnosticsApi {
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
  /** Kubeconfig YAML (cluster, user and context all named `sim`); only after `start()`. */
  kubeconfig(): string;
  writeKubeconfig(path: string): Promise<void>;

  addNode(name: string, options?: SimNodeOptions): void;
  /** Changes the Ready condition; its `lastTransitionTime` moves to the sim clock when it changes. */
  setNodeReady(name: string, status: NodeReadiness): void;
  cordon(name: string, on?: boolean): void;
  /** Removes a node; pods bound to it stay bound and not ready (pod garbage collection is not modelled). */
  deleteNode(name: string): void;

  addDeployment(options: SimWorkloadOptions): void;
  addStatefulSet(options: SimWorkloadOptions): void;
  /** One pod on `node`, or on every node that is Ready and uncordoned now. */
  addDaemonSet(options: SimWorkloadOptions): void;
  addPod(options: SimPodOptions): void;
  /**
   * Marks pods healthy or unhealthy. For a workload this also applies to pods it creates later;
   * with `healAfterRestart` the pods a restart creates are healthy ("a restart fixes it").
   */
  setPodsReady(namespace: string, which: SimPodSelection, ready: boolean, options?: { healAfterRestart?: boolean }): void;

  /**
   * `kubectl drain NODE --ignore-daemonsets --delete-emptydir-data`, through the code the routes run
   * (drain.ts): cordon, then an eviction of every pod on the node but DaemonSet pods.
   */
  drainNode(name: string): DrainResult;
  /** One eviction, as `POST …/pods/{name}/eviction` does it (the `DisruptionTarget` condition, then a graceful deletion). */
  evictPod(namespace: string, name: string): void;
  /** Sets (or with null removes) an annotation of a node, as `kubectl annotate node` does. */
  setNodeAnnotation(node: string, key: string, value: string | null): void;
  /**
   * Takes kured's lock for `node` on its DaemonSet (default `kube-system/kured`, which must exist),
   * in the single-owner form or, with `maxOwners`, the multi-owner form (kured.ts); false when full.
   */
  takeKuredLock(node: string, options?: SimKuredLockOptions): boolean;
  /** Releases `node`'s hold of kured's lock, as kured does after the reboot. */
  releaseKuredLock(node: string, options?: Omit<SimKuredLockOptions, 'maxOwners' | 'ttlMs'>): void;
  /** Installs the Plan CRD (`plans.upgrade.cattle.io`): the group becomes discoverable; without it every Plan path is a 404. */
  installPlanCrd(): void;
  /** Adds a Plan, installing the CRD first when it is not. */
  addPlan(options: SimPlanOptions): void;
  /** Sets a Plan's `status.applying` (what the controller writes as it upgrades nodes). */
  setPlanApplying(namespace: string, name: string, nodes: string[]): void;
  deletePlan(namespace: string, name: string): void;

  /** The pods now (after catching up with the clock), optionally of one namespace. */
  pods(namespace?: string): SimPodView[];
  /** A workload exactly as `GET` would return it, or undefined. */
  workload(kind: SimWorkloadKind, namespace: string, name: string): Record<string, unknown> | undefined;

  /**
   * Grants exactly these RBAC rules to the simulator's user (every route then answers 403 Forbidden
   * outside them, and SelfSubjectAccessReview answers from them); `null` (the default) allows all.
   */
  setRbac(rules: SimRbacRule[] | null): void;

  /** While down, every request's connection is destroyed without an answer (open watches too). */
  setApiDown(down: boolean): void;
  /** Whether `setApiDown(true)` is in force. */
  readonly apiDown: boolean;
  /**
   * Whether a cache of `path` would be served now: the API is up, no `failPath` or watch fault
   * covers it, and the RBAC rules allow listing and watching it.
   */
  serves(path: string): boolean;
  /** The next `n` requests get a `Status` with this HTTP code (default 500). */
  failNext(n: number, status?: number): void;
  /** Real-time delay before each answer, for benchmarks and timeout tests. */
  setLatency(ms: number): void;
  /**
   * Fault: every request whose path starts with `pathPrefix` gets a Status with this HTTP code
   * (403 as RBAC refusing a namespace) until called again with null. Open watches stay open.
   */
  failPath(pathPrefix: string, status: number | null): void;
  /**
   * Fault: every watch request from now on is answered as `fault` says (HTTP 410, an `ERROR` 410
   * event, or an empty body at once) until called with null; open watches stay open.
   */
  setWatchFault(fault: SimWatchFault | null): void;
  /** Fault: cuts every open watch mid-event (the connection is destroyed); returns how many. */
  breakWatches(): number;
  /**
   * Fault: forgets the watch history (an etcd compaction), so resuming from an earlier
   * resourceVersion gets `410 Gone`, as does continuing a list begun before, and ends every open
   * watch with an `ERROR` event of code 410.
   */
  expireWatches(): number;
  /** The open watch streams (collection, namespace, selectors). */
  watches(): WatchSelection[];
  /**
   * Publishes pending changes (time moves rollouts on) and returns the resourceVersion of the newest
   * event a watch of this collection path (`/api/v1/namespaces/nvr/pods`) gets: a watcher that has
   * seen it is up to date. For tests and the demo, which compare it with a cache's resourceVersion.
   * A query in the path (`/api/v1/events?fieldSelector=type%3DWarning`) applies its selectors.
   */
  latestResourceVersion(collectionPath: string): number;
  /** Body bytes sent so far (answers and watch streams). */
  bytesSent(): number;

  /** Every request received, in order. */
  readonly requests: SimRequestRecord[];
  resetRequests(): void;
  /** Calls `listener` right after each routed answer is written (its effect is real); returns an unsubscribe. */
  onAnswered(listener: (answer: SimAnswer) => void): () => void;
  /** Number of requests matching the method and/or path prefix. */
  countRequests(filter?: { method?: string; pathPrefix?: string }): number;
  /** Every workload PATCH and pod DELETE, in order. */
  readonly restarts: SimRestart[];
}

/** Creates a simulator; call `start()` to listen. */
export function createKubeSimulator(options: KubeSimulatorOptions = {}): KubeSimulator {
  const model = new ClusterModel({ now: options.now ?? Date.now, rolloutDelayMs: options.rolloutDelayMs ?? 2000, terminationMs: options.terminationMs ?? 1000 });
  const faults: Faults = { apiDown: false, failPaths: new Map(), failNext: { count: 0, status: 500 }, latencyMs: 0, watchFault: null };
  const requests: SimRequestRecord[] = [];
  const http = new SimHttpServer(model, faults, requests, { historySize: options.watchHistory, bookmarkIntervalMs: options.bookmarkIntervalMs });
  let url: string | null = null;

  const node = (name: string) => {
    const n = model.nodes.get(name);
    if (!n) throw new Error(`kube simulator: no node ${name}`);
    return n;
  };

  const addWorkload = (kind: SimWorkloadKind, o: SimWorkloadOptions): void => {
    model.reconcile();
    const key = workloadKey(kind, o.namespace, o.name);
    if (model.workloads.has(key)) throw new Error(`kube simulator: ${key} already exists`);
    const now = model.now();
    const daemonNodes =
      kind !== 'DaemonSet'
        ? []
        : o.node !== undefined
          ? [o.node]
          : [...model.nodes.keys()].sort().filter((n) => model.schedulable(n, null));
    const w: SimWorkload = {
      kind,
      namespace: o.namespace,
      name: o.name,
      uid: model.uid(),
      createdAt: now,
      rv: model.bump(),
      replicas: kind === 'DaemonSet' ? daemonNodes.length : (o.replicas ?? 1),
      daemonNodes,
      matchLabels: { ...(o.labels ?? { app: o.name }) },
      node: o.node ?? null,
      generation: 1,
      revision: 1,
      currentRevision: 1,
      templateAnnotations: {},
      annotations: {},
      labels: { ...(o.labels ?? { app: o.name }) },
      health: 'healthy',
      rollout: null,
      progress: 'progressing',
      lastProgressAt: now,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      podSeq: 0,
      ...(o.containers ? { containers: o.containers.map((c) => ({ ...c })) } : {}),
      ...(o.initContainers ? { initContainers: o.initContainers.map((c) => ({ ...c })) } : {}),
    };
    model.workloads.set(key, w);
    model.createPods(w);
    http.publish();
  };

  return {
    ...createDiagnosticsApi(model, () => http.publish()),
    async start() {
      url = await http.start();
      return { url };
    },
    async stop() {
      await http.stop();
    },
    kubeconfig() {
      if (url === null) throw new Error('kube simulator: start() before kubeconfig()');
      return simKubeconfig(url);
    },
    async writeKubeconfig(path) {
      await writeFile(path, this.kubeconfig(), { mode: 0o600 });
    },

    addNode(name, o = {}) {
      model.reconcile();
      if (model.nodes.has(name)) throw new Error(`kube simulator: node ${name} already exists`);
      const now = model.now();
      model.nodes.set(name, {
        name,
        uid: model.uid(),
        createdAt: now,
        rv: model.bump(),
        ready: o.ready ?? 'True',
        readySince: now,
        unschedulable: o.unschedulable ?? false,
        annotations: {},
      });
      http.publish();
    },
    setNodeReady(name, status) {
      model.reconcile();
      model.setNodeReady(node(name), status);
      http.publish();
    },
    cordon(name, on = true) {
      model.reconcile();
      const n = node(name);
      n.unschedulable = on;
      n.rv = model.bump();
      http.publish();
    },
    deleteNode(name) {
      model.reconcile();
      node(name);
      model.nodes.delete(name);
      // Pods bound to it are no longer Ready: their objects change.
      for (const p of model.pods.values()) if (p.nodeName === name) p.rv = model.bump();
      http.publish();
    },

    addDeployment: (o) => addWorkload('Deployment', o),
    addStatefulSet: (o) => addWorkload('StatefulSet', o),
    addDaemonSet: (o) => addWorkload('DaemonSet', o),
    addPod(o) {
      model.reconcile();
      if (model.pods.has(`${o.namespace}/${o.name}`)) throw new Error(`kube simulator: pod ${o.namespace}/${o.name} already exists`);
      const nodeName = o.node ?? null;
      model.pods.set(`${o.namespace}/${o.name}`, {
        namespace: o.namespace,
        name: o.name,
        uid: model.uid(),
        createdAt: model.now(),
        rv: model.bump(),
        labels: { ...(o.labels ?? {}) },
        nodeName,
        pinnedNode: nodeName !== null && (o.pinned ?? true) ? nodeName : null,
        owner: null,
        ownerUid: null,
        revision: 1,
        health: 'healthy',
        replaceOnDelete: o.replaceOnDelete ?? true,
        baseName: o.name,
        ...(o.containers ? { containers: o.containers.map((c) => ({ ...c })) } : {}),
        ...(o.initContainers ? { initContainers: o.initContainers.map((c) => ({ ...c })) } : {}),
      });
      http.publish();
    },
    setPodsReady(namespace, which, ready, o = {}) {
      model.reconcile();
      const health: SimHealth = ready ? 'healthy' : o.healAfterRestart ? 'untilRestart' : 'unhealthy';
      let pods;
      if (typeof which === 'string') {
        const reqs = parseSimSelector(which);
        pods = [...model.pods.values()].filter((p) => p.namespace === namespace && simSelectorMatches(p.labels, reqs));
      } else {
        const w = model.workloads.get(workloadKey(which.kind, namespace, which.name));
        if (!w) throw new Error(`kube simulator: no ${which.kind} ${namespace}/${which.name}`);
        w.health = health;
        w.rv = model.bump();
        pods = model.podsOf(w);
      }
      for (const p of pods) {
        p.health = health;
        p.rv = model.bump();
      }
      http.publish();
    },

    drainNode(name) {
      model.reconcile();
      node(name);
      const result = drain(model, name);
      http.publish();
      return result;
    },
    evictPod(namespace, name) {
      model.reconcile();
      const pod = model.pods.get(`${namespace}/${name}`);
      if (!pod) throw new Error(`kube simulator: no pod ${namespace}/${name}`);
      evict(model, pod);
      http.publish();
    },
    setNodeAnnotation(name, key, value) {
      model.reconcile();
      const n = node(name);
      const next = { ...n.annotations };
      if (value === null) delete next[key];
      else next[key] = value;
      n.annotations = next;
      n.rv = model.bump();
      http.publish();
    },
    takeKuredLock(name, o) {
      model.reconcile();
      const taken = takeKuredLock(model, name, o);
      http.publish();
      return taken;
    },
    releaseKuredLock(name, o) {
      model.reconcile();
      releaseKuredLock(model, name, o);
      http.publish();
    },
    installPlanCrd() {
      model.plans ??= new Map<string, SimPlan>();
    },
    addPlan(o) {
      model.reconcile();
      model.plans ??= new Map<string, SimPlan>();
      const namespace = o.namespace ?? 'system-upgrade';
      if (model.plans.has(`${namespace}/${o.name}`)) throw new Error(`kube simulator: plan ${namespace}/${o.name} already exists`);
      model.plans.set(`${namespace}/${o.name}`, {
        namespace,
        name: o.name,
        uid: model.uid(),
        createdAt: model.now(),
        rv: model.bump(),
        nodeSelector: { ...(o.nodeSelector ?? { 'node-role.kubernetes.io/control-plane': 'true' }) },
        version: o.version ?? 'v1.31.5+k3s1',
        image: o.image ?? 'rancher/k3s-upgrade',
        applying: [...(o.applying ?? [])],
      });
      http.publish();
    },
    setPlanApplying(namespace, name, nodes) {
      model.reconcile();
      const plan = model.plans?.get(`${namespace}/${name}`);
      if (!plan) throw new Error(`kube simulator: no plan ${namespace}/${name}`);
      plan.applying = [...nodes];
      plan.rv = model.bump();
      http.publish();
    },
    deletePlan(namespace, name) {
      model.reconcile();
      if (!model.plans?.delete(`${namespace}/${name}`)) throw new Error(`kube simulator: no plan ${namespace}/${name}`);
      model.bump();
      http.publish();
    },

    pods(namespace) {
      http.publish();
      return [...model.pods.values()]
        .filter((p) => namespace === undefined || p.namespace === namespace)
        .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
        .map((p) => {
          const r = renderPod(model, p) as { status: { phase: 'Pending' | 'Running' } };
          return { namespace: p.namespace, name: p.name, uid: p.uid, node: p.nodeName, phase: r.status.phase, ready: model.podReady(p), ...(p.deletingAt !== undefined ? { terminating: true as const } : {}) };
        });
    },
    workload(kind, namespace, name) {
      http.publish();
      const w = model.workloads.get(workloadKey(kind, namespace, name));
      return w ? renderWorkload(model, w) : undefined;
    },

    setRbac(rules) {
      model.rbac = rules === null ? null : rules.map((r) => ({ ...r }));
    },
    setApiDown(down) {
      faults.apiDown = down;
      // A dead API server takes its open watch connections with it.
      if (down) http.watch.breakAll();
    },
    get apiDown() {
      return faults.apiDown;
    },
    serves(path) {
      if (faults.apiDown || faults.watchFault || [...faults.failPaths.keys()].some((prefix) => path.startsWith(prefix))) return false;
      // RBAC as the routes apply it: a cache of this collection needs to list it and to watch it.
      const segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
      return [new URLSearchParams(), new URLSearchParams({ watch: 'true' })].every((query) => {
        const access = accessOf('GET', segments, query);
        return access === null || isAllowed(model.rbac, access);
      });
    },
    failNext(n, status = 500) {
      faults.failNext = { count: n, status };
    },
    setLatency(ms) {
      faults.latencyMs = ms;
    },
    failPath(pathPrefix, status) {
      if (status === null) faults.failPaths.delete(pathPrefix);
      else faults.failPaths.set(pathPrefix, status);
    },
    setWatchFault(fault) {
      faults.watchFault = fault;
    },
    breakWatches: () => http.watch.breakAll(),
    expireWatches: () => http.watch.expireAll(),
    watches: () => http.watch.watches(),
    latestResourceVersion(collectionPath) {
      // A query (`?fieldSelector=type%3DWarning`) narrows it to what that filtered watch gets.
      const [pathname = '', search = ''] = collectionPath.split('?');
      const selection = watchSelection(pathname, new URLSearchParams(search));
      if ('code' in selection) throw new Error(`kube simulator: ${collectionPath} is not a watchable collection`);
      http.publish();
      return http.watch.latestFor(selection);
    },
    bytesSent: () => http.bytesSent,

    requests,
    onAnswered(listener) {
      http.answered.add(listener);
      return () => void http.answered.delete(listener);
    },
    resetRequests() {
      requests.length = 0;
    },
    countRequests(filter = {}) {
      return requests.filter(
        (r) => (filter.method === undefined || r.method === filter.method) && (filter.pathPrefix === undefined || r.path.startsWith(filter.pathPrefix)),
      ).length;
    },
    restarts: model.restarts,
  };
}

/** What `waitForCaches` needs to know of a watching client's caches (the adapter's `caches()`). */
export interface WatchingCache {
  path: string;
  inSync: boolean;
  resourceVersion: string;
}

/**
 * Resolves once every cache is in sync (unless the simulator refuses its path) and has seen the newest event the
 * simulator published for its collection — the moment a cycle reading the caches sees what the simulator holds now. Watches
 * are asynchronous, so tests and the demo call this after changing the cluster and before a cycle
 * they expect to see the change (a real cluster gives no such point; the bot does not need one).
 * Polls every few milliseconds; throws after `timeoutMs` naming the caches that lag.
 */
export async function waitForCaches(sim: KubeSimulator, caches: () => WatchingCache[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A cache cannot catch up with an API that refuses it; it is the snapshot's to report as unknown.
    const lagging = caches().filter((c) => (c.inSync || sim.serves(c.path)) && (!c.inSync || Number(c.resourceVersion || 0) < sim.latestResourceVersion(c.path)));
    if (lagging.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`kube simulator: caches did not catch up within ${timeoutMs} ms: ${lagging.map((c) => `${c.path}@${c.resourceVersion}${c.inSync ? '' : ' (out of sync)'}`).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * The resync backoff for a client of the simulator (tests, the demo): an outage the simulator
 * ends is over in real milliseconds, so retrying within 400 ms keeps simulated time honest (and a
 * watch after a failure counts as kept after 100 ms open, not client-go's second).
 */
export const SIM_RESYNC_BACKOFF = { initialMs: 20, maxMs: 200, shortWatchMs: 100 };
