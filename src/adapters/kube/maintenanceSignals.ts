/**
 * What the cluster says about planned maintenance (issue 23), read beside the nodes: kured's reboot
 * lock and system-upgrade-controller's Plans. Each is one small informer — the one kured DaemonSet
 * (`fieldSelector=metadata.name=…`) and the Plans of every namespace — started only where it exists:
 * a first list answered 404 (no such DaemonSet namespace, no Plan CRD) or 403 (not granted) means the
 * signal is not available, which is logged once and asked again every {@link RECHECK_MS}. A missing
 * signal never makes a target unknown: the snapshot simply carries no `kuredReboot`/`upgradePlans`.
 *
 * Formats, as their owners write them:
 * - kured (kubereboot/kured pkg/daemonsetlock/daemonsetlock.go): the DaemonSet annotation
 *   `weave.works/kured-node-lock` holds `{"nodeID","metadata","created","TTL"}` (one owner) or
 *   `{"maxOwners","locks":[…]}` (several, `--concurrency` > 1); `TTL` is Go nanoseconds, 0 = no expiry,
 *   and an expired hold counts as released (`ttlExpired`). The node annotation
 *   `weave.works/kured-reboot-in-progress` (cmd/kured/main.go) marks a node kured is rebooting.
 * - system-upgrade-controller (rancher/system-upgrade-controller pkg/apis/upgrade.cattle.io/v1/types.go):
 *   `Plan.status.applying` lists the nodes being upgraded now.
 */
import { KURED_DEFAULTS } from '../../core/maintenance.js';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { NodeFacts } from '../../core/types.js';
import { describeKubeError } from './errors.js';
import { startInformer, type BackoffOptions, type CacheStatus, type Informer } from './informer.js';
import type { KubeObject } from './slim.js';
import type { KubeRequest, KubeWatch } from './transport.js';

/** `maintenance.kured`: where kured keeps its lock and how it marks a node it reboots. */
export interface KuredSettings {
  namespace: string;
  daemonSet: string;
  lockAnnotation: string;
  rebootAnnotation: string;
}

/** kured's defaults: one owner, the core (the configuration's defaults are the same). */
export { KURED_DEFAULTS };

/** The collection of Plans in every namespace (cluster-wide: a Plan may live in any namespace). */
export const PLANS_PATH = '/apis/upgrade.cattle.io/v1/plans';

/** How often a signal found unavailable (404, 403) is asked for again: a CRD installed or a Role granted later is seen. */
export const RECHECK_MS = 10 * 60_000;

/** The pod condition the API server adds before deleting a pod it disrupts, and the reason a drain's eviction gives it. */
export const DISRUPTION_TARGET = 'DisruptionTarget';

/** One hold of kured's lock, with kured's field names. */
interface KuredHold {
  nodeID?: unknown;
  created?: unknown;
  TTL?: unknown;
}

/**
 * The nodes kured's lock annotation names, in either form, leaving out holds whose TTL has run out at
 * `now` (kured itself takes those as free). Text that is not kured's JSON names nobody.
 */
export function kuredLockNodes(value: string | undefined, now: number): string[] {
  if (value === undefined || value.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const holds: unknown[] = Array.isArray((parsed as { locks?: unknown }).locks) ? ((parsed as { locks: unknown[] }).locks) : [parsed];
  const nodes: string[] = [];
  for (const hold of holds) {
    if (typeof hold !== 'object' || hold === null) continue;
    const { nodeID, created, TTL } = hold as KuredHold;
    if (typeof nodeID !== 'string' || nodeID === '') continue;
    const ttlMs = typeof TTL === 'number' && TTL > 0 ? TTL / 1e6 : 0;
    const since = typeof created === 'string' ? Date.parse(created) : NaN;
    if (ttlMs > 0 && Number.isFinite(since) && now - since >= ttlMs) continue;
    nodes.push(nodeID);
  }
  return nodes;
}

/** A Plan as the cache keeps it: its name and the nodes in `status.applying`. */
interface SlimPlan extends KubeObject {
  status?: { applying?: string[] };
}

/** Each node's Plans (by name, sorted) from the Plans' `status.applying`. */
export function upgradePlansByNode(plans: readonly SlimPlan[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const plan of plans) {
    const name = plan.metadata?.name;
    if (!name) continue;
    for (const node of plan.status?.applying ?? []) {
      if (typeof node !== 'string') continue;
      out.set(node, [...(out.get(node) ?? []), name].sort());
    }
  }
  return out;
}

/** The reason of a pod's `DisruptionTarget=True` condition (`EvictionByEvictionAPI` for a drain's eviction), else null. */
export function disruptionOf(pod: V1Pod): string | null {
  const c = pod.status?.conditions?.find((x) => x.type === DISRUPTION_TARGET && x.status === 'True');
  return c ? (c.reason ?? '') : null;
}

/** What the signals say now: null where a signal is not available. */
export interface SignalsView {
  /** The nodes kured's lock names. */
  kuredLocked: ReadonlySet<string> | null;
  /** Each node's applying Plans. */
  plans: ReadonlyMap<string, string[]> | null;
}

/**
 * Sets `kuredReboot` and `upgradePlans` on each node's facts: kured's lock names it or the node carries
 * the reboot annotation (`rawNodes` are the cached nodes, which keep that annotation), and the Plans
 * applying to it. Only what is there is added: a signal that is not available adds nothing.
 */
export function applyMaintenanceSignals(nodes: Record<string, NodeFacts>, rawNodes: readonly V1Node[], view: SignalsView, kured: KuredSettings): void {
  const annotated = new Set(rawNodes.filter((n) => n.metadata?.annotations?.[kured.rebootAnnotation] !== undefined).map((n) => n.metadata?.name ?? ''));
  for (const facts of Object.values(nodes)) {
    // Set only when true (absent reads as false), so nodes without maintenance look as they always did.
    if (view.kuredLocked?.has(facts.name) || annotated.has(facts.name)) facts.kuredReboot = true;
    const plans = view.plans?.get(facts.name);
    if (plans) facts.upgradePlans = plans;
  }
}

/** Options of {@link createMaintenanceSignals}. */
export interface MaintenanceSignalsOptions {
  request: KubeRequest;
  watch: KubeWatch;
  timeoutMs: number;
  backoff?: BackoffOptions;
  pageSize?: number;
  logger?: Logger;
  kured?: KuredSettings;
  /** The clock the rechecks of an unavailable signal go by (default `Date.now`). */
  clock?: () => number;
  recheckMs?: number;
}

/** The maintenance signals' caches. */
export interface MaintenanceSignals {
  /**
   * What the signals say now. The first call looks for each signal and waits (at most the request
   * timeout) for its cache; later calls read the caches. Never throws.
   */
  read(now: number): Promise<SignalsView>;
  /** The running caches (for `caches()` of the adapter: tests wait on them). */
  caches(): CacheStatus[];
  stop(): void;
}

/** The signals of an adapter that does not read them: none available, nothing requested. */
export const NO_SIGNALS: MaintenanceSignals = {
  read: () => Promise.resolve({ kuredLocked: null, plans: null }),
  caches: () => [],
  stop: () => undefined,
};

/** One signal's source: looked for, then watched or found unavailable. */
interface Source {
  name: string;
  path: string;
  /** How the cache names itself in `caches()` (the path, with the field selector where there is one). */
  shownPath: string;
  query: Record<string, string>;
  slim: (raw: KubeObject) => KubeObject;
  /** What to grant or install when it is not available. */
  fix: string;
  informer: Informer<KubeObject> | null;
  /** When it was found unavailable (404, 403), and why; null while available or not looked for. */
  off: { at: number; why: string } | null;
  /** A look in progress, shared by overlapping reads. */
  looking: Promise<void> | null;
}

/** Creates the signals' sources; nothing is requested before the first `read`. */
export function createMaintenanceSignals(o: MaintenanceSignalsOptions): MaintenanceSignals {
  const kured = o.kured ?? KURED_DEFAULTS;
  const clock = o.clock ?? Date.now;
  const recheckMs = o.recheckMs ?? RECHECK_MS;
  const dsPath = `/apis/apps/v1/namespaces/${encodeURIComponent(kured.namespace)}/daemonsets`;
  const byName = `metadata.name=${kured.daemonSet}`;
  const sources: Source[] = [
    {
      name: `kured's lock (DaemonSet ${kured.namespace}/${kured.daemonSet})`,
      path: dsPath,
      shownPath: `${dsPath}?fieldSelector=${encodeURIComponent(byName)}`,
      query: { fieldSelector: byName },
      slim: (raw) => slimLockHolder(raw, kured.lockAnnotation),
      fix: `grant get/list/watch on daemonsets (apps) in ${kured.namespace}`,
      informer: null,
      off: null,
      looking: null,
    },
    {
      name: 'upgrade Plans (upgrade.cattle.io/v1)',
      path: PLANS_PATH,
      shownPath: PLANS_PATH,
      query: {},
      slim: slimPlan,
      fix: 'install system-upgrade-controller, or grant get/list/watch on plans (upgrade.cattle.io)',
      informer: null,
      off: null,
      looking: null,
    },
  ];

  /** Looks for a source with one list of one item; starts its cache when it answers. */
  async function look(s: Source): Promise<void> {
    try {
      await o.request('GET', s.path, { query: { ...s.query, limit: '1' } });
    } catch (err) {
      const status = (err as { code?: unknown }).code;
      if (status === 404 || status === 403) {
        // Said once per finding (and again only if it comes back and goes away again).
        if (s.off === null) o.logger?.info({ signal: s.name, status }, `kube: ${s.name} is not available (${describeKubeError(err, o.timeoutMs)}); planned maintenance it would show is not recognised — ${s.fix}`);
        s.off = { at: clock(), why: describeKubeError(err, o.timeoutMs) };
      } else {
        o.logger?.debug({ signal: s.name, err: describeKubeError(err, o.timeoutMs) }, `kube: could not look for ${s.name}; trying again next cycle`);
      }
      return;
    }
    if (s.off !== null) o.logger?.info({ signal: s.name }, `kube: ${s.name} is available again`);
    s.off = null;
    s.informer = startInformer<KubeObject, KubeObject>({
      kind: s.path === PLANS_PATH ? 'Plan' : 'DaemonSet',
      namespace: s.path === PLANS_PATH ? null : kured.namespace,
      path: s.path,
      ...(Object.keys(s.query).length ? { watchQuery: s.query } : {}),
      list: (page) => o.request('GET', s.path, { query: { ...s.query, limit: String(page.limit), ...(page.continue === undefined ? {} : { continue: page.continue }) } }),
      pageSize: o.pageSize,
      watch: o.watch,
      slim: s.slim,
      timeoutMs: o.timeoutMs,
      backoff: o.backoff,
      logger: o.logger,
    });
    await s.informer.sync();
  }

  /** The objects of a source now, or null when it is not available. */
  async function itemsOf(s: Source): Promise<KubeObject[] | null> {
    const due = s.informer === null && (s.off === null || clock() - s.off.at >= recheckMs);
    if (due) {
      s.looking ??= look(s).finally(() => (s.looking = null));
      await s.looking;
    }
    const informer = s.informer;
    if (informer === null) return null;
    const { error } = informer.status();
    if (error && (error.status === 404 || error.status === 403)) {
      // Gone since (the CRD deleted, the Role revoked): unavailable, looked for again later.
      informer.stop();
      s.informer = null;
      s.off = { at: clock(), why: error.message };
      o.logger?.info({ signal: s.name, status: error.status }, `kube: ${s.name} is not available any more (${error.message}) — ${s.fix}`);
      return null;
    }
    return informer.items();
  }

  return {
    async read(now) {
      const [lockHolders, plans] = await Promise.all(sources.map(itemsOf));
      const kuredLocked =
        lockHolders === null || lockHolders === undefined
          ? null
          : new Set(lockHolders.filter((d) => d.metadata?.name === kured.daemonSet).flatMap((d) => kuredLockNodes((d as LockHolder).metadata?.annotations?.[kured.lockAnnotation], now)));
      return { kuredLocked, plans: plans === null || plans === undefined ? null : upgradePlansByNode(plans as SlimPlan[]) };
    },
    caches: () => sources.filter((s) => s.informer !== null).map((s) => ({ ...s.informer!.status(), path: s.shownPath })),
    stop() {
      for (const s of sources) {
        s.informer?.stop();
        s.informer = null;
      }
    },
  };
}

/** The kured DaemonSet as the cache keeps it: its name and the lock annotation only. */
interface LockHolder extends KubeObject {
  metadata?: KubeObject['metadata'] & { annotations?: Record<string, string> };
}

function slimLockHolder(raw: KubeObject, lockAnnotation: string): LockHolder {
  const meta = (raw as LockHolder).metadata;
  const lock = meta?.annotations?.[lockAnnotation];
  return { metadata: { name: meta?.name, namespace: meta?.namespace, resourceVersion: meta?.resourceVersion, ...(lock !== undefined ? { annotations: { [lockAnnotation]: lock } } : {}) } };
}

function slimPlan(raw: KubeObject): SlimPlan {
  const plan = raw as SlimPlan;
  const applying = plan.status?.applying;
  return { metadata: { name: plan.metadata?.name, namespace: plan.metadata?.namespace, resourceVersion: plan.metadata?.resourceVersion }, ...(applying?.length ? { status: { applying: [...applying] } } : {}) };
}
