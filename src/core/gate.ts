import type { TargetConfig } from '../config/types.js';
import { elapsedSince } from './clock.js';
import { diagnose, diagnosisLine, type Diagnosis, type DiagnosisReason } from './diagnosis.js';
import { formatDuration } from './duration.js';
import { plural } from './text.js';
import { nodeBlock } from './nodes.js';
import type { ClusterSnapshot, Incident, RestartRecord, Silence } from './types.js';
import { missingWorkloadSentence } from './setup.js';
import { activeSilenceFor } from './silence.js';
import { windowForTarget, windowRefusal, type MaintenanceWindow } from './windows.js';
import { maintenanceHold, type MaintenanceGateInput } from './maintenance.js';

/** Stable identifiers of every reason the gate can refuse a restart, in evaluation order. */
export const GATE_REASONS = [
  'unknownTarget',
  'clusterUnreachable',
  'workloadMissing',
  'nodeMaintenance',
  'nodeMissing',
  'nodeNotReady',
  'nodeUnknown',
  'nodeCordoned',
  'imagePull',
  'containerConfig',
  'containerCreate',
  'unschedulable',
  'volume',
  'rolloutStuck',
  'oomKilled',
  'restartInProgress',
  'cooldown',
  'autoRestartDisabled',
  'massFailure',
  'nodeRecovering',
  'silenced',
  'maintenanceWindow',
  'rateLimited',
  'backoff',
  'circuitOpen',
] as const;

/** Why the gate refused a restart. */
export type GateReason = (typeof GATE_REASONS)[number];

const WAITING_REASONS: ReadonlySet<string> = new Set<GateReason>(['restartInProgress', 'cooldown', 'backoff']);

/**
 * Whether a refusal only means "wait for the restart already made" — expected, short-lived, and not
 * worth a thread note or a line on the incident message.
 */
export function isWaitingReason(reason: string): boolean {
  return WAITING_REASONS.has(reason);
}

/** The gate's answer: allowed, or refused with a stable reason, a sentence for people and context. */
export type GateDecision =
  | { allowed: true; target: TargetConfig; warning?: string }
  | { allowed: false; reason: GateReason; message: string; context: Record<string, unknown> };

/** Who asks: the scheduler (all of SPEC §3) or a person (steps 1–4 only). */
export type GateMode = 'automatic' | 'manual';

/** Everything the gate looks at; the caller gathers it, the gate does no I/O. */
export interface GateInput {
  targetName: string;
  mode: GateMode;
  targets: TargetConfig[];
  snapshot: ClusterSnapshot;
  /** Restart attempts: at least those since {@link restartHistorySince} and all of the current incident. */
  restarts: RestartRecord[];
  /** The open incident that covers the target, if any (backoff counts within it; its circuit breaker is read). */
  incident: Incident | null;
  silences: Silence[];
  /** The maintenance windows in force: automatic restarts of what they cover hold (a person's pass). Absent: none. */
  windows?: MaintenanceWindow[];
  /**
   * The observer incident (the mass-failure brake), if any: while it is open automatic restarts hold.
   * Only automatic restarts read it — a person's restart passes this hold.
   */
  observer?: Incident | null;
  /** The nodes' maintenance records: a target a quiet maintenance explains waits for it (absent: none). */
  maintenance?: MaintenanceGateInput;
  now: number;
}

const HOUR = 3_600_000;

/**
 * How far back the gate looks at restarts besides those of the current incident: the hourly limit and
 * the longest cooldown. Every caller loads `restartsFor({ incidentIds, since: restartHistorySince(…) })`.
 */
export function restartHistorySince(targets: TargetConfig[], now: number): number {
  return now - Math.max(HOUR, ...targets.map((t) => t.restart.cooldown));
}

/**
 * The gate's first precondition on its own, for every entry point that takes a target name from a
 * person: the target must be configured, so no arbitrary name ever reaches the Kubernetes API.
 */
export function requireConfiguredTarget(
  name: string,
  targets: TargetConfig[],
): { ok: true; target: TargetConfig } | { ok: false; reason: 'unknownTarget'; message: string } {
  const target = targets.find((t) => t.name === name);
  return target ? { ok: true, target } : { ok: false, reason: 'unknownTarget', message: `“${name}” is not a configured target` };
}

/**
 * Decides whether `targetName` may be restarted now (SPEC §3), checking the preconditions in their
 * fixed order and returning the first that fails. The scheduler and `/restart` both call this.
 */
export function evaluateGate(input: GateInput): GateDecision {
  const { snapshot, now } = input;
  const configured = requireConfiguredTarget(input.targetName, input.targets);
  if (!configured.ok) return refuse(configured.reason, configured.message, { target: input.targetName });
  const target = configured.target;
  if (!snapshot.reachable) {
    return refuse('clusterUnreachable', `the Kubernetes API did not answer (${snapshot.error}), so nothing is restarted`, {
      error: snapshot.error,
    });
  }

  const unknown = snapshot.unknownTargets?.[target.name];
  if (unknown !== undefined) {
    return refuse('clusterUnreachable', `the Kubernetes API did not tell us about ${target.name} (${unknown}), so nothing is restarted`, {
      error: unknown,
    });
  }

  const workload = snapshot.workloads[target.name];
  // Nothing to restart: each PATCH would be answered 404. A configuration problem, not an outage.
  if (workload && !workload.found) {
    return refuse('workloadMissing', missingWorkloadSentence(target, input.targets.indexOf(target)), { target: target.name });
  }
  // Drained pods come back by themselves: the planned maintenance that explains the target decides first.
  const hold = maintenanceHold(target.name, input.maintenance, input.mode, now);
  if (hold) return refuse('nodeMaintenance', hold.message, { node: hold.node });
  const relevantNodes = workload?.relevantNodes ?? [];
  for (const nodeName of relevantNodes) {
    const block = nodeBlock(nodeName, snapshot.nodes[nodeName]);
    if (block) return refuse(block.reason, block.message, { node: nodeName });
  }

  // What Kubernetes says is wrong decides before the rollout state: a stuck rollout is "in progress" for ever.
  const diagnosis = diagnose(target.name, workload, now);
  const futile = diagnosis ? FUTILE_REFUSALS[diagnosis.reason] : null;
  if (diagnosis && futile && diagnosis.restart === 'cannotHelp') return refuseFutile(target, diagnosis, futile);

  if (workload?.rolloutInProgress) {
    return refuse('restartInProgress', `a rollout of ${target.name} is still in progress`, { target: target.name });
  }
  const inFlight = input.restarts.find((r) => r.target === target.name && r.status === 'pending');
  if (inFlight) {
    return refuse('restartInProgress', `a restart of ${target.name} is already being carried out`, { attemptId: inFlight.id });
  }
  const last = latest(input.restarts.filter((r) => r.target === target.name));
  const sinceLast = last ? elapsedSince(last.requestedAt, now) : Infinity;
  if (last && sinceLast < target.restart.cooldown) {
    const wait = target.restart.cooldown - sinceLast;
    return refuse(
      'cooldown',
      `${target.name} was restarted ${ago(sinceLast)} ago; the next restart is possible in ${formatDuration(roundUp(wait))}`,
      { lastRestartAt: last.requestedAt, retryInMs: wait },
    );
  }

  if (diagnosis && futile && diagnosis.restart === 'personOnly') {
    if (input.mode === 'automatic') return refuseFutile(target, diagnosis, futile);
    return { allowed: true, target, warning: `${futileSentence(target, diagnosis)}; restarting anyway, as you asked` };
  }
  if (input.mode === 'manual') return { allowed: true, target };
  return automaticChecks(input, target, relevantNodes);
}

/** The gate's reason for each diagnosis that can refuse a restart; a crash loop never does (a restart may help). */
const FUTILE_REFUSALS: Record<DiagnosisReason, GateReason | null> = {
  imagePull: 'imagePull',
  containerConfig: 'containerConfig',
  containerCreate: 'containerCreate',
  unschedulable: 'unschedulable',
  volume: 'volume',
  oomKilled: 'oomKilled',
  rolloutStuck: 'rolloutStuck',
  crashLoop: null,
};

/** The refusal of a restart that cannot help, with the reason Kubernetes gave and what to do instead. */
function refuseFutile(target: TargetConfig, diagnosis: Diagnosis, reason: GateReason): GateDecision {
  return refuse(reason, `${futileSentence(target, diagnosis)} — ${diagnosis.hint}`, {
    target: target.name,
    apiReason: diagnosis.apiReason,
    container: diagnosis.container,
  });
}

function futileSentence(target: TargetConfig, diagnosis: Diagnosis): string {
  const verdict = diagnosis.restart === 'cannotHelp' ? 'a restart cannot help' : 'an automatic restart cannot help';
  return `${verdict}: ${target.name} — ${diagnosisLine(diagnosis)}`;
}

function automaticChecks(input: GateInput, target: TargetConfig, relevantNodes: string[]): GateDecision {
  const { snapshot, now } = input;
  if (!target.autoRestart) {
    return refuse('autoRestartDisabled', `automatic restarts are turned off for ${target.name}`, {});
  }
  if (input.observer && input.observer.state !== 'resolved') {
    return refuse(
      'massFailure',
      "automatic restarts hold while stormguard's own view looks broken (many targets stopped answering at once while Kubernetes reports them Ready); a person may still restart",
      { observerIncidentId: input.observer.id },
    );
  }
  if (snapshot.reachable) {
    for (const nodeName of relevantNodes) {
      const readySince = snapshot.nodes[nodeName]?.readySince ?? null;
      const ready = readySince === null ? Infinity : elapsedSince(readySince, now);
      if (ready < target.restart.nodeRecoveryGrace) {
        const wait = target.restart.nodeRecoveryGrace - ready;
        return refuse(
          'nodeRecovering',
          `node ${nodeName} has been Ready for only ${ago(ready)}; waiting ${formatDuration(roundUp(wait))} more for its pods to come back by themselves`,
          { node: nodeName, readySince, retryInMs: wait },
        );
      }
    }
  }
  const silence = activeSilenceFor({ target: target.name, incident: input.incident }, input.silences, now);
  if (silence) {
    return refuse('silenced', `${target.name} is silenced until ${new Date(silence.endsAt).toISOString()}`, {
      silenceId: silence.id,
      until: silence.endsAt,
    });
  }
  const window = windowForTarget(target.name, input.windows ?? [], { [target.name]: relevantNodes }, now);
  if (window) return refuse('maintenanceWindow', windowRefusal(target.name, window, now), { windowId: window.id, until: window.endsAt });
  const ownRestarts = input.restarts.filter((r) => r.target === target.name);
  const lastHour = ownRestarts.filter((r) => elapsedSince(r.requestedAt, now) < HOUR);
  if (lastHour.length >= target.restart.maxPerHour) {
    return refuse(
      'rateLimited',
      `${target.name} was restarted ${lastHour.length} times in the last hour (limit ${target.restart.maxPerHour})`,
      { count: lastHour.length, limit: target.restart.maxPerHour },
    );
  }
  const inIncident = input.incident
    ? ownRestarts.filter((r) => r.automatic && r.incidentId === input.incident!.id)
    : [];
  const lastAutomatic = latest(inIncident);
  if (lastAutomatic) {
    const backoff = target.restart.backoff;
    const wait = backoff[Math.min(inIncident.length - 1, backoff.length - 1)] ?? 0;
    const since = elapsedSince(lastAutomatic.requestedAt, now);
    if (since < wait) {
      const remaining = wait - since;
      return refuse('backoff', `the next automatic restart of ${target.name} is due in ${formatDuration(roundUp(remaining))}`, {
        attempts: inIncident.length,
        retryInMs: remaining,
      });
    }
  }
  // One breaker, one sentence. Once tripped its state is the incident's (it stays open however old the
  // restarts are, and counts the incident's automatic restarts); until then the restarts of this incident trip it.
  const tripped = input.incident?.needsHuman === true;
  if (tripped || inIncident.length >= target.restart.circuitBreakAfter) {
    const attempts = tripped ? input.incident!.restartCount : inIncident.length;
    return refuse('circuitOpen', `${plural(attempts, 'automatic restart')} did not bring ${target.name} back; automatic restarts stopped, a person needs to look`, { attempts });
  }
  return { allowed: true, target };
}

function refuse(reason: GateReason, message: string, context: Record<string, unknown>): GateDecision {
  return { allowed: false, reason, message, context };
}

function latest(records: RestartRecord[]): RestartRecord | undefined {
  return records.reduce<RestartRecord | undefined>((a, r) => (a === undefined || r.requestedAt > a.requestedAt ? r : a), undefined);
}

/** Rounds up to whole seconds so a message never says "0s" while time remains. */
function roundUp(ms: number): number {
  return Math.max(1000, Math.ceil(ms / 1000) * 1000);
}

function ago(ms: number): string {
  return formatDuration(Math.max(1000, Math.floor(ms / 1000) * 1000));
}
