/**
 * What the adapter reads and does in the cluster for a set of targets — the one owner of "which
 * caches" (the adapter starts exactly these) and "which verbs where" (the doctor asks the cluster's
 * RBAC about exactly these). The Lease's own needs are the Lease's.
 */
import type { RolloutKind, TargetConfig } from '../../config/types.js';

/** One collection the adapter keeps a cache of: the nodes (cluster-wide), or one kind in one namespace. */
export type Collection = { kind: 'Node'; namespace: null } | { kind: 'Pod' | RolloutKind; namespace: string };

/** One permission, as RBAC and a SelfSubjectAccessReview state it. */
export interface NeededAccess {
  verb: string;
  group: string;
  resource: string;
  /** Absent: cluster-wide. */
  namespace?: string;
  name?: string;
}

/** The apps/v1 resource of each workload kind. */
export const WORKLOAD_RESOURCES: Record<RolloutKind, string> = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' };

/**
 * The caches `targets` need: the nodes, then per namespace (sorted) its pods and the workload kinds
 * (sorted) its targets use. Pods are read per namespace, never cluster-wide, so RBAC stays namespaced.
 */
export function collectionsFor(targets: readonly TargetConfig[]): Collection[] {
  const out: Collection[] = [{ kind: 'Node', namespace: null }];
  for (const namespace of [...new Set(targets.map((t) => t.namespace))].sort()) {
    out.push({ kind: 'Pod', namespace });
    const here = targets.filter((t) => t.namespace === namespace);
    for (const kind of [...new Set(here.flatMap((t) => (t.workload.kind === 'Pods' ? [] : [t.workload.kind])))].sort()) out.push({ kind, namespace });
  }
  return out;
}

/** The API path of a collection, e.g. `/api/v1/namespaces/nvr/pods` (lists and watches go there). */
export function collectionPath(c: Collection): string {
  if (c.kind === 'Node') return '/api/v1/nodes';
  const namespaced = `/namespaces/${encodeURIComponent(c.namespace)}`;
  return c.kind === 'Pod' ? `/api/v1${namespaced}/pods` : `/apis/apps/v1${namespaced}/${WORKLOAD_RESOURCES[c.kind]}`;
}

/**
 * Every verb the adapter uses for `targets`, in the order of {@link collectionsFor}: list and watch
 * each cache (informers), patch each workload kind (rollout restart), and delete pods where a Pods
 * target lives (its restart).
 */
export function accessFor(targets: readonly TargetConfig[]): NeededAccess[] {
  const out: NeededAccess[] = [];
  for (const { kind, namespace } of collectionsFor(targets)) {
    const where = namespace === null ? {} : { namespace };
    const [group, resource] = kind === 'Node' ? ['', 'nodes'] : kind === 'Pod' ? ['', 'pods'] : ['apps', WORKLOAD_RESOURCES[kind]];
    for (const verb of kind === 'Node' || kind === 'Pod' ? ['list', 'watch'] : ['list', 'watch', 'patch']) out.push({ verb, group, resource, ...where });
  }
  for (const namespace of [...new Set(targets.flatMap((t) => (t.workload.kind === 'Pods' ? [t.namespace] : [])))].sort()) {
    out.push({ verb: 'delete', group: '', resource: 'pods', namespace });
  }
  return out;
}
