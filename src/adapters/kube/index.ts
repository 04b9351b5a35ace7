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
import type { ClusterSnapshot } from '../../core/types.js';
import { collectionsFor, type ScopeDecision } from './access.js';
import { createCacheRegistry } from './caches.js';
import { createChangeDetector } from './changes.js';
import { loadKubeConfig, type KubeConfigSource } from './config.js';
import type { BackoffOptions, CacheStatus } from './informer.js';
import { createLeaseApi, type LeaseApi } from './lease.js';
import { restartTarget } from './restart.js';
import { createScopeDecider } from './scope.js';
import { cachedWorkload, collectionsOf, readSnapshot } from './snapshot.js';
import { createKubeRequest, createKubeWatch } from './transport.js';
import { applyMaintenanceSignals, createMaintenanceSignals, KURED_DEFAULTS, NO_SIGNALS, type KuredSettings } from './maintenanceSignals.js';

export { loadKubeConfig, type KubeConfigSource } from './config.js';
export type { LeaseApi, LeaseRecord } from './lease.js';
export type { CacheStatus } from './informer.js';
export { listCollection } from './caches.js';

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
  /**
   * Read the planned-maintenance signals (kured's lock, upgrade Plans; maintenanceSignals.ts) with
   * these kured names (`maintenance.kured`); absent, they are not read (no requests, no caches).
   */
  maintenanceSignals?: { kured: KuredSettings };
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

/**
 * Creates the adapter from a kubeconfig source; throws when no usable configuration is found. The
 * parts by job: the scope decision (`scope.ts`), the informer registry (`caches.ts`), change detection
 * (`changes.ts`), the snapshot (`snapshot.ts`) and the restart (`restart.ts`).
 */
export function createKubeAdapter(options: KubeAdapterOptions = {}): KubeAdapter {
  const kc = loadKubeConfig(options);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const request = createKubeRequest(kc, timeoutMs);
  const scopes = createScopeDecider({ request, setting: options.watchScope ?? 'auto', timeoutMs, ...(options.logger ? { logger: options.logger } : {}) });
  let targets: readonly TargetConfig[] = [];
  const scopeNow = () => scopes.current()?.decision.scope;
  const changes = createChangeDetector({
    clock: options.clock ?? Date.now,
    targets: () => targets,
    podCacheOf: (target) => caches.lookup<V1Pod>(collectionsOf(target, scopeNow()).pods),
    workloadOf: (target) => cachedWorkload(caches, target, scopeNow()),
  });
  const watch = createKubeWatch(kc);
  const kured = options.maintenanceSignals?.kured ?? KURED_DEFAULTS;
  // Planned maintenance (kured's lock, upgrade Plans): optional signals beside the nodes, never a reason for "unknown".
  const signals = options.maintenanceSignals
    ? createMaintenanceSignals({ request, watch, timeoutMs, backoff: options.backoff, pageSize: options.listPageSize, logger: options.logger, kured, clock: options.clock })
    : NO_SIGNALS;
  const caches = createCacheRegistry({
    request,
    watch,
    timeoutMs,
    backoff: options.backoff,
    listPageSize: options.listPageSize,
    logger: options.logger,
    warningEvents: options.warningEvents !== false,
    nodeAnnotations: options.maintenanceSignals ? [kured.rebootAnnotation] : [],
    scope: () => scopes.current(),
    listeners: changes.listeners,
  });

  return {
    ...createLeaseApi(request, timeoutMs),

    async snapshot(wanted, now) {
      targets = wanted;
      const { decision } = await scopes.decide(wanted);
      const collections = collectionsFor(wanted, decision.scope);
      const started = collections.map((c) => caches.cache(c));
      // Caches no target reads any more (targets changed, or the scope did) stop watching.
      caches.keepOnly(collections);
      caches.syncEventCaches(decision.scope, wanted);
      // In sync: nothing to wait for. Out of sync: a cycle is a reason to try again now, as a list would.
      const [view] = await Promise.all([signals.read(now), ...started.map((c) => c.sync())]);
      const snap = readSnapshot({ caches, changes, scope: decision.scope, timeoutMs }, wanted, now);
      if (snap.reachable) applyMaintenanceSignals(snap.nodes, caches.cache<V1Node>({ kind: 'Node', namespace: null }).items(), view, kured);
      return snap;
    },

    restart: (target, now) => restartTarget(request, target, now, timeoutMs),

    caches: () => [...caches.statuses(), ...signals.caches()],

    watchScope: () => scopes.current()?.decision ?? null,

    onChange: (listener) => changes.onChange(listener),

    async close() {
      caches.stopAll();
      signals.stop();
    },
  };
}
