/**
 * The Kubernetes adapter: keeps informers (list, then watch) for the nodes and, per watched
 * namespace, the pods and the workload kinds the targets use; a snapshot reads those caches and
 * never lists. Idle, that costs one watch request per cache every 30–60 minutes (and a bookmark a
 * minute) instead of a list of everything every cycle. Changes that matter — a node's Ready condition, the last ready pod of a
 * watched workload going unready — are reported at once so the bot can run a cycle right away.
 * Restarts are done the way `kubectl rollout restart` does them.
 */
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  Observable,
  PatchStrategy,
  ServerConfiguration,
  Watch,
  createConfiguration,
  setHeaderOptions,
  type Configuration,
  type KubeConfig,
  type ObservableMiddleware,
  type V1DaemonSet,
  type V1Deployment,
  type V1Node,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { TargetConfig } from '../../config/types.js';
import type { ClusterSnapshot, NodeFacts, WorkloadFacts } from '../../core/types.js';
import { loadKubeConfig, type KubeConfigSource } from './config.js';
import { formatDuration } from '../../core/duration.js';
import { describeKubeError } from './errors.js';
import { startInformer, type CacheEvent, type CacheStatus, type Informer } from './informer.js';
import { createLeaseApi, type LeaseApi } from './lease.js';
import { nodeFacts, workloadFacts, type ClusterLists } from './resolve.js';
import { matchesLabels, parseLabelSelector, requirementsOf, type LabelRequirement } from './selector.js';
import { slimNode, slimPod, slimWorkload, type KubeObject } from './slim.js';

export { loadKubeConfig, type KubeConfigSource } from './config.js';
export type { LeaseApi, LeaseRecord } from './lease.js';
export type { CacheStatus } from './informer.js';

/** Options of `createKubeAdapter`. */
export interface KubeAdapterOptions extends KubeConfigSource {
  /** Per-request timeout, and how long a snapshot waits for a cache out of sync (default 10s). */
  requestTimeoutMs?: number;
  /** Backoff of a cache after a failed list or watch (default 500 ms doubling up to 30 s). */
  backoff?: { initialMs: number; maxMs: number };
}

/** What the rest of stormguard needs from Kubernetes, the single-instance Lease included. */
export interface KubeAdapter extends LeaseApi {
  /**
   * Reads nodes and every target's workload from the caches (starting them for new targets, and
   * waiting up to the request timeout for caches out of sync to resync). Nodes out of sync yield
   * `reachable: false`; another cache out of sync makes only its targets unknown. Never throws.
   */
  snapshot(targets: TargetConfig[], now: number): Promise<ClusterSnapshot>;
  /** Restarts a target (rollout restart, or deleting its pods); throws a wrapped Error on failure. */
  restart(target: TargetConfig, now: number): Promise<void>;
  /** Every cache and its state. */
  caches(): CacheStatus[];
  /** Calls `listener` with a reason when a node's readiness changes or a watched workload loses its last ready pod. */
  onChange(listener: (reason: string) => void): () => void;
  /** Stops every watch; a later snapshot starts them again. */
  close(): Promise<void>;
}

type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;

const WORKLOAD_PATHS: Record<WorkloadKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' };

/** Creates the adapter from a kubeconfig source; throws when no usable configuration is found. */
export function createKubeAdapter(options: KubeAdapterOptions = {}): KubeAdapter {
  const kc = loadKubeConfig(options);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const config = apiConfiguration(kc, timeoutMs);
  const core = new CoreV1Api(config);
  const apps = new AppsV1Api(config);
  const watch = new Watch(kc);

  const informers = new Map<string, Informer<KubeObject>>();
  /** Caches that have been in sync once: before that their events are the initial load, not changes. */
  const primed = new Set<string>();
  const listeners = new Set<(reason: string) => void>();
  let targets: TargetConfig[] = [];
  /** Whether each target had a ready pod when last seen, to notice the last one going. */
  const anyReady = new Map<string, boolean>();

  const emit = (reason: string) => {
    for (const listener of listeners) listener(reason);
  };

  function cache<T extends KubeObject>(kind: 'Node' | 'Pod' | WorkloadKind, namespace: string | null): Informer<T> {
    const key = `${kind}/${namespace ?? ''}`;
    const existing = informers.get(key);
    if (existing) return existing as Informer<T>;
    const common = {
      kind,
      namespace,
      watch,
      timeoutMs,
      backoff: options.backoff,
      onStatus: (status: CacheStatus) => {
        if (status.inSync) primed.add(key);
      },
    };
    let informer: Informer<KubeObject>;
    if (kind === 'Node') {
      informer = startInformer<V1Node, V1Node>({
        ...common,
        path: '/api/v1/nodes',
        list: () => core.listNode(),
        slim: slimNode,
        onEvent: (e) => {
          if (primed.has(key)) onNodeEvent(e);
        },
      });
    } else if (kind === 'Pod') {
      const ns = namespace!;
      informer = startInformer<V1Pod, V1Pod>({
        ...common,
        path: `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
        // Pods are listed per namespace (not cluster-wide) so RBAC can stay namespaced.
        list: () => core.listNamespacedPod({ namespace: ns }),
        slim: slimPod,
        onEvent: (e) => {
          if (primed.has(key)) onPodEvent(ns, e);
        },
      });
    } else {
      const ns = namespace!;
      const list = {
        Deployment: () => apps.listNamespacedDeployment({ namespace: ns }),
        StatefulSet: () => apps.listNamespacedStatefulSet({ namespace: ns }),
        DaemonSet: () => apps.listNamespacedDaemonSet({ namespace: ns }),
      }[kind] as () => Promise<{ items: Workload[]; metadata?: { resourceVersion?: string } }>;
      informer = startInformer<Workload, Workload>({ ...common, path: `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${WORKLOAD_PATHS[kind]}`, list, slim: slimWorkload });
    }
    informers.set(key, informer);
    return informer as Informer<T>;
  }

  function onNodeEvent(e: CacheEvent<V1Node>): void {
    const before = e.type === 'added' ? undefined : nodeFacts(e.previous ?? e.object).ready;
    const after = e.type === 'deleted' ? 'gone' : nodeFacts(e.object).ready;
    // A node joining Ready is no news; any other change of readiness is.
    if (before === after || (before === undefined && after === 'True')) return;
    emit(`node ${e.object.metadata?.name ?? '?'} Ready ${before ?? 'new'} → ${after}`);
  }

  function onPodEvent(namespace: string, e: CacheEvent<V1Pod>): void {
    const pods = cache<V1Pod>('Pod', namespace);
    for (const target of targets) {
      if (target.namespace !== namespace) continue;
      const reqs = podRequirements(target);
      if (!reqs) continue;
      const touched = matchesLabels(e.object.metadata?.labels, reqs) || (e.previous !== undefined && matchesLabels(e.previous.metadata?.labels, reqs));
      if (!touched) continue;
      const ready = pods.items().some((p) => matchesLabels(p.metadata?.labels, reqs) && isReady(p));
      const was = anyReady.get(target.name);
      anyReady.set(target.name, ready);
      if (was === true && !ready) emit(`${target.name}: no pod is ready any more`);
    }
  }

  /** The label requirements that select a target's pods, from its selector or its workload's. */
  function podRequirements(target: TargetConfig): LabelRequirement[] | null {
    const ref = target.workload;
    if (ref.kind === 'Pods') return parseLabelSelector(ref.selector);
    const workload = informers.get(`${ref.kind}/${target.namespace}`)?.get(ref.name) as Workload | undefined;
    const reqs = requirementsOf(workload?.spec?.selector);
    return reqs.length > 0 ? reqs : null;
  }

  function needed(ts: TargetConfig[]): Informer<KubeObject>[] {
    const out: Informer<KubeObject>[] = [cache('Node', null)];
    for (const ns of new Set(ts.map((t) => t.namespace))) out.push(cache('Pod', ns));
    for (const key of new Set(ts.flatMap((t) => (t.workload.kind === 'Pods' ? [] : [`${t.workload.kind}/${t.namespace}`])))) {
      const [kind, ns] = key.split('/') as [WorkloadKind, string];
      out.push(cache(kind, ns));
    }
    return out;
  }

  return {
    ...createLeaseApi(new CoordinationV1Api(config), timeoutMs),

    async snapshot(wanted, now) {
      targets = wanted;
      const caches = needed(wanted);
      // In sync: nothing to wait for. Out of sync: a cycle is a reason to try again now, as a list would.
      await Promise.all(caches.map((c) => c.sync()));
      const sources = caches.map((c) => c.status());
      const nodeCache = cache<V1Node>('Node', null);
      const nodeStatus = nodeCache.status();
      if (!nodeStatus.inSync) {
        return { reachable: false, observedAt: now, error: nodeStatus.error?.message ?? `timeout after ${formatDuration(timeoutMs)}` };
      }
      const nodes: Record<string, NodeFacts> = {};
      for (const node of nodeCache.items()) {
        const facts = nodeFacts(node);
        nodes[facts.name] = facts;
      }
      const lists: ClusterLists = { nodes: [], pods: new Map(), deployments: new Map(), statefulSets: new Map(), daemonSets: new Map() };
      const workloads: Record<string, WorkloadFacts> = {};
      const unknownTargets: Record<string, string> = {};
      for (const target of wanted) {
        const sourcesOfTarget = [cache<V1Pod>('Pod', target.namespace), ...(target.workload.kind === 'Pods' ? [] : [cache<Workload>(target.workload.kind, target.namespace)])];
        const stale = sourcesOfTarget.map((c) => c.status()).find((s) => !s.inSync);
        if (stale) {
          unknownTargets[target.name] = `${stale.kind} in ${stale.namespace}: ${stale.error?.message ?? 'not in sync yet'}`;
          continue;
        }
        if (!lists.pods.has(target.namespace)) lists.pods.set(target.namespace, sourcesOfTarget[0]!.items() as V1Pod[]);
        const ref = target.workload;
        if (ref.kind !== 'Pods') {
          const byKind = { Deployment: lists.deployments, StatefulSet: lists.statefulSets, DaemonSet: lists.daemonSets }[ref.kind] as Map<string, Workload[]>;
          if (!byKind.has(target.namespace)) byKind.set(target.namespace, sourcesOfTarget[1]!.items() as Workload[]);
        }
        const facts = workloadFacts(target, lists);
        workloads[target.name] = facts;
        anyReady.set(target.name, facts.pods.some((p) => p.ready));
      }
      return {
        reachable: true,
        observedAt: now,
        nodes,
        workloads,
        ...(Object.keys(unknownTargets).length > 0 ? { unknownTargets } : {}),
        sources: sources.map(({ kind, namespace, inSync, error }) => ({ kind, namespace, inSync, error })),
      };
    },

    async restart(target, now) {
      const { namespace, workload } = target;
      const what = `${namespace}/${workload.kind}/${workload.kind === 'Pods' ? workload.selector : workload.name}`;
      try {
        if (workload.kind === 'Pods') {
          await deletePods(core, namespace, workload.selector);
          return;
        }
        const param = { name: workload.name, namespace, body: restartPatch(now) };
        // client-node would otherwise send application/json-patch+json, which this body is not.
        const patchOptions = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
        if (workload.kind === 'Deployment') await apps.patchNamespacedDeployment(param, patchOptions);
        else if (workload.kind === 'StatefulSet') await apps.patchNamespacedStatefulSet(param, patchOptions);
        else await apps.patchNamespacedDaemonSet(param, patchOptions);
      } catch (cause) {
        throw new Error(`kube: restart of ${what} failed: ${describeKubeError(cause, timeoutMs)}`, { cause });
      }
    },

    caches: () => [...informers.values()].map((i) => i.status()),

    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    async close() {
      for (const informer of informers.values()) informer.stop();
      informers.clear();
      primed.clear();
    },
  };
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Exactly the patch `kubectl rollout restart` sends (RFC 3339, seconds, UTC). */
export function restartPatch(now: number): { spec: { template: { metadata: { annotations: Record<string, string> } } } } {
  const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
}

async function deletePods(core: CoreV1Api, namespace: string, labelSelector: string): Promise<void> {
  const pods = await core.listNamespacedPod({ namespace, labelSelector });
  if (pods.items.length === 0) throw new Error(`no pods match ${labelSelector}`);
  for (const pod of pods.items) {
    const name = pod.metadata?.name;
    if (!name) continue;
    try {
      await core.deleteNamespacedPod({ name, namespace });
    } catch (err) {
      // Already gone is what we wanted.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

/** Like `kc.makeApiClient`, plus a per-request timeout so a hung API cannot stall a cycle. */
export function apiConfiguration(kc: KubeConfig, timeoutMs: number): Configuration {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kube: the kubeconfig has no current cluster');
  const timeout: ObservableMiddleware = {
    pre(context) {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(context));
    },
    post(response) {
      return new Observable(Promise.resolve(response));
    },
  };
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    middleware: [timeout],
  });
}
