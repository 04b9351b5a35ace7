/**
 * The Kubernetes adapter: keeps informers (list, then watch) for the nodes and the pods and workload
 * kinds the targets use — per watched namespace, or once for the whole cluster (`watchScope`, decided
 * once per set of targets by {@link decideWatchScope}); a snapshot reads those caches and never lists.
 * Idle, that costs one watch request per cache every 30–60 minutes (and a bookmark a minute) instead
 * of a list of everything every cycle. Changes that matter — a node's Ready condition, the last ready pod of a
 * watched workload going unready — are reported at once so the bot can run a cycle right away.
 * Restarts are done the way `kubectl rollout restart` does them.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { TargetConfig, WatchScopeSetting } from '../../config/types.js';
import type { ClusterSnapshot, NodeFacts, TemplateChange, WorkloadFacts } from '../../core/types.js';
import { WORKLOAD_RESOURCES, collectionPath, collectionsFor, describeCollection, namespacesOf, type Collection, type ScopeDecision, type WatchScope } from './access.js';
import { loadKubeConfig, type KubeConfigSource } from './config.js';
import { formatDuration } from '../../core/duration.js';
import { describeKubeError } from './errors.js';
import { isSetupRefusal } from '../../core/setup.js';
import { LIST_PAGE_SIZE, listAll, startInformer, type BackoffOptions, type CacheEvent, type CacheStatus, type Informer, type ListPage } from './informer.js';
import { createLeaseApi, type LeaseApi } from './lease.js';
import { isPodReady, nodeFacts, podSelectorOf, templateChange, workloadFacts, type Workload } from './resolve.js';
import { matchesLabels } from './selector.js';
import { slimNode, slimPod, slimWorkload, type KubeObject } from './slim.js';
import { askWatchScope } from './review.js';
import { eventsPath, slimEvent, WARNING_EVENTS_QUERY, warningEventsOf } from './events.js';
import type { CoreV1Event } from '@kubernetes/client-node';
import { createKubeRequest, createKubeWatch, type KubeRequest } from './transport.js';

export { loadKubeConfig, type KubeConfigSource } from './config.js';
export type { LeaseApi, LeaseRecord } from './lease.js';
export type { CacheStatus } from './informer.js';

/** Options of `createKubeAdapter`. */
export interface KubeAdapterOptions extends KubeConfigSource {
  /** Per-request timeout, and how long a snapshot waits for a cache out of sync (default 10s). */
  requestTimeoutMs?: number;
  /** Backoff of a cache after a failed list or watch (default client-go's: 0.8 s doubling up to 30 s, jittered). */
  backoff?: BackoffOptions;
  /** Items per list request (default 500, client-go's pager). */
  listPageSize?: number;
  /** `kubernetes.watchScope` (default `auto`). */
  watchScope?: WatchScopeSetting;
  /** Where the watch scope decision and caches falling out of sync are logged (default: nowhere). */
  logger?: Logger;
  /**
   * Whether to watch Warning events as evidence of why a target is down (default true). Off, the
   * diagnosis reads container states and conditions only (no volume events, no FailedScheduling).
   */
  warningEvents?: boolean;
  /** When a template change was seen (the bot's clock, so "shortly before" compares with its `now`; default `Date.now`). */
  clock?: () => number;
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
  /** The watch scope in force and why; null before the first snapshot. */
  watchScope(): ScopeDecision | null;
  /** Calls `listener` with a reason when a node's readiness changes or a watched workload loses its last ready pod. */
  onChange(listener: (reason: string) => void): () => void;
  /** Stops every watch; a later snapshot starts them again. */
  close(): Promise<void>;
}

/** What a cache keeps of each object of a kind. */
const SLIM: Record<Collection['kind'], (raw: KubeObject) => KubeObject> = {
  Node: (raw) => slimNode(raw as V1Node),
  Pod: (raw) => slimPod(raw as V1Pod),
  Deployment: (raw) => slimWorkload(raw as Workload),
  StatefulSet: (raw) => slimWorkload(raw as Workload),
  DaemonSet: (raw) => slimWorkload(raw as Workload),
};

/** The watch scope decided for one set of targets: `key` names their namespaces and kinds, `namespaceList` the namespaces a cluster-wide cache keeps. */
interface Scoped {
  key: string;
  decision: ScopeDecision;
  namespaces: ReadonlySet<string>;
  namespaceList: string;
}

/** Creates the adapter from a kubeconfig source; throws when no usable configuration is found. */
export function createKubeAdapter(options: KubeAdapterOptions = {}): KubeAdapter {
  const kc = loadKubeConfig(options);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const request = createKubeRequest(kc, timeoutMs);
  const watch = createKubeWatch(kc);

  /** One informer per collection, by {@link cacheKey}. */
  const informers = new Map<string, Informer<KubeObject>>();
  /** The Warning events' caches, by path: evidence only, never waited for, never a reason for "unknown". */
  const eventInformers = new Map<string, Informer<KubeObject>>();
  const listeners = new Set<(reason: string) => void>();
  let targets: TargetConfig[] = [];
  /** The scope in force, decided for the targets' namespaces and kinds (`key`), and those namespaces. */
  let scoped: Scoped | null = null;
  /** Whether each target had a ready pod when last seen, to notice the last one going. */
  const anyReady = new Map<string, boolean>();
  /**
   * The latest change of each workload's pod template seen through its watch (by `kind/namespace/name`):
   * "what changed before it broke". Kept in memory only — after a restart of stormguard a change made
   * before it is not known, which costs the hint its "new revision" sentence, nothing else.
   */
  const templateChanges = new Map<string, TemplateChange>();
  const clock = options.clock ?? Date.now;
  const setting = options.watchScope ?? 'auto';

  const emit = (reason: string) => {
    for (const listener of listeners) listener(reason);
  };

  /** The decision being made, so snapshots that overlap (a cycle and a command) ask and log once. */
  let deciding: { key: string; promise: Promise<Scoped> } | null = null;

  /**
   * Decides the scope once per set of namespaces and kinds (asking the cluster's RBAC under `auto`
   * when the answer matters) and logs the decision once, with why.
   */
  function decideScope(wanted: readonly TargetConfig[]): Promise<Scoped> {
    const namespaces = namespacesOf(wanted);
    const key = JSON.stringify([namespaces, collectionsFor(wanted, 'cluster').map((c) => c.kind)]);
    if (scoped?.key === key) return Promise.resolve(scoped);
    if (deciding?.key === key) return deciding.promise;
    const promise = askScope(key, namespaces, wanted);
    deciding = { key, promise };
    return promise;
  }

  async function askScope(key: string, namespaces: string[], wanted: readonly TargetConfig[]): Promise<Scoped> {
    const decision = await askWatchScope(request, setting, wanted, timeoutMs);
    options.logger?.info({ watchScope: decision.scope, setting, namespaces: namespaces.length, reason: decision.reason }, `kube: watching pods and workloads ${decision.scope === 'cluster' ? 'cluster-wide' : 'per namespace'}`);
    return (scoped = { key, decision, namespaces: new Set(namespaces), namespaceList: namespaces.join(',') });
  }

  /** The informer of a collection in the current scope, if it runs. */
  function lookup<T extends KubeObject>(collection: Collection): Informer<T> | undefined {
    return informers.get(cacheKey(collection, scoped?.namespaceList ?? '')) as Informer<T> | undefined;
  }

  function cache<T extends KubeObject>(collection: Collection): Informer<T> {
    const { kind, namespace } = collection;
    const watched = scoped?.namespaces ?? new Set<string>();
    const key = cacheKey(collection, scoped?.namespaceList ?? '');
    const existing = informers.get(key);
    if (existing) return existing as Informer<T>;
    const informer = startCache({
      kind,
      namespace,
      path: collectionPath(collection),
      slim: SLIM[kind],
      watched: kind !== 'Node' && namespace === null ? watched : null,
      onEvent: kind === 'Node' ? (e) => onNodeEvent(e as CacheEvent<V1Node>) : kind === 'Pod' ? (e) => onPodEvent(e as CacheEvent<V1Pod>) : (e) => onWorkloadEvent(kind, e as CacheEvent<Workload>),
    });
    informers.set(key, informer);
    return informer as Informer<T>;
  }

  /**
   * Starts one informer with the adapter's settings. `query` (a field selector) goes on its list and its
   * watch alike; a cluster-wide cache keeps only the `watched` namespaces, so memory follows what is watched.
   */
  function startCache(c: {
    kind: string;
    namespace: string | null;
    path: string;
    query?: Record<string, string>;
    slim: (raw: KubeObject) => KubeObject;
    watched: ReadonlySet<string> | null;
    onEvent?: (event: CacheEvent<KubeObject>) => void;
  }): Informer<KubeObject> {
    const { watched } = c;
    return startInformer<KubeObject, KubeObject>({
      kind: c.kind,
      namespace: c.namespace,
      watch,
      timeoutMs,
      backoff: options.backoff,
      pageSize: options.listPageSize,
      logger: options.logger,
      path: c.path,
      ...(c.query ? { watchQuery: c.query } : {}),
      list: (page) => listPage(request, c.path, page, c.query),
      slim: c.slim,
      ...(watched ? { keep: (o: KubeObject) => watched.has(o.metadata?.namespace ?? '') } : {}),
      ...(c.onEvent ? { onEvent: c.onEvent } : {}),
    });
  }

  function onNodeEvent(e: CacheEvent<V1Node>): void {
    const before = e.type === 'added' ? undefined : nodeFacts(e.previous ?? e.object).ready;
    const after = e.type === 'deleted' ? 'gone' : nodeFacts(e.object).ready;
    // A node joining Ready is no news; any other change of readiness is.
    if (before === after || (before === undefined && after === 'True')) return;
    emit(`node ${e.object.metadata?.name ?? '?'} Ready ${before ?? 'new'} → ${after}`);
  }

  function onPodEvent(e: CacheEvent<V1Pod>): void {
    const namespace = e.object.metadata?.namespace ?? '';
    for (const target of targets) {
      if (target.namespace !== namespace) continue;
      const pods = podCacheOf(target);
      if (!pods) continue;
      const reqs = podSelectorOf(target.workload, workloadOf(target));
      if (!reqs) continue;
      const touched = matchesLabels(e.object.metadata?.labels, reqs) || (e.previous !== undefined && matchesLabels(e.previous.metadata?.labels, reqs));
      if (!touched) continue;
      const ready = pods.items(namespace).some((p) => matchesLabels(p.metadata?.labels, reqs) && isPodReady(p));
      const was = anyReady.get(target.name);
      anyReady.set(target.name, ready);
      if (was === true && !ready) emit(`${target.name}: no pod is ready any more`);
    }
  }

  function onWorkloadEvent(kind: string, e: CacheEvent<Workload>): void {
    const key = `${kind}/${e.object.metadata?.namespace ?? ''}/${e.object.metadata?.name ?? ''}`;
    if (e.type === 'deleted') {
      templateChanges.delete(key);
      return;
    }
    if (e.type !== 'modified' || !e.previous) return;
    const change = templateChange(e.previous, e.object, clock());
    if (change) templateChanges.set(key, change);
  }

  /**
   * Starts the Warning events' caches the scope needs (one per namespace, or one for the cluster) and
   * stops the others. A cache keeps only the targets' namespaces, like the pods'.
   */
  function syncEventCaches(scope: WatchScope, wanted: readonly TargetConfig[]): void {
    const namespaces = options.warningEvents === false ? [] : scope === 'cluster' ? [null] : namespacesOf(wanted);
    const live = new Set(namespaces.map(eventsPath));
    for (const [path, informer] of eventInformers) {
      if (live.has(path)) continue;
      informer.stop();
      eventInformers.delete(path);
    }
    const watched = new Set(namespacesOf(wanted));
    for (const namespace of namespaces) {
      const path = eventsPath(namespace);
      if (eventInformers.has(path)) continue;
      eventInformers.set(
        path,
        startCache({ kind: 'Event', namespace, path, query: { ...WARNING_EVENTS_QUERY }, slim: (raw) => slimEvent(raw as CoreV1Event), watched: namespace === null ? watched : null }),
      );
    }
  }

  /** The Warning events cached for a namespace; none while its cache is out of sync (RBAC, a dead watch). */
  function eventsIn(scope: WatchScope, namespace: string): KubeObject[] {
    const informer = eventInformers.get(eventsPath(scope === 'cluster' ? null : namespace));
    return informer?.status().inSync ? informer.items(namespace) : [];
  }

  /** Where a target's pods and workload are read in the current scope: its namespace's caches, or the cluster-wide ones. */
  function collectionsOf(target: TargetConfig): { pods: Collection; workloads: Collection | null } {
    const namespace = scoped?.decision.scope === 'cluster' ? null : target.namespace;
    const { workload } = target;
    return { pods: { kind: 'Pod', namespace }, workloads: workload.kind === 'Pods' ? null : { kind: workload.kind, namespace } };
  }

  /** The running pod cache a target reads from, if any. */
  function podCacheOf(target: TargetConfig): Informer<V1Pod> | undefined {
    return lookup<V1Pod>(collectionsOf(target).pods);
  }

  /** A target's workload as cached (undefined for a Pods target, when it does not exist, or before its cache runs). */
  function workloadOf(target: TargetConfig): Workload | undefined {
    const { workloads } = collectionsOf(target);
    return target.workload.kind === 'Pods' || !workloads ? undefined : lookup<Workload>(workloads)?.get(target.workload.name, target.namespace);
  }

  return {
    ...createLeaseApi(request, timeoutMs),

    async snapshot(wanted, now) {
      targets = wanted;
      const { decision } = await decideScope(wanted);
      const collections = collectionsFor(wanted, decision.scope);
      const caches = collections.map((c) => cache(c));
      // Caches no target reads any more (targets changed, or the scope did) stop watching.
      const live = new Set(collections.map((c) => cacheKey(c, scoped!.namespaceList)));
      for (const [key, informer] of informers) {
        if (live.has(key)) continue;
        informer.stop();
        informers.delete(key);
      }
      syncEventCaches(decision.scope, wanted);
      // In sync: nothing to wait for. Out of sync: a cycle is a reason to try again now, as a list would.
      await Promise.all(caches.map((c) => c.sync()));
      const nodeCache = cache<V1Node>({ kind: 'Node', namespace: null });
      const nodeStatus = nodeCache.status();
      const readers = new Map<string, string[]>();
      for (const target of wanted) {
        for (const c of collectionsFor([target], decision.scope)) {
          const path = collectionPath(c);
          readers.set(path, [...(readers.get(path) ?? []), target.name]);
        }
      }
      const sources = () =>
        caches.map((c) => {
          const { kind, namespace, inSync, error, path } = c.status();
          return { kind, namespace, inSync, error, targets: readers.get(path) ?? [] };
        });
      if (!nodeStatus.inSync) {
        // The API answered, but refuses the nodes (RBAC): a setup problem, not an API that is down.
        if (nodeStatus.error && isSetupRefusal(nodeStatus.error.status)) {
          const why = `nodes: ${nodeStatus.error.message}`;
          return { reachable: true, observedAt: now, nodes: {}, workloads: {}, unknownTargets: Object.fromEntries(wanted.map((t) => [t.name, why])), sources: sources() };
        }
        return { reachable: false, observedAt: now, error: nodeStatus.error?.message ?? `timeout after ${formatDuration(timeoutMs)}` };
      }
      const nodes: Record<string, NodeFacts> = {};
      for (const node of nodeCache.items()) {
        const facts = nodeFacts(node);
        nodes[facts.name] = facts;
      }
      /** Each namespace's pods, copied out of their cache once per snapshot. */
      const podsIn = new Map<string, V1Pod[]>();
      /** Each namespace's Warning events, copied out of their cache once per snapshot too. */
      const eventsOf = new Map<string, KubeObject[]>();
      const workloads: Record<string, WorkloadFacts> = {};
      const unknownTargets: Record<string, string> = {};
      for (const target of wanted) {
        const where = collectionsOf(target);
        const pods = cache<V1Pod>(where.pods);
        const stale = [pods.status(), where.workloads ? cache(where.workloads).status() : undefined].find((s) => s !== undefined && !s.inSync);
        if (stale) {
          unknownTargets[target.name] = `${describeCollection(stale)}: ${stale.error?.message ?? 'not in sync yet'}`;
          continue;
        }
        if (!podsIn.has(target.namespace)) podsIn.set(target.namespace, pods.items(target.namespace));
        const { workload } = target;
        const change = workload.kind === 'Pods' ? undefined : templateChanges.get(`${workload.kind}/${target.namespace}/${workload.name}`);
        const resolved = workloadFacts(target, podsIn.get(target.namespace)!, workloadOf(target));
        if (!eventsOf.has(target.namespace)) eventsOf.set(target.namespace, eventsIn(decision.scope, target.namespace));
        const events = warningEventsOf(eventsOf.get(target.namespace)!, new Set(resolved.pods.map((p) => p.name)), workload.kind === 'Pods' ? null : workload, now);
        const facts = { ...resolved, ...(change ? { change } : {}), ...(events.length > 0 ? { events } : {}) };
        workloads[target.name] = facts;
        anyReady.set(target.name, facts.pods.some((p) => p.ready));
      }
      return {
        reachable: true,
        observedAt: now,
        nodes,
        workloads,
        ...(Object.keys(unknownTargets).length > 0 ? { unknownTargets } : {}),
        sources: sources(),
      };
    },

    async restart(target, now) {
      const { namespace, workload } = target;
      const what = `${namespace}/${workload.kind}/${workload.kind === 'Pods' ? workload.selector : workload.name}`;
      try {
        if (workload.kind === 'Pods') {
          await deletePods(request, namespace, workload.selector);
          return;
        }
        // A strategic merge patch, as kubectl sends it: it merges the annotation into the template.
        const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${WORKLOAD_RESOURCES[workload.kind]}/${encodeURIComponent(workload.name)}`;
        await request('PATCH', path, { body: restartPatch(now), contentType: 'application/strategic-merge-patch+json' });
      } catch (cause) {
        throw new Error(`kube: restart of ${what} failed: ${describeKubeError(cause, timeoutMs)}`, { cause });
      }
    },

    caches: () => [...informers.values(), ...eventInformers.values()].map((i) => i.status()),

    watchScope: () => scoped?.decision ?? null,

    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    async close() {
      for (const informer of [...informers.values(), ...eventInformers.values()]) informer.stop();
      informers.clear();
      eventInformers.clear();
    },
  };
}

/**
 * The informer of a collection, by its path and — for a cluster-wide pod or workload cache, whose
 * filter keeps only these namespaces — the watched namespaces, so a new namespace starts a cache
 * that lists it instead of reusing one that dropped its objects.
 */
function cacheKey(c: Collection, namespaceList: string): string {
  const path = collectionPath(c);
  return c.kind === 'Node' || c.namespace !== null ? path : `${path}?in=${namespaceList}`;
}

/** One page of a collection (with `query`, e.g. a field selector): an informer's list. */
function listPage(request: KubeRequest, path: string, page: { limit: number; continue?: string }, query: Record<string, string> = {}): Promise<ListPage<KubeObject>> {
  return request('GET', path, { query: { ...query, limit: String(page.limit), ...(page.continue === undefined ? {} : { continue: page.continue }) } });
}

/** Lists a whole collection a page at a time: the doctor's read. */
export async function listCollection(request: KubeRequest, c: Collection): Promise<{ items: KubeObject[]; metadata?: { resourceVersion?: string } }> {
  const { items, resourceVersion } = await listAll((page) => listPage(request, collectionPath(c), page), LIST_PAGE_SIZE, (raw) => raw);
  return { items, metadata: { resourceVersion } };
}

/** Exactly the patch `kubectl rollout restart` sends (RFC 3339, seconds, UTC). */
function restartPatch(now: number): { spec: { template: { metadata: { annotations: Record<string, string> } } } } {
  const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
}

/** Deletes the pods a Pods target selects (their controller, if any, makes new ones); already gone is fine. */
async function deletePods(request: KubeRequest, namespace: string, labelSelector: string): Promise<void> {
  const pods = collectionPath({ kind: 'Pod', namespace });
  const { items } = await request<{ items: V1Pod[] }>('GET', pods, { query: { labelSelector } });
  if (items.length === 0) throw new Error(`no pods match ${labelSelector}`);
  for (const pod of items) {
    const name = pod.metadata?.name;
    if (!name) continue;
    try {
      await request('DELETE', `${pods}/${encodeURIComponent(name)}`);
    } catch (err) {
      // Already gone is what we wanted.
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}
