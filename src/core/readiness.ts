/** The default probe — the workload's pod readiness as the snapshot saw it — and the mass-failure brake's "Kubernetes reports it Ready". */
import type { TargetConfig } from '../config/types.js';
import type { Observation, WorkloadFacts } from './types.js';

/** `ok` iff the workload exists, wants pods, and has at least that many ready (Pods: ≥1, all ready). */
export function readinessObservation(target: TargetConfig, facts: WorkloadFacts | undefined): Observation {
  const ref = target.workload;
  if (!facts) return { target: target.name, result: 'unknown', detail: 'no data for this target' };
  if (ref.kind === 'Pods') {
    const total = facts.pods.length;
    if (total === 0) return { target: target.name, result: 'fail', detail: `no pods match ${ref.selector}` };
    const ready = facts.pods.filter((p) => p.ready).length;
    return { target: target.name, result: ready === total ? 'ok' : 'fail', detail: `${ready}/${total} pods ready` };
  }
  if (!facts.found) return { target: target.name, result: 'fail', detail: `${ref.kind} ${target.namespace}/${ref.name} not found` };
  if (facts.desiredReplicas <= 0) return { target: target.name, result: 'fail', detail: `${ref.kind} ${target.namespace}/${ref.name} has 0 desired pods` };
  const ok = facts.readyReplicas >= facts.desiredReplicas;
  return { target: target.name, result: ok ? 'ok' : 'fail', detail: `${facts.readyReplicas}/${facts.desiredReplicas} pods ready` };
}
