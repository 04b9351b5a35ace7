/**
 * stormguard's own setup problems (SPEC §9, issue 10 items 5 and 7), each one `setup` incident per
 * cause: a list the cluster refuses (RBAC's 403) or does not serve (404), and a target whose
 * Deployment/StatefulSet/DaemonSet does not exist. The one owner of which failures are setup
 * problems, of the sentences people read about them (the doctor prints the same fixes), and of when
 * each incident opens and resolves.
 */
import type { TargetConfig } from '../config/types.js';
import { parseSubject, setupSubject } from './subject.js';
import type { ClusterSnapshot, SnapshotSource, TargetState } from './types.js';

/** What a person does when the nodes are refused: the ClusterRole that deploy/ ships. */
export const NODES_ACCESS_FIX = 'apply deploy/rbac-nodes.yaml (a ClusterRole and ClusterRoleBinding for the ServiceAccount)';

/** How a person grants the cluster-wide list/watch of pods and workloads that `watchScope` cluster needs. */
export const CLUSTER_WATCH_GRANT = 'apply deploy/rbac-watch-cluster.yaml (or set the chart value rbac.watchClusterWide: true)';

/** What a person does when the cluster-wide pod and workload reads (`watchScope` cluster) are refused. */
export const CLUSTER_WATCH_ACCESS_FIX = `${CLUSTER_WATCH_GRANT}, or set kubernetes.watchScope: namespaces to read each namespace with its own Role`;

/** What a person does when a namespace is refused: a Role there, as deploy/ ships one per watched namespace. */
export function namespaceAccessFix(namespace: string): string {
  return `grant it with a Role and RoleBinding in ${namespace} (copy deploy/rbac-watch-nvr.yaml and change the namespace)`;
}

/**
 * Whether a list or watch that failed with this HTTP status is a setup problem a person must fix —
 * RBAC refusing it (403) or the API not serving it (404) — rather than an API that does not answer
 * (no status, 5xx, 429) or a cache still catching up, which fix themselves and open no setup incident.
 */
export function isSetupRefusal(status: number | null): boolean {
  return status === 403 || status === 404;
}

/** One setup problem seen in this cycle: its incident's subject, the sentence people read, the targets it blinds. */
export interface SetupProblem {
  subject: string;
  cause: string;
  targets: string[];
}

/**
 * Whether the snapshot knows the nodes. False when the API answered but refused them (RBAC): every
 * target is then unknown, and node incidents must neither open, change nor resolve on that.
 */
export function nodesKnown(snapshot: ClusterSnapshot): boolean {
  return snapshot.reachable && !(snapshot.sources ?? []).some((s) => s.kind === 'Node' && !s.inSync);
}

/** Whether the snapshot knows that a target's workload does not exist (known absence, not missing data). */
export function isWorkloadMissing(snapshot: ClusterSnapshot, target: string): boolean {
  return snapshot.reachable && snapshot.workloads[target]?.found === false;
}

/**
 * Why stormguard cannot judge a target now, or null when it can: the sentence of its unknown data (a
 * cache it reads is out of sync) or of its missing workload. People are shown this instead of the
 * target's last health, which would claim more than stormguard knows.
 */
export function unseenTarget(snapshot: ClusterSnapshot, targets: readonly TargetConfig[], name: string): string | null {
  if (!snapshot.reachable) return null;
  const unknown = snapshot.unknownTargets?.[name];
  if (unknown !== undefined) return unknown;
  const index = targets.findIndex((t) => t.name === name);
  return index >= 0 && isWorkloadMissing(snapshot, name) ? missingWorkloadSentence(targets[index]!, index) : null;
}

/**
 * Counts the observations in a row in which a target's workload is missing: it moves only when the
 * target was `observed` this cycle, like the target's other hysteresis counters; it is 0 once the
 * workload is seen, and stays as it is while the target's data is unknown.
 */
export function countMissing(state: TargetState, snapshot: ClusterSnapshot, observed: boolean): TargetState {
  const facts = snapshot.reachable ? snapshot.workloads[state.target] : undefined;
  if (!facts) return state;
  if (facts.found) return state.consecutiveMissing === 0 ? state : { ...state, consecutiveMissing: 0 };
  return observed ? { ...state, consecutiveMissing: state.consecutiveMissing + 1 } : state;
}

/**
 * The sentence for a target whose workload does not exist, naming where in the configuration to look:
 * `Deployment nvr/ghost not found — check targets[3].workload` (`index`: the target's place in `targets`).
 */
export function missingWorkloadSentence(target: TargetConfig, index: number): string {
  return `${workloadName(target)} not found — check targets[${index}].workload`;
}

/**
 * Every setup problem of this cycle, sorted by subject: one per refusal and scope (the nodes, every
 * namespace, or one namespace), and one per target whose workload has been missing for `failureThreshold` observations.
 */
export function setupProblems(snapshot: ClusterSnapshot, targets: readonly TargetConfig[], states: ReadonlyMap<string, TargetState>): SetupProblem[] {
  if (!snapshot.reachable) return [];
  const refused = new Map<string, SnapshotSource[]>();
  for (const source of snapshot.sources ?? []) {
    const refusal = refusalOf(source);
    if (refusal === null) continue;
    const problem = `${refusal}/${scopeOf(source)}`;
    refused.set(problem, [...(refused.get(problem) ?? []), source]);
  }
  const problems: SetupProblem[] = [...refused].map(([problem, sources]) => ({
    subject: setupSubject(problem),
    cause: refusalSentence(refusalOf(sources[0]!)!, sources),
    targets: [...new Set(sources.flatMap((s) => s.targets))].sort(),
  }));
  targets.forEach((target, index) => {
    if (!isWorkloadMissing(snapshot, target.name) || (states.get(target.name)?.consecutiveMissing ?? 0) < target.failureThreshold) return;
    problems.push({ subject: setupSubject(`missing/${target.name}`), cause: missingWorkloadSentence(target, index), targets: [target.name] });
  });
  return problems.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
}

/**
 * Why an open setup incident that is no longer among this cycle's problems resolves, or null to keep
 * it open: a refusal resolves once every source of its scope is back in sync (not merely failing
 * otherwise, which says nothing about the fix) or nothing reads that scope any more; a missing
 * workload once it exists or its target left the configuration. Unknown data resolves nothing.
 */
export function setupResolution(subject: string, snapshot: ClusterSnapshot, targets: readonly TargetConfig[]): string | null {
  const parsed = parseSubject(subject);
  if (parsed?.kind !== 'setup' || !snapshot.reachable) return null;
  const [problem, ...rest] = parsed.name.split('/');
  const name = rest.join('/');
  if (problem === 'missing') {
    const target = targets.find((t) => t.name === name);
    if (!target) return `${name} is no longer in the configuration`;
    return snapshot.workloads[name]?.found === true ? `${workloadName(target)} exists` : null;
  }
  if (problem !== 'forbidden' && problem !== 'notfound') return null;
  const sources = (snapshot.sources ?? []).filter((s) => scopeOf(s) === name);
  const where = name === 'nodes' ? 'the nodes' : name === 'cluster' ? 'all namespaces' : `namespace ${name.replace(/^namespace\//, '')}`;
  if (sources.length === 0) return snapshot.sources === undefined ? null : `no target reads ${where} any more`;
  return sources.every((s) => s.inSync) ? `stormguard reads ${where} again` : null;
}

type Refusal = 'forbidden' | 'notfound';

function refusalOf(source: SnapshotSource): Refusal | null {
  const status = source.error?.status ?? null;
  if (source.inSync || !isSetupRefusal(status)) return null;
  return status === 403 ? 'forbidden' : 'notfound';
}

/** Where a source lives, as a problem names it: `nodes`, `cluster` (pods or workloads in every namespace), or `namespace/<name>`. */
function scopeOf(source: SnapshotSource): string {
  if (source.kind === 'Node') return 'nodes';
  return source.namespace === null ? 'cluster' : `namespace/${source.namespace}`;
}

/** `stormguard may not list/watch pods and deployments in namespace media — grant it with …`. */
function refusalSentence(refusal: Refusal, sources: readonly SnapshotSource[]): string {
  const resources = listInWords([...new Set(sources.map((s) => `${s.kind.toLowerCase()}s`))].sort());
  const nodes = sources[0]!.kind === 'Node';
  const namespace = sources[0]!.namespace;
  const where = namespace === null ? 'all namespaces' : `namespace ${namespace}`;
  if (refusal === 'forbidden') {
    if (nodes) return `stormguard may not list/watch nodes, so no target is checked — ${NODES_ACCESS_FIX}`;
    return `stormguard may not list/watch ${resources} in ${where} — ${namespace === null ? CLUSTER_WATCH_ACCESS_FIX : namespaceAccessFix(namespace)}`;
  }
  const what = nodes ? 'nodes' : `${resources} in ${where}`;
  const checked = nodes ? 'no target is checked' : 'its targets are not checked';
  return `the Kubernetes API does not serve ${what} (HTTP 404), so ${checked} — check kubernetes.kubeconfig's server URL (a proxy in front of the API?)`;
}

/** `Deployment nvr/ghost` (a Pods target names its selector; it is never missing). */
function workloadName(target: TargetConfig): string {
  const ref = target.workload;
  return ref.kind === 'Pods' ? `pods ${target.namespace}/${ref.selector}` : `${ref.kind} ${target.namespace}/${ref.name}`;
}

/** `pods`, `pods and deployments`, `pods, deployments and statefulsets`. */
function listInWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
