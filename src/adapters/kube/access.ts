/**
 * What the adapter reads and does in the cluster for a set of targets — the one owner of "which
 * caches" (the adapter starts exactly these), "which verbs where" (the doctor asks the cluster's
 * RBAC about exactly these) and of the rule that picks the watch scope. The Lease's own needs are the Lease's.
 */
import type { RolloutKind, TargetConfig, WatchScopeSetting } from '../../config/types.js';

/**
 * How pods and workloads are watched: one cache per kind per namespace (namespaced Roles suffice), or
 * one cache per kind for the whole cluster (needs a ClusterRole; the number of watches no longer
 * grows with the namespaces).
 */
export type WatchScope = 'namespaces' | 'cluster';

/**
 * One collection the adapter keeps a cache of: the nodes, or one kind in one namespace, or (cluster
 * scope) one kind in every namespace — `namespace: null` for both cluster-wide cases.
 */
export type Collection = { kind: 'Node'; namespace: null } | { kind: 'Pod' | RolloutKind; namespace: string | null };

/** One permission, as RBAC and a SelfSubjectAccessReview state it. */
export interface NeededAccess {
  verb: string;
  group: string;
  resource: string;
  /** A subresource (`log` of `pods`), as RBAC rules name it `pods/log`. */
  subresource?: string;
  /** Absent: cluster-wide. */
  namespace?: string;
  name?: string;
}

/** The apps/v1 resource of each workload kind. */
export const WORKLOAD_RESOURCES: Record<RolloutKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' };

/** More namespaces than this read with `namespaces` scope earn the doctor's hint to grant cluster-wide reads. */
export const MANY_NAMESPACES = 10;

/** The namespaces `targets` live in, sorted. */
export function namespacesOf(targets: readonly TargetConfig[]): string[] {
  return [...new Set(targets.map((t) => t.namespace))].sort();
}

/** The workload kinds `targets` use, sorted (a Pods target uses none). */
function kindsOf(targets: readonly TargetConfig[]): RolloutKind[] {
  return [...new Set(targets.flatMap((t) => (t.workload.kind === 'Pods' ? [] : [t.workload.kind])))].sort();
}

/**
 * The caches `targets` need: the nodes, then with `namespaces` scope per namespace (sorted) its pods
 * and the workload kinds (sorted) its targets use; with `cluster` scope the pods and each used
 * workload kind once, in every namespace.
 */
export function collectionsFor(targets: readonly TargetConfig[], scope: WatchScope): Collection[] {
  const out: Collection[] = [{ kind: 'Node', namespace: null }];
  if (targets.length === 0) return out;
  if (scope === 'cluster') {
    out.push({ kind: 'Pod', namespace: null });
    for (const kind of kindsOf(targets)) out.push({ kind, namespace: null });
    return out;
  }
  for (const namespace of namespacesOf(targets)) {
    out.push({ kind: 'Pod', namespace });
    for (const kind of kindsOf(targets.filter((t) => t.namespace === namespace))) out.push({ kind, namespace });
  }
  return out;
}

/** The API path of a collection, e.g. `/api/v1/namespaces/nvr/pods` or `/apis/apps/v1/deployments` (lists and watches go there). */
export function collectionPath(c: Collection): string {
  if (c.kind === 'Node') return '/api/v1/nodes';
  const namespaced = c.namespace === null ? '' : `/namespaces/${encodeURIComponent(c.namespace)}`;
  return c.kind === 'Pod' ? `/api/v1${namespaced}/pods` : `/apis/apps/v1${namespaced}/${WORKLOAD_RESOURCES[c.kind]}`;
}

/** A collection in words for people: `Node`, `Pod in nvr`, `Pod (all namespaces)`. */
export function describeCollection(c: { kind: string; namespace: string | null }): string {
  if (c.kind === 'Node') return 'Node';
  return c.namespace === null ? `${c.kind} (all namespaces)` : `${c.kind} in ${c.namespace}`;
}

/** What the configuration adds to the access: `diagnosis.logs` (default on) reads container logs. */
export interface AccessOptions {
  logs?: boolean;
}

/**
 * Every verb the adapter uses for `targets` with this scope, in the order of {@link collectionsFor}:
 * list and watch each cache (informers; the Warning events beside the pods), then patch each workload kind where its targets live
 * (rollout restart), delete pods where a Pods target lives (its restart) and, with logs on, get
 * `pods/log` (the evidence) — writes and log reads stay namespaced whatever the scope.
 */
export function accessFor(targets: readonly TargetConfig[], scope: WatchScope, options: AccessOptions = {}): NeededAccess[] {
  const out: NeededAccess[] = [];
  for (const { kind, namespace } of collectionsFor(targets, scope)) {
    const where = namespace === null ? {} : { namespace };
    const [group, resource] = kind === 'Node' ? ['', 'nodes'] : kind === 'Pod' ? ['', 'pods'] : ['apps', WORKLOAD_RESOURCES[kind]];
    for (const verb of ['list', 'watch']) out.push({ verb, group, resource, ...where });
    // Warning events are read where the pods are: the evidence of why a target is down (SPEC §11).
    if (kind === 'Pod') for (const verb of ['list', 'watch']) out.push({ verb, group: '', resource: 'events', ...where });
  }
  for (const namespace of namespacesOf(targets)) {
    const here = targets.filter((t) => t.namespace === namespace);
    for (const kind of kindsOf(here)) out.push({ verb: 'patch', group: 'apps', resource: WORKLOAD_RESOURCES[kind], namespace });
    if (here.some((t) => t.workload.kind === 'Pods')) out.push({ verb: 'delete', group: '', resource: 'pods', namespace });
    // Only where targets live, and only when logs are on: a log can hold what redaction misses.
    if (options.logs ?? true) out.push({ verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace });
  }
  return out;
}

/**
 * What `cluster` scope needs beyond the nodes: list and watch of pods and each used workload kind in every
 * namespace. Events are left out on purpose: they are evidence, so whether they may be read cluster-wide
 * does not decide the scope (refused, the card loses its evidence and the doctor says so).
 */
export function clusterWideReads(targets: readonly TargetConfig[]): NeededAccess[] {
  return accessFor(targets, 'cluster').filter((need) => need.namespace === undefined && need.resource !== 'nodes' && need.resource !== 'events');
}

/** The scope chosen and why, in words for the log and the doctor. */
export interface ScopeDecision {
  scope: WatchScope;
  reason: string;
}

/**
 * The scope in force: `namespaces` or `cluster` when configured so; under `auto`, `cluster` when the
 * targets span more than one namespace and the cluster-wide reads are allowed (`allowed`: the
 * SelfSubjectAccessReviews' answer, or an Error when they could not be asked), else `namespaces`.
 */
export function decideWatchScope(setting: WatchScopeSetting, namespaces: number, allowed: boolean | Error | null): ScopeDecision {
  if (setting !== 'auto') return { scope: setting, reason: `kubernetes.watchScope is ${setting}` };
  if (namespaces <= 1) return { scope: 'namespaces', reason: `the targets live in ${namespaces === 0 ? 'no namespace' : 'one namespace'}` };
  if (allowed instanceof Error) return { scope: 'namespaces', reason: `could not ask whether cluster-wide list/watch is allowed: ${allowed.message}` };
  if (allowed === true) return { scope: 'cluster', reason: `the targets span ${namespaces} namespaces and cluster-wide list/watch of pods and workloads is allowed` };
  return { scope: 'namespaces', reason: `the targets span ${namespaces} namespaces, but cluster-wide list/watch of pods and workloads is not allowed` };
}

/**
 * What reading the planned-maintenance signals needs (maintenanceSignals.ts): kured's one DaemonSet in
 * its namespace — by name, which RBAC grants with `resourceNames` because the watch selects
 * `metadata.name` — and system-upgrade-controller's Plans in every namespace. Optional: refused, the
 * signal is not available and nothing else changes, so the doctor warns instead of failing.
 */
export function maintenanceSignalAccess(kured: { namespace: string; daemonSet: string }): NeededAccess[] {
  return [
    ...['get', 'list', 'watch'].map((verb) => ({ verb, group: 'apps', resource: 'daemonsets', namespace: kured.namespace, name: kured.daemonSet })),
    ...['get', 'list', 'watch'].map((verb) => ({ verb, group: 'upgrade.cattle.io', resource: 'plans' })),
  ];
}
