/**
 * What the caches keep of each object: only the fields `resolve.ts` reads (names, labels, node
 * bindings, the Ready condition, replica counters, rollout state). A pod as the API sends it weighs
 * kilobytes (managed fields, container specs, statuses); kept whole at 1,000 targets the caches would
 * hold megabytes the bot never reads — client-go's informers strip managed fields for the same reason.
 */
import type { V1Container, V1ContainerStatus, V1DaemonSet, V1Deployment, V1Node, V1Pod, V1PodCondition, V1StatefulSet } from '@kubernetes/client-node';

const HOSTNAME = 'kubernetes.io/hostname';

/**
 * The longest message a cache keeps (a waiting reason's, the scheduler's): what the card shows is clipped
 * far shorter, and a kubelet message can carry a whole stack trace.
 */
export const MAX_KEPT_MESSAGE = 1000;

/** Any object as a list or a watch event carries it. */
export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

/**
 * A pod reduced to its labels, node binding, pin, phase, its Ready and PodScheduled conditions, and what
 * the diagnosis reads of its containers (name, image, memory limit; waiting reason, last termination,
 * restart count) — init containers too.
 */
export function slimPod(pod: V1Pod): V1Pod {
  const pin = pod.spec?.nodeSelector?.[HOSTNAME];
  // DisruptionTarget=True: the API server is deleting it on purpose (a drain's eviction, maintenanceSignals.ts).
  const kept = (c: V1PodCondition) => c.type === 'Ready' || (c.type === 'PodScheduled' && c.status === 'False') || (c.type === 'DisruptionTarget' && c.status === 'True');
  const conditions = (pod.status?.conditions ?? []).filter(kept).map(slimCondition);
  const deleting = pod.metadata?.deletionTimestamp;
  const initStatuses = pod.status?.initContainerStatuses?.map(slimContainerStatus);
  const initContainers = pod.spec?.initContainers?.map(slimContainer);
  return {
    metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, labels: pod.metadata?.labels, resourceVersion: pod.metadata?.resourceVersion, ...(deleting ? { deletionTimestamp: deleting } : {}) },
    spec: {
      containers: (pod.spec?.containers ?? []).map(slimContainer),
      ...(initContainers ? { initContainers } : {}),
      ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      ...(pin ? { nodeSelector: { [HOSTNAME]: pin } } : {}),
    },
    status: {
      phase: pod.status?.phase,
      ...(conditions.length > 0 ? { conditions } : {}),
      ...(pod.status?.containerStatuses ? { containerStatuses: pod.status.containerStatuses.map(slimContainerStatus) } : {}),
      ...(initStatuses ? { initContainerStatuses: initStatuses } : {}),
    },
  };
}

function slimCondition(c: V1PodCondition): V1PodCondition {
  return { type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: clipped(c.message) } : {}) };
}

/** A container spec reduced to its name, image and memory limit. */
function slimContainer(c: V1Container): V1Container {
  const memory = c.resources?.limits?.memory;
  return { name: c.name, ...(c.image ? { image: c.image } : {}), ...(memory ? { resources: { limits: { memory } } } : {}) };
}

function slimContainerStatus(s: V1ContainerStatus): V1ContainerStatus {
  const waiting = s.state?.waiting;
  const last = s.lastState?.terminated;
  return {
    name: s.name,
    image: s.image,
    imageID: '',
    ready: s.ready,
    restartCount: s.restartCount,
    ...(waiting ? { state: { waiting: { reason: waiting.reason, ...(waiting.message ? { message: clipped(waiting.message) } : {}) } } } : {}),
    ...(last ? { lastState: { terminated: { reason: last.reason, exitCode: last.exitCode, finishedAt: last.finishedAt } } } : {}),
  };
}

function clipped(text: string): string {
  return text.length > MAX_KEPT_MESSAGE ? `${text.slice(0, MAX_KEPT_MESSAGE - 1)}…` : text;
}

/** A node reduced to its name, cordon flag, Ready condition and the annotations named in `keep` (kured's reboot mark). */
export function slimNode(node: V1Node, keep: readonly string[] = []): V1Node {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const annotations = Object.fromEntries(keep.flatMap((key) => (node.metadata?.annotations?.[key] !== undefined ? [[key, node.metadata.annotations[key]!]] : [])));
  return {
    metadata: { name: node.metadata?.name, resourceVersion: node.metadata?.resourceVersion, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: node.spec?.unschedulable ? { unschedulable: true } : {},
    status: ready ? { conditions: [{ type: 'Ready', status: ready.status, lastTransitionTime: ready.lastTransitionTime }] } : {},
  };
}

/** A Deployment, StatefulSet or DaemonSet reduced to selector, pin, its containers' images and memory limits, generation and status. */
export function slimWorkload<W extends V1Deployment | V1StatefulSet | V1DaemonSet>(w: W): W {
  const spec = w.spec as (V1Deployment['spec'] & V1StatefulSet['spec']) | undefined;
  const pin = spec?.template?.spec?.nodeSelector?.[HOSTNAME];
  return {
    metadata: { name: w.metadata?.name, namespace: w.metadata?.namespace, generation: w.metadata?.generation, resourceVersion: w.metadata?.resourceVersion },
    spec: {
      selector: spec?.selector,
      ...(spec?.replicas !== undefined ? { replicas: spec.replicas } : {}),
      template: { spec: { containers: (spec?.template?.spec?.containers ?? []).map(slimContainer), ...(pin ? { nodeSelector: { [HOSTNAME]: pin } } : {}) } },
    },
    status: w.status,
  } as unknown as W;
}
