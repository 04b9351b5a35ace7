/**
 * What the caches keep of each object: only the fields `resolve.ts` reads (names, labels, node
 * bindings, the Ready condition, replica counters, rollout state). A pod as the API sends it weighs
 * kilobytes (managed fields, container specs, statuses); kept whole at 1,000 targets the caches would
 * hold megabytes the bot never reads — client-go's informers strip managed fields for the same reason.
 */
import type { V1DaemonSet, V1Deployment, V1Node, V1Pod, V1StatefulSet } from '@kubernetes/client-node';

const HOSTNAME = 'kubernetes.io/hostname';

/** Any object as a list or a watch event carries it. */
export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

/** A pod reduced to its labels, node binding, pin, phase and Ready condition. */
export function slimPod(pod: V1Pod): V1Pod {
  const pin = pod.spec?.nodeSelector?.[HOSTNAME];
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, labels: pod.metadata?.labels, resourceVersion: pod.metadata?.resourceVersion },
    spec: { containers: [], ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}), ...(pin ? { nodeSelector: { [HOSTNAME]: pin } } : {}) },
    status: { phase: pod.status?.phase, ...(ready ? { conditions: [{ type: 'Ready', status: ready.status }] } : {}) },
  };
}

/** A node reduced to its name, cordon flag and Ready condition. */
export function slimNode(node: V1Node): V1Node {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    metadata: { name: node.metadata?.name, resourceVersion: node.metadata?.resourceVersion },
    spec: node.spec?.unschedulable ? { unschedulable: true } : {},
    status: ready ? { conditions: [{ type: 'Ready', status: ready.status, lastTransitionTime: ready.lastTransitionTime }] } : {},
  };
}

/** A Deployment, StatefulSet or DaemonSet reduced to selector, pin, generation and status. */
export function slimWorkload<W extends V1Deployment | V1StatefulSet | V1DaemonSet>(w: W): W {
  const spec = w.spec as (V1Deployment['spec'] & V1StatefulSet['spec']) | undefined;
  const pin = spec?.template?.spec?.nodeSelector?.[HOSTNAME];
  return {
    metadata: { name: w.metadata?.name, namespace: w.metadata?.namespace, generation: w.metadata?.generation, resourceVersion: w.metadata?.resourceVersion },
    spec: {
      selector: spec?.selector,
      ...(spec?.replicas !== undefined ? { replicas: spec.replicas } : {}),
      template: { spec: { containers: [], ...(pin ? { nodeSelector: { [HOSTNAME]: pin } } : {}) } },
    },
    status: w.status,
  } as unknown as W;
}
