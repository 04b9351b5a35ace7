/**
 * A drain, as the API server and kubectl do it: cordon (`spec.unschedulable: true` by a strategic
 * merge patch of the node, k8s.io/kubectl pkg/drain/cordon.go) and evictions through the Eviction
 * API (`POST /api/v1/namespaces/{ns}/pods/{name}/eviction` with a `policy/v1` Eviction body,
 * kubectl pkg/drain/drain.go `EvictPod`).
 *
 * The eviction subresource (kubernetes pkg/registry/core/pod/storage/eviction.go) answers a
 * `Status` of `Success` with code 201; since 1.26 (PodDisruptionConditions) it first appends the
 * condition `DisruptionTarget=True`, reason `EvictionByEvictionAPI`, message `Eviction API:
 * evicting` to the pod, then deletes it gracefully (deletionTimestamp; the object is gone once its
 * kubelet confirms, model.ts `finishTerminations`). PodDisruptionBudgets are not modelled: every
 * eviction is allowed, as with no PDB.
 */
import type { ClusterModel, SimPod } from './model.js';
import { failure, notFound, type KubeStatus } from './status.js';

/** The reason and message the API server gives the `DisruptionTarget` condition of an evicted pod. */
export const EVICTION_DISRUPTION = { reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' } as const;

/** The `v1` discovery entry kubectl's `CheckEvictionSupport` looks for (name, kind, group and version). */
export const EVICTION_RESOURCE = { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] };

/**
 * Handles `POST …/pods/{name}/eviction` with its JSON body: the pod is marked and its graceful
 * deletion begins. Refuses what the API server refuses: a body that is not an Eviction (400), a
 * name that does not match the URL (400), a missing pod (404).
 */
export function evictionRequest(m: ClusterModel, ns: string, name: string, body: string): { code: number; body: KubeStatus } {
  let eviction: unknown;
  try {
    eviction = JSON.parse(body);
  } catch {
    throw failure(400, 'BadRequest', 'the request body is not valid JSON');
  }
  const e = eviction as { kind?: unknown; apiVersion?: unknown; metadata?: { name?: unknown } } | null;
  if (typeof e !== 'object' || e === null || e.kind !== 'Eviction' || (e.apiVersion !== 'policy/v1' && e.apiVersion !== 'policy/v1beta1')) {
    throw failure(400, 'BadRequest', 'not a Eviction object');
  }
  if (e.metadata?.name !== name) throw failure(400, 'BadRequest', 'name in URL does not match name in Eviction object');
  const pod = m.pods.get(`${ns}/${name}`);
  if (!pod) throw notFound('pods', name);
  evict(m, pod);
  return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
}

/** Evicts one pod: the `DisruptionTarget` condition, then a graceful deletion (a second eviction changes nothing). */
export function evict(m: ClusterModel, pod: SimPod): void {
  if (pod.deletingAt !== undefined) return;
  pod.disruption = { ...EVICTION_DISRUPTION, at: m.now() };
  m.beginDeletion(pod);
}

/** What `drainNode` did. */
export interface DrainResult {
  /** `namespace/name` of each pod evicted. */
  evicted: string[];
  /** `namespace/name` of each DaemonSet pod left alone (`--ignore-daemonsets`). */
  ignored: string[];
}

/**
 * `kubectl drain NODE --ignore-daemonsets --delete-emptydir-data` through the same code as the
 * routes: cordon, then evict every pod bound to the node except DaemonSet pods (their controller
 * tolerates the cordon and would put them straight back). Bare pods are evicted too, as `--force` does.
 */
export function drain(m: ClusterModel, nodeName: string): DrainResult {
  const node = m.nodes.get(nodeName);
  if (!node) throw notFound('nodes', nodeName);
  if (!node.unschedulable) {
    node.unschedulable = true;
    node.rv = m.bump();
  }
  const result: DrainResult = { evicted: [], ignored: [] };
  const pods = [...m.pods.values()].filter((p) => p.nodeName === nodeName).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const pod of pods) {
    const key = `${pod.namespace}/${pod.name}`;
    if (pod.owner !== null && m.workloads.get(pod.owner)?.kind === 'DaemonSet') {
      result.ignored.push(key);
      continue;
    }
    if (pod.deletingAt !== undefined) continue;
    evict(m, pod);
    result.evicted.push(key);
  }
  return result;
}

/** Applies `spec.unschedulable` and `metadata.annotations` of a patched node (the fields a drain and kured change). */
export function applyNodePatch(m: ClusterModel, nodeName: string, merged: { spec?: { unschedulable?: unknown }; metadata?: { annotations?: unknown } }): void {
  const node = m.nodes.get(nodeName)!;
  node.unschedulable = merged.spec?.unschedulable === true;
  const annotations = merged.metadata?.annotations;
  node.annotations = typeof annotations === 'object' && annotations !== null
    ? Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};
  node.rv = m.bump();
}
