/**
 * Why a workload is down, read from what Kubernetes already says (SPEC §11), and whether a restart can
 * help. One small analyzer per kind of evidence (container states, the scheduler's condition, Warning
 * events, the Deployment's progress), each matching the API's reason constants; messages are text to
 * show, never parsed. The gate, the card and the plan all ask this module, so "which restarts cannot
 * help" has one owner.
 */
import { nodeBlock } from './nodes.js';
import { redactSecrets } from './redact.js';
import type { ClusterSnapshot, ContainerFacts, PodFacts, TemplateChange, WarningEvent, WorkloadFacts } from './types.js';

/** Stable identifiers of what can be wrong, most specific first (the order picks one when several hold). */
export const DIAGNOSIS_REASONS = ['imagePull', 'containerConfig', 'containerCreate', 'unschedulable', 'volume', 'oomKilled', 'rolloutStuck', 'crashLoop'] as const;

/** What is wrong with a workload, as a stable identifier. */
export type DiagnosisReason = (typeof DIAGNOSIS_REASONS)[number];

/**
 * Whether restarting can help: `cannotHelp` refuses every restart, `personOnly` refuses automatic ones
 * (the kubelet already restarts the container; a person may still decide to), `mayHelp` changes nothing.
 */
export type RestartVerdict = 'cannotHelp' | 'personOnly' | 'mayHelp';

/** Why a workload is down: the reason, where it was seen, the API's own words and what to do. */
export interface Diagnosis {
  reason: DiagnosisReason;
  /** The API's reason constant it was read from (`ImagePullBackOff`, `OOMKilled`, `FailedMount`…). */
  apiReason: string;
  /** The container it concerns (`init:` prefixed for an init container), or null for the pod or workload. */
  container: string | null;
  /** The API's message, as text to show: escaped and clipped by whoever renders it. */
  message: string;
  /** The reason in a few words, for titles: "frigate cannot pull its image". */
  summary: string;
  /** One sentence saying what to do instead. */
  hint: string;
  restart: RestartVerdict;
  /** A new revision that appeared shortly before, with what it changed; null when none is known. */
  change: TemplateChange | null;
}

/** How recent a template change must be to be named as "what changed before it broke". */
export const CHANGE_WINDOW_MS = 60 * 60_000;

/** How often an `OOMKilled` container must have restarted before automatic restarts are futile. */
export const REPEATED_OOM_RESTARTS = 2;

/** A container waiting reason a restart cannot cure, in words: the same image, Secret or container comes back. */
interface WaitingFinding {
  reason: DiagnosisReason;
  summary: (target: string) => string;
  hint: (image: string) => string;
}

const IMAGE_PULL: WaitingFinding = {
  reason: 'imagePull',
  summary: (target) => `${target} cannot pull its image`,
  hint: (image) => `image ${image} cannot be pulled — check the tag and the registry's credentials; a restart pulls the same image again`,
};
const CONTAINER_CONFIG: WaitingFinding = {
  reason: 'containerConfig',
  summary: (target) => `${target} is missing its configuration`,
  hint: () => 'a Secret or ConfigMap the pod needs is missing or lacks a key (the message names it) — create it; the kubelet then starts the container by itself',
};
const CONTAINER_CREATE: WaitingFinding = {
  reason: 'containerCreate',
  summary: (target) => `${target}'s container cannot be started`,
  hint: () => 'the container runtime refuses the container as specified — check its command, mounts and security context; a restart creates the same container',
};

/** The kubelet's waiting reasons (pkg/kubelet/images, sync_result.go) that no restart can cure. */
const WAITING_FINDINGS: ReadonlyMap<string, WaitingFinding> = new Map([
  ['ErrImagePull', IMAGE_PULL],
  ['ImagePullBackOff', IMAGE_PULL],
  ['InvalidImageName', IMAGE_PULL],
  ['ErrImageNeverPull', IMAGE_PULL],
  ['CreateContainerConfigError', CONTAINER_CONFIG],
  ['CreateContainerError', CONTAINER_CREATE],
  ['RunContainerError', CONTAINER_CREATE],
]);
const VOLUME_EVENTS = new Set(['FailedMount', 'FailedAttachVolume']);

/**
 * Reads why `workload` (the facts of target `target`) is not ready, or null when the API says nothing
 * beyond "not ready" (an app answering 503, a plain crash still counts as `crashLoop`). Only pods that
 * are not ready are read; a ready workload has no diagnosis.
 */
export function diagnose(target: string, workload: WorkloadFacts | undefined, now: number): Diagnosis | null {
  if (!workload || !workload.found) return null;
  const failing = workload.pods.filter((p) => !p.ready);
  if (failing.length === 0 && !workload.progressDeadlineExceeded) return null;
  const change = recentChange(workload.change ?? null, now);
  const findings = [...failing.flatMap((pod) => podFindings(target, pod)), ...eventFindings(target, workload.events ?? []), ...progressFindings(target, workload)];
  if (findings.length === 0) return null;
  const best = findings.reduce((a, b) => (DIAGNOSIS_REASONS.indexOf(b.reason) < DIAGNOSIS_REASONS.indexOf(a.reason) ? b : a));
  // The API's words leave the process on the card, in the thread and the audit log: secrets out first.
  return { ...best, message: redactSecrets(best.message), hint: withChange(best, change), change };
}

/** A diagnosis as one line for thread notes, logs and the node card's target list. */
export function diagnosisLine(d: Diagnosis): string {
  const where = d.container ? ` in container ${d.container}` : '';
  return `${d.apiReason}${where}: ${d.message || d.summary}`;
}

/** Whether two diagnoses are the same finding (a new message for the same reason is not a change). */
export function sameDiagnosis(a: Diagnosis | null, b: Diagnosis | null): boolean {
  if (a === null || b === null) return a === b;
  return a.reason === b.reason && a.container === b.container;
}

type Finding = Omit<Diagnosis, 'change'>;

function podFindings(target: string, pod: PodFacts): Finding[] {
  const findings: Finding[] = [];
  if (pod.unschedulable) findings.push(unschedulable(target, 'Unschedulable', pod.unschedulable));
  for (const c of pod.containers ?? []) {
    const finding = containerFinding(target, c);
    if (finding) findings.push(finding);
  }
  return findings;
}

function containerFinding(target: string, c: ContainerFacts): Finding | null {
  const container = c.init ? `init:${c.name}` : c.name;
  const waiting = c.waiting?.reason ?? null;
  const message = c.waiting?.message ?? '';
  const futile = waiting === null ? undefined : WAITING_FINDINGS.get(waiting);
  if (waiting !== null && futile) {
    return { reason: futile.reason, apiReason: waiting, container, message, summary: futile.summary(target), hint: futile.hint(c.image), restart: 'cannotHelp' };
  }
  const last = c.lastTerminated;
  if (last?.reason === 'OOMKilled' && c.restartCount >= REPEATED_OOM_RESTARTS) {
    const limit = c.memoryLimit ? `memory limit ${c.memoryLimit}` : 'no memory limit of its own';
    return {
      reason: 'oomKilled',
      apiReason: 'OOMKilled',
      container,
      message: `OOMKilled (exit code ${last.exitCode}), restarted ${c.restartCount} times`,
      summary: `${target} runs out of memory`,
      hint: `${limit}, OOMKilled again and again — raise resources.limits.memory; the kubelet already restarts it with the same limit`,
      restart: 'personOnly',
    };
  }
  if (waiting === 'CrashLoopBackOff') {
    const exit = last ? `exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : 'it keeps exiting';
    return {
      reason: 'crashLoop',
      apiReason: waiting,
      container,
      message: message || exit,
      summary: `${target} keeps crashing`,
      hint: `${exit}; its previous container's log says why`,
      restart: 'mayHelp',
    };
  }
  return null;
}

function eventFindings(target: string, events: WarningEvent[]): Finding[] {
  const findings: Finding[] = [];
  const volume = events.find((e) => VOLUME_EVENTS.has(e.reason));
  if (volume) {
    findings.push({
      reason: 'volume',
      apiReason: volume.reason,
      container: null,
      message: volume.message,
      summary: `${target} cannot ${volume.reason === 'FailedAttachVolume' ? 'attach' : 'mount'} its volume`,
      hint: 'the volume cannot be attached or mounted — check its claim and, for a Multi-Attach error, the node that still holds it; a restart waits for the same volume',
      restart: 'cannotHelp',
    });
  }
  const scheduling = events.find((e) => e.reason === 'FailedScheduling');
  if (scheduling) findings.push(unschedulable(target, 'FailedScheduling', scheduling.message));
  return findings;
}

/** The scheduler's verdict, from the pod's condition or its event: one sentence whichever says it. */
function unschedulable(target: string, apiReason: 'Unschedulable' | 'FailedScheduling', message: string): Finding {
  return {
    reason: 'unschedulable',
    apiReason,
    container: null,
    message,
    summary: `${target} cannot be scheduled`,
    hint: 'no node can take the pod as it is: free capacity or change its requests, tolerations or affinity; a restart only schedules the same pod again',
    restart: 'cannotHelp',
  };
}

function progressFindings(target: string, workload: WorkloadFacts): Finding[] {
  if (!workload.progressDeadlineExceeded) return [];
  return [
    {
      reason: 'rolloutStuck',
      apiReason: 'ProgressDeadlineExceeded',
      container: null,
      message: workload.progressDeadlineExceeded,
      summary: `${target}'s rollout is stuck`,
      hint: 'the new revision did not become available within its progress deadline — fix it or roll back (kubectl rollout undo); a restart starts the same revision again',
      restart: 'cannotHelp',
    },
  ];
}

function recentChange(change: TemplateChange | null, now: number): TemplateChange | null {
  if (change === null || now - change.at > CHANGE_WINDOW_MS) return null;
  return change.images.length > 0 || change.memoryLimits.length > 0 ? change : null;
}

/** The hint, with what a recent revision changed when it bears on the reason ("frigate:0.13 → 0.14, 12m ago"). */
function withChange(finding: Finding, change: TemplateChange | null): string {
  if (change === null) return finding.hint;
  const parts = [
    ...change.images.map((i) => `image ${i.from} → ${i.to}`),
    ...change.memoryLimits.map((m) => `limits.memory ${m.from ?? 'none'} → ${m.to ?? 'none'}`),
  ];
  return `${finding.hint}. A new revision came shortly before (${parts.join(', ')})`;
}

/** Diagnoses by target name, as an incident keeps them. */
export type Diagnoses = Record<string, Diagnosis>;

/**
 * The diagnoses an incident keeps after a cycle saw `seen`: a finding already kept stays as it was (its
 * first message — the kubelet alternates ErrImagePull and ImagePullBackOff, and one edit per change of
 * diagnosis is what people want), a new or different one replaces it, and one no longer seen goes.
 * Returns the targets whose diagnosis changed, sorted.
 */
export function settleDiagnoses(kept: Diagnoses, seen: Diagnoses): { diagnoses: Diagnoses; changed: string[] } {
  const diagnoses: Diagnoses = {};
  const changed: string[] = [];
  for (const [target, finding] of Object.entries(seen)) {
    const previous = kept[target] ?? null;
    diagnoses[target] = previous !== null && sameDiagnosis(previous, finding) ? previous : finding;
    if (diagnoses[target] !== previous) changed.push(target);
  }
  for (const target of Object.keys(kept)) if (!(target in seen)) changed.push(target);
  return { diagnoses, changed: changed.sort() };
}

/**
 * Why each of `targets` is down as this snapshot says (only those with a reason of their own: a target on
 * a node that is NotReady, Unknown, cordoned or gone is down for its node), or undefined when the snapshot
 * cannot say (the API did not answer, or one of them is unknown): then an incident keeps what it knew.
 */
export function diagnoseTargets(targets: string[], snapshot: ClusterSnapshot, now: number): Diagnoses | undefined {
  if (!snapshot.reachable || targets.some((t) => snapshot.unknownTargets?.[t] !== undefined)) return undefined;
  const diagnoses: Diagnoses = {};
  for (const target of targets) {
    const workload = snapshot.workloads[target];
    // A node that cannot run pods is the reason itself: its pods' Pending and taint messages say the same again.
    if (workload?.relevantNodes.some((node) => nodeBlock(node, snapshot.nodes[node]) !== null)) continue;
    const found = diagnose(target, workload, now);
    if (found) diagnoses[target] = found;
  }
  return diagnoses;
}
