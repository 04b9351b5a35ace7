/**
 * Probes: one observation per target per cycle, from an HTTP or TCP check or, by default, from the
 * workload's readiness in the snapshot. Without cluster data every observation is `unknown`: we do
 * not probe (or resolve names) when we cannot tell a node outage from a service failure.
 */
import type { TargetConfig } from '../../config/types.js';
import type { ClusterSnapshot, Observation } from '../../core/types.js';
import { probeHttp } from './http.js';
import { readinessObservation } from '../../core/readiness.js';
import { probeTcp } from './tcp.js';

/** Observes one target against this cycle's snapshot; never throws. */
export async function probeTarget(target: TargetConfig, snapshot: ClusterSnapshot): Promise<Observation> {
  if (!snapshot.reachable) return { target: target.name, result: 'unknown', detail: 'Kubernetes API unreachable' };
  // As with the whole API unreachable: without the target's cluster data a probe cannot be interpreted.
  const unknown = snapshot.unknownTargets?.[target.name];
  if (unknown !== undefined) return { target: target.name, result: 'unknown', detail: unknown };
  const probe = target.probe;
  if (probe && 'http' in probe) return probeHttp(target.name, probe.http);
  if (probe && 'tcp' in probe) return probeTcp(target.name, probe.tcp);
  return readinessObservation(target, snapshot.workloads[target.name]);
}

/** Probes every target with at most `concurrency` probes in flight; results are in target order. */
export async function probeAll(
  targets: TargetConfig[],
  snapshot: ClusterSnapshot,
  options: { concurrency?: number } = {},
): Promise<Observation[]> {
  const limit = Math.max(1, Math.floor(options.concurrency ?? 16));
  const results: Observation[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      results[i] = await probeTarget(targets[i]!, snapshot);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, targets.length) }, worker));
  return results;
}
