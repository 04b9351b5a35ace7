/**
 * The Kubernetes adapter: reads one consistent snapshot per check cycle and performs restarts the
 * way `kubectl rollout restart` does. Reads cost a fixed number of requests per cycle — one node
 * list, one pod list per watched namespace, one list per workload kind per namespace — never one
 * per target.
 */
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  Observable,
  PatchStrategy,
  ServerConfiguration,
  createConfiguration,
  setHeaderOptions,
  type Configuration,
  type KubeConfig,
  type ObservableMiddleware,
  type V1DaemonSet,
  type V1Deployment,
  type V1Pod,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { TargetConfig } from '../../config/types.js';
import type { ClusterSnapshot, NodeFacts, WorkloadFacts } from '../../core/types.js';
import { loadKubeConfig, type KubeConfigSource } from './config.js';
import { describeKubeError } from './errors.js';
import { createLeaseApi, type LeaseApi } from './lease.js';
import { nodeFacts, workloadFacts, type ClusterLists } from './resolve.js';

export { loadKubeConfig, type KubeConfigSource } from './config.js';
export type { LeaseApi, LeaseRecord } from './lease.js';

/** Options of `createKubeAdapter`. */
export interface KubeAdapterOptions extends KubeConfigSource {
  /** Per-request timeout; a hung API becomes `reachable: false` (default 10s). */
  requestTimeoutMs?: number;
}

/** What the rest of stormguard needs from Kubernetes, the single-instance Lease included. */
export interface KubeAdapter extends LeaseApi {
  /** Reads nodes and every target's workload; an API failure yields `reachable: false`, never a throw. */
  snapshot(targets: TargetConfig[], now: number): Promise<ClusterSnapshot>;
  /** Restarts a target (rollout restart, or deleting its pods); throws a wrapped Error on failure. */
  restart(target: TargetConfig, now: number): Promise<void>;
}

/** Creates the adapter from a kubeconfig source; throws when no usable configuration is found. */
export function createKubeAdapter(options: KubeAdapterOptions = {}): KubeAdapter {
  const kc = loadKubeConfig(options);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const config = apiConfiguration(kc, timeoutMs);
  const core = new CoreV1Api(config);
  const apps = new AppsV1Api(config);

  async function readLists(targets: TargetConfig[]): Promise<ClusterLists> {
    const namespaces = [...new Set(targets.map((t) => t.namespace))].sort();
    const wanted = (kind: string) => [...new Set(targets.filter((t) => t.workload.kind === kind).map((t) => t.namespace))].sort();
    const byNamespace = async <T>(nss: string[], list: (namespace: string) => Promise<{ items: T[] }>) =>
      new Map(await Promise.all(nss.map(async (ns) => [ns, (await list(ns)).items] as const)));

    // Pods are listed per namespace (not cluster-wide) so RBAC can stay namespaced.
    const [nodes, pods, deployments, statefulSets, daemonSets] = await Promise.all([
      core.listNode(),
      byNamespace<V1Pod>(namespaces, (namespace) => core.listNamespacedPod({ namespace })),
      byNamespace<V1Deployment>(wanted('Deployment'), (namespace) => apps.listNamespacedDeployment({ namespace })),
      byNamespace<V1StatefulSet>(wanted('StatefulSet'), (namespace) => apps.listNamespacedStatefulSet({ namespace })),
      byNamespace<V1DaemonSet>(wanted('DaemonSet'), (namespace) => apps.listNamespacedDaemonSet({ namespace })),
    ]);
    return { nodes: nodes.items, pods, deployments, statefulSets, daemonSets };
  }

  return {
    ...createLeaseApi(new CoordinationV1Api(config), timeoutMs),

    async snapshot(targets, now) {
      let lists: ClusterLists;
      try {
        lists = await readLists(targets);
      } catch (err) {
        return { reachable: false, observedAt: now, error: describeKubeError(err, timeoutMs) };
      }
      const nodes: Record<string, NodeFacts> = {};
      for (const node of lists.nodes) {
        const facts = nodeFacts(node);
        nodes[facts.name] = facts;
      }
      const workloads: Record<string, WorkloadFacts> = {};
      for (const target of targets) workloads[target.name] = workloadFacts(target, lists);
      return { reachable: true, observedAt: now, nodes, workloads };
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
  };
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
