/**
 * The mass-failure brake (SPEC §9), modelled on kube-controller-manager's `--unhealthy-zone-threshold`:
 * when many targets stop answering stormguard's own probes at once while Kubernetes reports their pods
 * and nodes Ready, the likely fault is stormguard's view (its pod network, DNS, its node), not many
 * services at once. Level-triggered: every cycle re-judges from the observations and the snapshot.
 */
import type { TargetConfig } from '../config/types.js';
import { nodeOutage } from './nodes.js';
import { readinessObservation } from './readiness.js';
import type { ClusterSnapshot, Incident, Observation, TargetState } from './types.js';

/** The fewest failing targets that can engage or keep the brake: two failures at once are just two outages. */
export const BRAKE_MIN_TARGETS = 3;

/** Whether `failing` of `probed` targets is enough for the brake: at least half of them, and at least {@link BRAKE_MIN_TARGETS}. */
export function isMassFailure(failing: number, probed: number): boolean {
  return failing >= BRAKE_MIN_TARGETS && 2 * failing >= probed;
}

/** What the brake decides from one cycle. */
export interface BrakeInput {
  targets: TargetConfig[];
  observations: Observation[];
  snapshot: Extract<ClusterSnapshot, { reachable: true }>;
  /** Target states before this cycle's observations. */
  before: Record<string, TargetState>;
  /** Target states after them. */
  after: Map<string, TargetState>;
  /** The open observer incident: the brake holds already. */
  holding: Incident | null;
}

/**
 * The brake's verdict: it holds (with the down targets it keeps out of incidents of their own, and the
 * cause to open with when it engages now) or not (with the sentence that resolves a brake that held).
 */
export type BrakeVerdict = { holds: true; held: string[]; cause: string | null } | { holds: false; cause: string | null };

/** Whether Kubernetes reports the target's pods Ready on Ready nodes — so a probe failing against it is suspect. */
export function kubernetesReportsReady(target: TargetConfig, snapshot: Extract<ClusterSnapshot, { reachable: true }>): boolean {
  const facts = snapshot.workloads[target.name];
  if (readinessObservation(target, facts).result !== 'ok') return false;
  return (facts?.relevantNodes ?? []).every((n) => nodeOutage(n, snapshot.nodes[n]) === null);
}

/**
 * Judges the brake for one cycle. The probed targets are those with an HTTP or TCP probe observed this
 * cycle (a readiness-only target fails only when Kubernetes says so, so it is never suspect; an unknown
 * one says nothing). It engages when, among them, the targets failing while Kubernetes reports them Ready
 * that were up before this cycle — their failures began within one failureThreshold window, so none was
 * confirmed before the others — are a mass failure, and at least one of them is confirmed down now (a
 * shorter blip rings nothing, as for any target). It holds while the targets failing, or listed by it and
 * not yet confirmed back, are a mass failure, and releases when they are not. A target Kubernetes reports
 * not Ready leaves it (that outage is real). A cycle that probed nothing (a reaction) keeps it as it is.
 */
export function judgeBrake(input: BrakeInput): BrakeVerdict {
  const { snapshot } = input;
  const observed = new Map(input.observations.map((o) => [o.target, o]));
  const probed = input.targets.filter((t) => t.probe !== undefined && (observed.get(t.name)?.result ?? 'unknown') !== 'unknown');
  const failingReady = (t: TargetConfig) => observed.get(t.name)?.result === 'fail' && kubernetesReportsReady(t, snapshot);
  const isDown = (t: TargetConfig) => input.after.get(t.name)?.health === 'down';

  if (input.holding === null) {
    const fresh = probed.filter((t) => failingReady(t) && (input.before[t.name]?.health ?? 'up') === 'up');
    if (!fresh.some(isDown) || !isMassFailure(fresh.length, probed.length)) return { holds: false, cause: null };
    return {
      holds: true,
      held: fresh.filter(isDown).map((t) => t.name),
      cause: `${fresh.length} of ${probed.length} targets stopped answering at once while Kubernetes reports them Ready — is stormguard's network broken?`,
    };
  }

  const listed = new Set(input.holding.targets);
  // Without data (a cache out of sync) a listed target stays where it is: nothing opens on missing data.
  const reportedNotReady = (t: TargetConfig) => snapshot.workloads[t.name] !== undefined && !kubernetesReportsReady(t, snapshot);
  const stillOut = (t: TargetConfig) => !reportedNotReady(t) && (failingReady(t) || (listed.has(t.name) && isDown(t)));
  const held = input.targets.filter((t) => isDown(t) && stillOut(t)).map((t) => t.name);
  if (probed.length === 0) return { holds: true, held, cause: null };
  const out = probed.filter(stillOut).length;
  if (isMassFailure(out, probed.length)) return { holds: true, held, cause: null };
  return {
    holds: false,
    cause: `stormguard's view looks sound again: ${out} of ${probed.length} probed targets fail while Kubernetes reports them Ready; any still down get their own incidents`,
  };
}
