/** A snapshot read from the caches: nodes, each target's workload and pods, its Warning events and template change. */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { TargetConfig } from '../../config/types.js';
import { formatDuration } from '../../core/duration.js';
import { isSetupRefusal } from '../../core/setup.js';
import type { ClusterSnapshot, NodeFacts, WorkloadFacts } from '../../core/types.js';
import { collectionPath, collectionsFor, describeCollection, type Collection, type WatchScope } from './access.js';
import type { CacheRegistry } from './caches.js';
import type { ChangeDetector } from './changes.js';
import { warningEventsOf } from './events.js';
import { nodeFacts, workloadFacts, type Workload } from './resolve.js';
import type { KubeObject } from './slim.js';

/** Where a target's pods and workload are read in a scope: its namespace's caches, or the cluster-wide ones. */
export function collectionsOf(target: TargetConfig, scope: WatchScope | undefined): { pods: Collection; workloads: Collection | null } {
  const namespace = scope === 'cluster' ? null : target.namespace;
  const { workload } = target;
  return { pods: { kind: 'Pod', namespace }, workloads: workload.kind === 'Pods' ? null : { kind: workload.kind, namespace } };
}

/** A target's workload as cached (undefined for a Pods target, when it does not exist, or before its cache runs). */
export function cachedWorkload(caches: CacheRegistry, target: TargetConfig, scope: WatchScope | undefined): Workload | undefined {
  const { workloads } = collectionsOf(target, scope);
  return target.workload.kind === 'Pods' || !workloads ? undefined : caches.lookup<Workload>(workloads)?.get(target.workload.name, target.namespace);
}

/**
 * Reads the snapshot for `wanted` from caches already started and synced (or given up on) in `scope`.
 * Nodes refused by RBAC make every target unknown; nodes out of sync otherwise make the API unreachable;
 * another cache out of sync makes only its targets unknown.
 */
export function readSnapshot(o: { caches: CacheRegistry; changes: ChangeDetector; scope: WatchScope; timeoutMs: number }, wanted: readonly TargetConfig[], now: number): ClusterSnapshot {
  const { caches, scope } = o;
  const nodeCache = caches.cache<V1Node>({ kind: 'Node', namespace: null });
  const nodeStatus = nodeCache.status();
  if (!nodeStatus.inSync) {
    // The API answered, but refuses the nodes (RBAC): a setup problem, not an API that is down.
    if (nodeStatus.error && isSetupRefusal(nodeStatus.error.status)) {
      const why = `nodes: ${nodeStatus.error.message}`;
      return { reachable: true, observedAt: now, nodes: {}, workloads: {}, unknownTargets: Object.fromEntries(wanted.map((t) => [t.name, why])), sources: sourcesOf(caches, wanted, scope) };
    }
    return { reachable: false, observedAt: now, error: nodeStatus.error?.message ?? `timeout after ${formatDuration(o.timeoutMs)}` };
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
    const where = collectionsOf(target, scope);
    const pods = caches.cache<V1Pod>(where.pods);
    const stale = [pods.status(), where.workloads ? caches.cache(where.workloads).status() : undefined].find((s) => s !== undefined && !s.inSync);
    if (stale) {
      unknownTargets[target.name] = `${describeCollection(stale)}: ${stale.error?.message ?? 'not in sync yet'}`;
      continue;
    }
    if (!podsIn.has(target.namespace)) podsIn.set(target.namespace, pods.items(target.namespace));
    const { workload } = target;
    const change = o.changes.templateChangeOf(target);
    const resolved = workloadFacts(target, podsIn.get(target.namespace)!, cachedWorkload(caches, target, scope));
    if (!eventsOf.has(target.namespace)) eventsOf.set(target.namespace, caches.eventsIn(scope, target.namespace));
    const events = warningEventsOf(eventsOf.get(target.namespace)!, new Set(resolved.pods.map((p) => p.name)), workload.kind === 'Pods' ? null : workload, now);
    const facts = { ...resolved, ...(change ? { change } : {}), ...(events.length > 0 ? { events } : {}) };
    workloads[target.name] = facts;
    o.changes.noteReady(target.name, facts.pods.some((p) => p.ready));
  }
  return {
    reachable: true,
    observedAt: now,
    nodes,
    workloads,
    ...(Object.keys(unknownTargets).length > 0 ? { unknownTargets } : {}),
    sources: sourcesOf(caches, wanted, scope),
  };
}

/** Every cache the targets read, with the targets that read it (SPEC §14: what a snapshot was made of). */
function sourcesOf(caches: CacheRegistry, wanted: readonly TargetConfig[], scope: WatchScope) {
  const readers = new Map<string, string[]>();
  for (const target of wanted) {
    for (const c of collectionsFor([target], scope)) {
      const path = collectionPath(c);
      readers.set(path, [...(readers.get(path) ?? []), target.name]);
    }
  }
  return collectionsFor(wanted, scope).map((c) => {
    const { kind, namespace, inSync, error, path } = caches.cache(c).status();
    return { kind, namespace, inSync, error, targets: readers.get(path) ?? [] };
  });
}
