/**
 * Renders the simulator's model as Kubernetes JSON, with status fields derived at render time so
 * they are always consistent with the pods. Zero-valued status counters are omitted, as the real
 * API server does (`omitempty`), so clients must treat a missing counter as 0.
 */
import { containersOf, DEFAULT_CONTAINER, initContainersOf, podRuntime } from './failures.js';
import { HOSTNAME, type ClusterModel, type SimContainer, type SimNode, type SimPod, type SimWorkload } from './model.js';

type Json = Record<string, unknown>;

/** RFC 3339 with milliseconds: the sim clock is in ms and tests compare exact instants. */
function time(ms: number): string {
  return new Date(ms).toISOString();
}

/** Drops keys whose value is 0, like Go's `omitempty` on the status structs. */
function omitZero(obj: Record<string, number | string | unknown>): Json {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== 0 && v !== undefined));
}

/** A `v1/Node`. */
export function renderNode(m: ClusterModel, n: SimNode): Json {
  const reason = { True: 'KubeletReady', False: 'KubeletNotReady', Unknown: 'NodeStatusUnknown' }[n.ready];
  const message = {
    True: 'kubelet is posting ready status',
    False: 'container runtime is down',
    Unknown: 'Kubelet stopped posting node status.',
  }[n.ready];
  const taints: Json[] = [];
  if (n.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: time(n.createdAt) });
  if (n.ready === 'False') taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: time(n.readySince) });
  if (n.ready === 'Unknown') taints.push({ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: time(n.readySince) });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      uid: n.uid,
      resourceVersion: String(n.rv),
      creationTimestamp: time(n.createdAt),
      labels: { [HOSTNAME]: n.name, 'kubernetes.io/os': 'linux' },
      ...(Object.keys(n.annotations).length ? { annotations: { ...n.annotations } } : {}),
    },
    spec: { ...(n.unschedulable ? { unschedulable: true } : {}), ...(taints.length ? { taints } : {}) },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: n.ready,
          reason,
          message,
          lastHeartbeatTime: time(n.ready === 'Unknown' ? n.readySince : m.now()),
          lastTransitionTime: time(n.readySince),
        },
      ],
      addresses: [{ type: 'Hostname', address: n.name }],
      nodeInfo: { kubeletVersion: 'v1.31.0-sim', osImage: 'stormguard simulator', architecture: 'amd64' },
    },
  };
}

/** A container of a pod spec or template, with its memory limit when it has one. */
function containerSpec(c: SimContainer): Record<string, unknown> {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
    ...(c.memoryLimit !== undefined ? { resources: { limits: { memory: c.memoryLimit } } } : {}),
  };
}

/** A `v1/Pod`; a pod without a node is `Pending` and `PodScheduled=False`; container states come from failures.ts. */
export function renderPod(m: ClusterModel, p: SimPod): Json {
  const ready = m.podReady(p);
  const bound = p.nodeName !== null;
  const owner = p.owner ? ownerRef(p) : undefined;
  const rt = podRuntime(m, p, bound && m.nodes.get(p.nodeName!)?.ready === 'True' && p.health === 'healthy' && p.deletingAt === undefined);
  const cond = (type: string, ok: boolean, reason?: string, message?: string): Json => ({
    type,
    status: ok ? 'True' : 'False',
    lastTransitionTime: time(p.createdAt),
    ...(reason && !ok ? { reason } : {}),
    ...(message && !ok ? { message } : {}),
  });
  const notReady = `containers with unready status: [${(rt.notReady.length ? rt.notReady : containersOf(p).map((c) => c.name)).join(' ')}]`;
  const inits = initContainersOf(p);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: String(p.rv),
      creationTimestamp: time(p.createdAt),
      labels: { ...p.labels },
      ...(owner ? { ownerReferences: [owner] } : {}),
      // A graceful deletion in progress (drain.ts): the kubelet is stopping it.
      ...(p.deletingAt !== undefined ? { deletionTimestamp: time(p.deletingAt), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: {
      ...(p.pinnedNode !== null ? { nodeSelector: { [HOSTNAME]: p.pinnedNode } } : {}),
      ...(bound ? { nodeName: p.nodeName } : {}),
      ...(inits.length ? { initContainers: inits.map(containerSpec) } : {}),
      containers: containersOf(p).map(containerSpec),
    },
    status: {
      phase: bound ? rt.phase : 'Pending',
      conditions: (bound
        ? [
            cond('PodScheduled', true),
            cond('Initialized', rt.initialized, 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`),
            cond('ContainersReady', ready, 'ContainersNotReady', notReady),
            cond('Ready', ready, 'ContainersNotReady', notReady),
          ]
        : [cond('PodScheduled', false, 'Unschedulable', rt.unschedulable ?? undefined)]
      ).concat(
        // The API server appends DisruptionTarget before it deletes an evicted pod (drain.ts).
        p.disruption ? [{ type: 'DisruptionTarget', status: 'True', reason: p.disruption.reason, message: p.disruption.message, lastTransitionTime: time(p.disruption.at) }] : [],
      ),
      ...(bound
        ? {
            startTime: time(p.createdAt),
            ...(rt.initContainerStatuses ? { initContainerStatuses: rt.initContainerStatuses } : {}),
            containerStatuses: rt.containerStatuses,
          }
        : {}),
    },
  };
}

function ownerRef(p: SimPod): Json {
  const [kind = '', , name = ''] = (p.owner ?? '').split('/');
  if (kind === 'Deployment') {
    // Deployment pods are owned by a ReplicaSet named after the template hash.
    return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${p.labels['pod-template-hash']}`, uid: p.ownerUid, controller: true, blockOwnerDeletion: true };
  }
  return { apiVersion: 'apps/v1', kind, name, uid: p.ownerUid, controller: true, blockOwnerDeletion: true };
}

/** A Deployment, StatefulSet or DaemonSet with its status derived from its pods. */
export function renderWorkload(m: ClusterModel, w: SimWorkload): Json {
  // Controllers count only active pods: a terminating one is neither a replica nor ready.
  const pods = m.activePodsOf(w);
  const ready = pods.filter((p) => m.podReady(p)).length;
  const updated = pods.filter((p) => p.revision === w.revision).length;
  const template = {
    metadata: {
      labels: { ...w.matchLabels },
      ...(Object.keys(w.templateAnnotations).length ? { annotations: { ...w.templateAnnotations } } : {}),
    },
    spec: {
      ...(w.node !== null ? { nodeSelector: { [HOSTNAME]: w.node } } : {}),
      ...(w.initContainers?.length ? { initContainers: w.initContainers.map(containerSpec) } : {}),
      containers: (w.containers?.length ? w.containers : [DEFAULT_CONTAINER]).map(containerSpec),
    },
  };
  const metadata = {
    name: w.name,
    namespace: w.namespace,
    uid: w.uid,
    resourceVersion: String(w.rv),
    generation: w.generation,
    creationTimestamp: time(w.createdAt),
    labels: { ...w.labels },
    annotations: { ...w.annotations, ...(w.kind === 'Deployment' ? { 'deployment.kubernetes.io/revision': String(w.revision) } : {}) },
  };
  const selector = { matchLabels: { ...w.matchLabels } };
  const base = { apiVersion: 'apps/v1', kind: w.kind, metadata };

  if (w.kind === 'Deployment') {
    // The deployment controller's messages name the new ReplicaSet (deployment_util.go).
    const rs = `${w.name}-${m.suffix(`${w.name}/${w.revision}`, 0, 10)}`;
    const deadline = w.lastProgressAt + w.progressDeadlineSeconds * 1000;
    const deadlineExceeded = w.progress === 'progressing' && m.now() > deadline;
    const progressing = w.progress === 'complete'
      ? { status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.` }
      : deadlineExceeded
        ? { status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs}" has timed out progressing.` }
        : { status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs}" is progressing.` };
    // The condition turned False when the deadline passed, and its times say so.
    const progressingAt = time(deadlineExceeded ? deadline : w.lastProgressAt);
    return {
      ...base,
      spec: {
        replicas: w.replicas,
        selector,
        template,
        // The model replaces every pod at once when the template changes: that is Recreate.
        strategy: { type: 'Recreate' },
        progressDeadlineSeconds: w.progressDeadlineSeconds,
        revisionHistoryLimit: 10,
      },
      status: {
        observedGeneration: w.generation,
        ...omitZero({
          replicas: pods.length,
          updatedReplicas: updated,
          readyReplicas: ready,
          availableReplicas: ready,
          unavailableReplicas: Math.max(0, w.replicas - ready),
        }),
        conditions: [
          {
            type: 'Available',
            status: ready >= w.replicas ? 'True' : 'False',
            reason: ready >= w.replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
            lastUpdateTime: time(w.lastProgressAt),
            lastTransitionTime: time(w.lastProgressAt),
          },
          { type: 'Progressing', ...progressing, lastUpdateTime: progressingAt, lastTransitionTime: progressingAt },
        ],
      },
    };
  }

  if (w.kind === 'StatefulSet') {
    const rev = (r: number): string => `${w.name}-${m.suffix(`${w.name}/${r}`, 0, 10)}`;
    return {
      ...base,
      spec: {
        replicas: w.replicas,
        selector,
        template,
        serviceName: w.name,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      },
      status: {
        observedGeneration: w.generation,
        replicas: pods.length,
        ...omitZero({
          readyReplicas: ready,
          availableReplicas: ready,
          currentReplicas: pods.filter((p) => p.revision === w.currentRevision).length,
          updatedReplicas: updated,
        }),
        currentRevision: rev(w.currentRevision),
        updateRevision: rev(w.revision),
        collisionCount: 0,
      },
    };
  }

  const desired = w.daemonNodes.length;
  return {
    ...base,
    spec: { selector, template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
    status: {
      observedGeneration: w.generation,
      desiredNumberScheduled: desired,
      currentNumberScheduled: pods.filter((p) => p.nodeName !== null).length,
      numberMisscheduled: 0,
      numberReady: ready,
      ...omitZero({
        updatedNumberScheduled: updated,
        numberAvailable: ready,
        numberUnavailable: Math.max(0, desired - ready),
      }),
    },
  };
}

/** A `List` wrapper carrying the current global resourceVersion. */
export function renderList(m: ClusterModel, apiVersion: string, kind: string, items: Json[]): Json {
  return { apiVersion, kind, metadata: { resourceVersion: String(m.currentRv) }, items };
}
