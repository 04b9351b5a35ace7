import type { TargetConfig } from '../../src/config/types.js';
import type { GateInput } from '../../src/core/gate.js';
import type { Maintenance } from '../../src/core/maintenance.js';
import type { ClusterSnapshot, ContainerFacts, Incident, NodeFacts, PodFacts, RestartRecord, Silence, WorkloadFacts } from '../../src/core/types.js';

export const T0 = Date.parse('2026-11-25T20:00:00Z');
export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;

/** A target with the SPEC's defaults, pinned nowhere in particular. */
export function target(name: string, overrides: Partial<TargetConfig> = {}): TargetConfig {
  return {
    name,
    namespace: 'nvr',
    workload: { kind: 'Deployment', name },
    failureThreshold: 2,
    successThreshold: 2,
    autoRestart: true,
    restart: { maxPerHour: 3, backoff: [1 * MIN, 5 * MIN, 15 * MIN], circuitBreakAfter: 3, nodeRecoveryGrace: 60 * SEC, cooldown: 2 * MIN },
    ...overrides,
  };
}

export function node(name: string, overrides: Partial<NodeFacts> = {}): NodeFacts {
  return { name, ready: 'True', readySince: T0 - 10 * HOUR, unschedulable: false, ...overrides };
}

export function workload(targetName: string, nodes: string[], overrides: Partial<WorkloadFacts> = {}): WorkloadFacts {
  return {
    target: targetName,
    found: true,
    pods: nodes.map((n, i) => ({ name: `${targetName}-${i}`, node: n, phase: 'Running', ready: true })),
    relevantNodes: nodes,
    readyReplicas: nodes.length,
    desiredReplicas: nodes.length,
    rolloutInProgress: false,
    ...overrides,
  };
}

/** A running, healthy container named after its target. */
export function container(overrides: Partial<ContainerFacts> = {}): ContainerFacts {
  return { name: 'frigate', init: false, image: 'ghcr.io/blakeblackshear/frigate:0.14', memoryLimit: '1Gi', restartCount: 0, waiting: null, lastTerminated: null, ...overrides };
}

/** A pod on node-a that is not ready, with the given containers (and whatever else is overridden). */
export function failingPod(containers: ContainerFacts[], overrides: Partial<PodFacts> = {}): PodFacts {
  return { name: 'frigate-7d9f-abcde', node: 'node-a', phase: 'Running', ready: false, containers, ...overrides };
}

/** Frigate on node-a, not ready, its one pod as given: what the diagnosis and the gate read. */
export function failingWorkload(pod: PodFacts, overrides: Partial<WorkloadFacts> = {}): WorkloadFacts {
  return workload('frigate', ['node-a'], { pods: [pod], readyReplicas: 0, ...overrides });
}

export function snapshot(nodes: NodeFacts[], workloads: WorkloadFacts[], observedAt = T0): ClusterSnapshot {
  return {
    reachable: true,
    observedAt,
    nodes: Object.fromEntries(nodes.map((n) => [n.name, n])),
    workloads: Object.fromEntries(workloads.map((w) => [w.target, w])),
  };
}

export function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 7,
    subject: 'target:frigate',
    kind: 'target',
    state: 'open',
    cause: 'frigate is down: HTTP 503',
    targets: ['frigate'],
    openedAt: T0 - 10 * MIN,
    resolvedAt: null,
    reopenCount: 0,
    acknowledgedBy: null,
    acknowledgedAt: null,
    notifiedAt: T0 - 10 * MIN,
    escalatedAt: null,
    restartCount: 0,
    needsHuman: false,
    ...overrides,
  };
}

export function restart(overrides: Partial<RestartRecord> = {}): RestartRecord {
  return {
    id: 1,
    target: 'frigate',
    incidentId: 7,
    requestedBy: 'scheduler',
    automatic: true,
    requestedAt: T0 - 30 * MIN,
    status: 'succeeded',
    error: null,
    ...overrides,
  };
}

export function silence(overrides: Partial<Silence> = {}): Silence {
  return {
    id: 1,
    scope: { kind: 'target', name: 'frigate' },
    startsAt: T0 - MIN,
    endsAt: T0 + HOUR,
    createdBy: '42',
    reason: 'maintenance',
    liftedAt: null,
    ...overrides,
  };
}

/** The gate asked about frigate, healthy on a Ready node-a, with its open incident: everything passes. */
export function gateInput(overrides: Partial<GateInput> = {}): GateInput {
  return {
    targetName: 'frigate',
    mode: 'automatic',
    targets: [target('frigate')],
    snapshot: snapshot([node('node-a')], [workload('frigate', ['node-a'])]),
    restarts: [],
    incident: incident(),
    silences: [],
    now: T0,
    ...overrides,
  };
}

/** Node-a's maintenance: cordoned at T0 - 10m, frigate drained, the node NotReady since T0 - 5m (quiet, not back). */
export function maintenanceRecord(overrides: Partial<Maintenance> = {}): Maintenance {
  return {
    node: 'node-a',
    since: T0 - 10 * MIN,
    cordonedAt: T0 - 10 * MIN,
    signals: ['cordoned'],
    targets: ['frigate'],
    disruptedAt: T0 - 10 * MIN,
    downAt: T0 - 5 * MIN,
    notReadySince: T0 - 5 * MIN,
    backAt: null,
    rangAt: null,
    endedAt: null,
    ...overrides,
  };
}
