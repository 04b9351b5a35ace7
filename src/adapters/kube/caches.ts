/**
 * The informer registry: one cache per collection in the scope in force, plus the Warning events'
 * caches, started when a snapshot needs them and stopped when no target reads them any more.
 */
import type { CoreV1Event, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { TargetConfig } from '../../config/types.js';
import { collectionPath, namespacesOf, type Collection, type WatchScope } from './access.js';
import { eventsPath, slimEvent, WARNING_EVENTS_QUERY } from './events.js';
import { LIST_PAGE_SIZE, listAll, startInformer, type BackoffOptions, type CacheEvent, type CacheStatus, type Informer, type ListPage } from './informer.js';
import type { Workload } from './resolve.js';
import type { Scoped } from './scope.js';
import { slimNode, slimPod, slimWorkload, type KubeObject } from './slim.js';
import type { KubeRequest, KubeWatch } from './transport.js';

/** What a cache keeps of each object of a kind. */
const SLIM: Record<Collection['kind'], (raw: KubeObject) => KubeObject> = {
  Node: (raw) => slimNode(raw as V1Node),
  Pod: (raw) => slimPod(raw as V1Pod),
  Deployment: (raw) => slimWorkload(raw as Workload),
  StatefulSet: (raw) => slimWorkload(raw as Workload),
  DaemonSet: (raw) => slimWorkload(raw as Workload),
};

/** Who hears each cache's changes (the change detector). */
export interface CacheListeners {
  node(e: CacheEvent<V1Node>): void;
  pod(e: CacheEvent<V1Pod>): void;
  workload(kind: string, e: CacheEvent<Workload>): void;
}

/** How caches are started: the transport and the informers' settings. */
export interface CacheSettings {
  request: KubeRequest;
  watch: KubeWatch;
  timeoutMs: number;
  backoff?: BackoffOptions;
  listPageSize?: number;
  logger?: Logger;
  /** Whether Warning events are watched at all. */
  warningEvents: boolean;
  /** Node annotations the node cache keeps (kured's reboot mark, maintenanceSignals.ts); default none. */
  nodeAnnotations?: readonly string[];
  /** The scope in force (its namespaces decide what a cluster-wide cache keeps). */
  scope: () => Scoped | null;
  listeners: CacheListeners;
}

/** The running caches. */
export interface CacheRegistry {
  /** The cache of a collection in the scope in force, started when it does not run yet. */
  cache<T extends KubeObject>(collection: Collection): Informer<T>;
  /** The cache of a collection in the scope in force, if it runs. */
  lookup<T extends KubeObject>(collection: Collection): Informer<T> | undefined;
  /** Stops the caches of every collection not in `live` (targets changed, or the scope did). */
  keepOnly(live: readonly Collection[]): void;
  /** Starts the Warning events' caches the scope needs (one per namespace, or one for the cluster) and stops the others. */
  syncEventCaches(scope: WatchScope, wanted: readonly TargetConfig[]): void;
  /** The Warning events cached for a namespace; none while its cache is out of sync (RBAC, a dead watch). */
  eventsIn(scope: WatchScope, namespace: string): KubeObject[];
  /** Every cache and its state. */
  statuses(): CacheStatus[];
  /** Stops every cache. */
  stopAll(): void;
}

/** Creates the registry; nothing runs until a snapshot asks for a cache. */
export function createCacheRegistry(s: CacheSettings): CacheRegistry {
  /** One informer per collection, by {@link cacheKey}. */
  const informers = new Map<string, Informer<KubeObject>>();
  /** The Warning events' caches, by path: evidence only, never waited for, never a reason for "unknown". */
  const eventInformers = new Map<string, Informer<KubeObject>>();
  const namespaceList = () => s.scope()?.namespaceList ?? '';

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
      watch: s.watch,
      timeoutMs: s.timeoutMs,
      backoff: s.backoff,
      pageSize: s.listPageSize,
      logger: s.logger,
      path: c.path,
      ...(c.query ? { watchQuery: c.query } : {}),
      list: (page) => listPage(s.request, c.path, page, c.query),
      slim: c.slim,
      ...(watched ? { keep: (o: KubeObject) => watched.has(o.metadata?.namespace ?? '') } : {}),
      ...(c.onEvent ? { onEvent: c.onEvent } : {}),
    });
  }

  function listenerOf(kind: Collection['kind']): (e: CacheEvent<KubeObject>) => void {
    if (kind === 'Node') return (e) => s.listeners.node(e as CacheEvent<V1Node>);
    if (kind === 'Pod') return (e) => s.listeners.pod(e as CacheEvent<V1Pod>);
    return (e) => s.listeners.workload(kind, e as CacheEvent<Workload>);
  }

  return {
    cache<T extends KubeObject>(collection: Collection): Informer<T> {
      const { kind, namespace } = collection;
      const key = cacheKey(collection, namespaceList());
      const existing = informers.get(key);
      if (existing) return existing as Informer<T>;
      const watched = s.scope()?.namespaces ?? new Set<string>();
      const slim = kind === 'Node' ? (raw: KubeObject) => slimNode(raw as V1Node, s.nodeAnnotations ?? []) : SLIM[kind];
      const informer = startCache({ kind, namespace, path: collectionPath(collection), slim, watched: kind !== 'Node' && namespace === null ? watched : null, onEvent: listenerOf(kind) });
      informers.set(key, informer);
      return informer as Informer<T>;
    },

    lookup<T extends KubeObject>(collection: Collection): Informer<T> | undefined {
      return informers.get(cacheKey(collection, namespaceList())) as Informer<T> | undefined;
    },

    keepOnly(live) {
      const keys = new Set(live.map((c) => cacheKey(c, namespaceList())));
      for (const [key, informer] of informers) {
        if (keys.has(key)) continue;
        informer.stop();
        informers.delete(key);
      }
    },

    syncEventCaches(scope, wanted) {
      const namespaces = !s.warningEvents ? [] : scope === 'cluster' ? [null] : namespacesOf(wanted);
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
    },

    eventsIn(scope, namespace) {
      const informer = eventInformers.get(eventsPath(scope === 'cluster' ? null : namespace));
      return informer?.status().inSync ? informer.items(namespace) : [];
    },

    statuses: () => [...informers.values(), ...eventInformers.values()].map((i) => i.status()),

    stopAll() {
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
