/**
 * Why pods fail, as the kubelet and the scheduler report it: container states (`waiting`,
 * `running`, `terminated`), `lastState`, `restartCount`, the pod's phase and conditions.
 *
 * Test-facing API (on the simulator, see index.ts):
 * - `sim.failPods(namespace, which, failure)` — `which` is a workload (`{ kind, name }`) or a label
 *   selector; the failure applies to the matching pods now AND to every pod created later (a
 *   restart, a rollout, a pod DELETE) until `sim.clearPodFailure(namespace, which)`: a failure of the
 *   template (a bad image, a missing Secret) is exactly what a restart cannot fix. Failures:
 *   - `{ kind: 'imagePull', reason?, message? }`: without `reason` the container alternates like the
 *     kubelet's: `ErrImagePull` for 1 s after each pull attempt, `ImagePullBackOff` in between
 *     (attempts back off 10 s, doubling, capped at 5 min). Phase `Pending`.
 *   - `{ kind: 'createConfig', message }`: `CreateContainerConfigError` (e.g. `secret "x" not found`).
 *   - `{ kind: 'createContainer' | 'runContainer', message }`: `CreateContainerError` / `RunContainerError`.
 *   - `{ kind: 'crashLoop', exitCode, reason?: 'Error' | 'OOMKilled', runsForMs? }`: the container
 *     runs `runsForMs` (default 1 s), exits, is restarted at once the first time and then after the
 *     kubelet's back-off (10 s doubling, capped at 5 min); `restartCount` grows with the sim clock,
 *     `lastState.terminated` holds the last exit. Phase `Running`.
 *   - `{ kind: 'unschedulable', message? }`: the scheduler cannot place the pod: `Pending`, no
 *     `nodeName`, `PodScheduled=False` reason `Unschedulable`. Pods already bound are replaced by
 *     unbound ones (a bound pod never loses its node; a recreated one cannot find one).
 *   - `{ kind: 'mount', message?, attach? }`: containers wait in `ContainerCreating`; `FailedMount`
 *     events (with `attach`, also `FailedAttachVolume` "Multi-Attach error …" from the
 *     attach/detach controller).
 *   - `{ kind: 'readiness', message? }`: running, never Ready; `Unhealthy` "Readiness probe failed".
 *   `container` names the failing container (default: the first); `init: true` makes it an init
 *   container (the pod stays `Pending`, `Initialized=False`, its app containers `PodInitializing`).
 * Every pod a failure applies to is not Ready.
 *
 * Everything here is computed from the injected clock at render time (no timers); `podStatusKey`
 * lets the model bump a pod's resourceVersion when time alone changes its status, so watches see it.
 */
import { simSelectorMatches, type SimRequirement } from './labels.js';
import type { ClusterModel, SimContainer, SimPod } from './model.js';

type Json = Record<string, unknown>;

/** A way a pod's container (or the pod itself) fails. */
export type SimFailure = (
  | { kind: 'imagePull'; reason?: 'ErrImagePull' | 'ImagePullBackOff' | 'InvalidImageName' | 'ErrImageNeverPull'; message?: string }
  | { kind: 'createConfig'; message: string }
  | { kind: 'createContainer'; message: string }
  | { kind: 'runContainer'; message: string }
  | { kind: 'crashLoop'; exitCode: number; reason?: 'Error' | 'OOMKilled'; runsForMs?: number }
  | { kind: 'unschedulable'; message?: string }
  | { kind: 'mount'; message?: string; attach?: boolean; attachMessage?: string }
  | { kind: 'readiness'; message?: string }
) & { container?: string; init?: boolean };

/** One failure a test set: the pods it covers (by owner or selector) and since when. */
export interface SimFailureRule {
  namespace: string;
  /** `kind/namespace/name` of a workload, or null for a selector rule. */
  owner: string | null;
  selector: SimRequirement[] | null;
  failure: SimFailure;
  since: number;
}

/** The kubelet's first container and image-pull back-off: 10 s, doubling after each failure. */
export const BACKOFF_INITIAL_MS = 10_000;
/** The kubelet's back-off cap (`MaxContainerBackOff`): 5 min. */
export const BACKOFF_MAX_MS = 300_000;

/** Whether `rule` covers `pod`. */
export function ruleCovers(rule: SimFailureRule, pod: SimPod): boolean {
  if (rule.namespace !== pod.namespace) return false;
  if (rule.owner !== null) return pod.owner === rule.owner;
  return rule.selector !== null && simSelectorMatches(pod.labels, rule.selector);
}

/** Per pod: the answer of `failureOf` for one version of the rule list (renders ask it many times). */
const failureCache = new WeakMap<SimPod, { version: number; createdAt: number; answer: { failure: SimFailure; since: number } | null }>();

/** The failure that applies to `pod` (the newest rule covering it), with the time it began for this pod. */
export function failureOf(m: ClusterModel, pod: SimPod): { failure: SimFailure; since: number } | null {
  if (m.failures.length === 0) return null;
  const cached = failureCache.get(pod);
  if (cached && cached.version === m.failuresVersion && cached.createdAt === pod.createdAt) return cached.answer;
  let answer: { failure: SimFailure; since: number } | null = null;
  for (let i = m.failures.length - 1; i >= 0; i--) {
    const rule = m.failures[i]!;
    if (ruleCovers(rule, pod)) {
      answer = { failure: rule.failure, since: Math.max(rule.since, pod.createdAt) };
      break;
    }
  }
  failureCache.set(pod, { version: m.failuresVersion, createdAt: pod.createdAt, answer });
  return answer;
}

/** The default container of a pod whose spec the test did not give. */
export const DEFAULT_CONTAINER: SimContainer = { name: 'main', image: 'registry.example/stormguard-sim:latest' };

/** A pod's app containers. */
export function containersOf(pod: SimPod): SimContainer[] {
  return pod.containers && pod.containers.length > 0 ? pod.containers : [DEFAULT_CONTAINER];
}

/** A pod's init containers. */
export function initContainersOf(pod: SimPod): SimContainer[] {
  return pod.initContainers ?? [];
}

/** The container a failure hits: the named one, else the first of its list. */
export function failingContainer(pod: SimPod, failure: SimFailure): { container: SimContainer; init: boolean } | null {
  const list = failure.init ? initContainersOf(pod) : containersOf(pod);
  const container = failure.container === undefined ? list[0] : list.find((c) => c.name === failure.container);
  return container ? { container, init: failure.init === true } : null;
}

/** Times of attempts under the kubelet's back-off: first at `since`, then after 10 s, 20 s, … 5 min. */
export function attempts(since: number, now: number, firstDelayMs = BACKOFF_INITIAL_MS): number[] {
  const out: number[] = [];
  let t = since;
  let delay = firstDelayMs;
  while (t <= now && out.length < 100_000) {
    out.push(t);
    t += delay;
    delay = Math.min(delay * 2, BACKOFF_MAX_MS);
  }
  return out;
}

/** One run of a crash-looping container. */
export interface CrashRun {
  startedAt: number;
  finishedAt: number;
}

/**
 * The runs of a crash-looping container up to `now`: the first starts at `since`, runs `runsForMs`
 * and exits; the kubelet restarts it at once the first time, then after 10 s, 20 s, … capped at 5 min.
 * `backoffMs` is the delay before the next restart (what the CrashLoopBackOff message names).
 */
export function crashRuns(since: number, now: number, runsForMs: number): { runs: CrashRun[]; backoffMs: number } {
  const runs: CrashRun[] = [];
  let start = since;
  let delay = 0;
  while (start <= now && runs.length < 100_000) {
    runs.push({ startedAt: start, finishedAt: start + runsForMs });
    // No back-off entry exists at the first exit: the kubelet restarts at once, then backs off.
    delay = runs.length === 1 ? 0 : Math.min(BACKOFF_INITIAL_MS * 2 ** (runs.length - 2), BACKOFF_MAX_MS);
    start += runsForMs + delay;
  }
  return { runs, backoffMs: delay === 0 ? BACKOFF_INITIAL_MS : delay };
}

/** A Go `time.Duration` string as the kubelet prints it (`10s`, `1m20s`, `5m0s`). */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}

/** RFC 3339 seconds, as the API serialises `metav1.Time`. */
export function time(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const hexCache = new Map<string, string>();

/** A deterministic hex string (container ids, image digests, event name suffixes); memoised, as renders repeat it. */
export function hex(seed: string, length: number): string {
  const key = `${length}/${seed}`;
  const known = hexCache.get(key);
  if (known !== undefined) return known;
  // Bounded: a long run with pod churn must not grow it forever.
  if (hexCache.size > 50_000) hexCache.clear();
  const out = computeHex(seed, length);
  hexCache.set(key, out);
  return out;
}

function computeHex(seed: string, length: number): string {
  let out = '';
  let h = 2166136261;
  for (let round = 0; out.length < length; round++) {
    for (const ch of `${seed}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}

/** The fully qualified reference containerd reports for an image (`docker.io/library/nginx:1.27`). */
export function qualifiedImage(image: string): string {
  const withTag = /:[^/]+$/.test(image) || image.includes('@') ? image : `${image}:latest`;
  const first = withTag.split('/')[0]!;
  if (withTag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return withTag;
  return withTag.includes('/') ? `docker.io/${withTag}` : `docker.io/library/${withTag}`;
}

function containerId(pod: SimPod, name: string, run: number): string {
  return `containerd://${hex(`${pod.uid}/${name}/${run}`, 64)}`;
}

function imageId(image: string): string {
  const ref = qualifiedImage(image).replace(/:[^/:]+$/, '');
  return `${ref}@sha256:${hex(image, 64)}`;
}

/** The waiting reason and message of an image pull failure at `now`. */
function imagePullWaiting(f: Extract<SimFailure, { kind: 'imagePull' }>, image: string, since: number, now: number): { reason: string; message: string } {
  const notFound = `rpc error: code = NotFound desc = failed to pull and unpack image "${qualifiedImage(image)}": failed to resolve reference "${qualifiedImage(image)}": ${qualifiedImage(image)}: not found`;
  const pullError = f.message ?? notFound;
  let reason = f.reason;
  if (reason === undefined) {
    const last = attempts(since, now).at(-1) ?? since;
    reason = now - last < 1000 ? 'ErrImagePull' : 'ImagePullBackOff';
  }
  switch (reason) {
    case 'ErrImagePull':
      return { reason, message: pullError };
    case 'ImagePullBackOff':
      return { reason, message: `Back-off pulling image "${image}": ErrImagePull: ${pullError}` };
    case 'InvalidImageName':
      return { reason, message: f.message ?? `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format` };
    case 'ErrImageNeverPull':
      return { reason, message: f.message ?? `Container image "${image}" is not present with pull policy of Never` };
  }
}

/** The status of one container of a pod, as the kubelet reports it. */
function containerStatus(pod: SimPod, c: SimContainer, opts: { ready: boolean; hit: SimFailure | null; since: number; now: number; blocked: string | null; init: boolean }): Json {
  const base = { name: c.name, image: c.image, imageID: '', ready: false, restartCount: 0 };
  const { hit, since, now } = opts;
  // Containers that cannot start yet (init not done, volumes not mounted).
  if (opts.blocked !== null && hit === null) {
    return { ...base, started: false, state: { waiting: { reason: opts.blocked } }, lastState: {} };
  }
  if (hit === null || hit.kind === 'readiness') {
    if (opts.init) {
      const startedAt = time(pod.createdAt);
      return {
        ...base,
        imageID: imageId(c.image),
        containerID: containerId(pod, c.name, 0),
        ready: true,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt, containerID: containerId(pod, c.name, 0) } },
        lastState: {},
      };
    }
    return {
      ...base,
      imageID: imageId(c.image),
      containerID: containerId(pod, c.name, 0),
      ready: opts.ready && hit === null,
      started: true,
      state: { running: { startedAt: time(pod.createdAt) } },
      lastState: {},
    };
  }
  switch (hit.kind) {
    case 'imagePull':
      return { ...base, started: false, state: { waiting: imagePullWaiting(hit, c.image, since, now) }, lastState: {} };
    case 'createConfig':
      return { ...base, imageID: imageId(c.image), started: false, state: { waiting: { reason: 'CreateContainerConfigError', message: hit.message } }, lastState: {} };
    case 'createContainer':
      return { ...base, imageID: imageId(c.image), started: false, state: { waiting: { reason: 'CreateContainerError', message: hit.message } }, lastState: {} };
    case 'runContainer':
      return { ...base, imageID: imageId(c.image), started: false, state: { waiting: { reason: 'RunContainerError', message: hit.message } }, lastState: {} };
    case 'mount':
      return { ...base, started: false, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
    case 'unschedulable':
      return { ...base, started: false, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} };
    case 'crashLoop': {
      const { runs, backoffMs } = crashRuns(since, now, hit.runsForMs ?? 1000);
      const k = runs.length - 1;
      const current = runs[k]!;
      const terminated = (run: CrashRun, i: number): Json => ({
        exitCode: hit.exitCode,
        reason: hit.reason ?? (hit.exitCode === 137 ? 'OOMKilled' : 'Error'),
        startedAt: time(run.startedAt),
        finishedAt: time(run.finishedAt),
        containerID: containerId(pod, c.name, i),
      });
      const lastState = k > 0 ? { terminated: terminated(runs[k - 1]!, k - 1) } : {};
      const common = { ...base, imageID: imageId(c.image), restartCount: k };
      if (now < current.finishedAt) {
        return { ...common, containerID: containerId(pod, c.name, k), started: true, state: { running: { startedAt: time(current.startedAt) } }, lastState };
      }
      return {
        ...common,
        containerID: containerId(pod, c.name, k),
        started: false,
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${goDuration(backoffMs)} restarting failed container=${c.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
          },
        },
        lastState: { terminated: terminated(current, k) },
      };
    }
  }
}

/** What `renderPod` needs of a pod's runtime state. */
export interface PodRuntime {
  phase: 'Pending' | 'Running';
  initialized: boolean;
  containersReady: boolean;
  containerStatuses: Json[];
  initContainerStatuses: Json[] | null;
  /** Names of app containers that are not ready (the `ContainersReady` condition's message). */
  notReady: string[];
  /** The scheduler's message for an unschedulable pod, or null. */
  unschedulable: string | null;
}

/** The runtime state of a bound pod (and, for an unbound one, why it is unbound). */
export function podRuntime(m: ClusterModel, pod: SimPod, nodeReady: boolean): PodRuntime {
  const now = m.now();
  const applied = failureOf(m, pod);
  const f = applied?.failure ?? null;
  const since = applied?.since ?? pod.createdAt;
  const unschedulable = f?.kind === 'unschedulable' ? (f.message ?? defaultUnschedulableMessage(m)) : pod.nodeName === null ? schedulerMessage(m, pod) : null;
  const target = f ? failingContainer(pod, f) : null;
  const inits = initContainersOf(pod);
  const initFailed = target?.init === true;
  const mountBlocked = f?.kind === 'mount';

  const initContainerStatuses = inits.length
    ? inits.map((c) => {
        const hit = target?.init && target.container.name === c.name ? f : null;
        return containerStatus(pod, c, { ready: nodeReady, hit, since, now, blocked: mountBlocked ? 'PodInitializing' : null, init: true });
      })
    : null;
  const containerStatuses = containersOf(pod).map((c) => {
    const hit = f && !initFailed && (target?.container.name === c.name || f.kind === 'mount' || f.kind === 'unschedulable') ? f : null;
    const blocked = initFailed ? 'PodInitializing' : null;
    return containerStatus(pod, c, { ready: nodeReady && f === null, hit, since, now, blocked, init: false });
  });
  // The kubelet's getPhase: a container that waits and never ran (no lastState) keeps the pod Pending.
  const neverRan = containerStatuses.some((s) => (s.state as Json).waiting !== undefined && (s.lastState as Json).terminated === undefined);
  const phase = initFailed || neverRan ? 'Pending' : 'Running';
  const notReady = containerStatuses.filter((s) => s.ready !== true).map((s) => String(s.name));
  return {
    phase,
    // Without init containers a pod is Initialized at once, even while its volumes fail.
    initialized: !initFailed && !(mountBlocked && inits.length > 0),
    containersReady: notReady.length === 0,
    containerStatuses,
    initContainerStatuses,
    notReady,
    unschedulable,
  };
}

/**
 * The scheduler's message for a pod left unscheduled by the model itself (its node is not Ready,
 * cordoned or gone): per node, the filter that rejected it, counted as the scheduler's summary is.
 */
export function schedulerMessage(m: ClusterModel, pod: SimPod): string {
  const counts = new Map<string, number>();
  const add = (why: string) => counts.set(why, (counts.get(why) ?? 0) + 1);
  for (const node of m.nodes.values()) {
    if (pod.pinnedNode !== null && node.name !== pod.pinnedNode) add("node(s) didn't match Pod's node affinity/selector");
    else if (node.ready === 'Unknown') add('node(s) had untolerated taint {node.kubernetes.io/unreachable: }');
    else if (node.ready === 'False') add('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
    else if (node.unschedulable) add('node(s) were unschedulable');
  }
  const n = m.nodes.size;
  // The scheduler sorts the formatted "<count> <reason>" strings.
  const reasons = [...counts].map(([why, c]) => `${c} ${why}`).sort();
  return `0/${n} nodes are available: ${reasons.join(', ')}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
}

/** The scheduler's summary when a test gives no message: every node lacks memory. */
export function defaultUnschedulableMessage(m: ClusterModel): string {
  const n = m.nodes.size;
  return `0/${n} nodes are available: ${n} Insufficient memory. preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`;
}

/**
 * A short key of the pod's time-dependent status (restart count, state, reason), so the model can
 * give the pod a new resourceVersion when the clock alone changes what it renders.
 */
export function podStatusKey(m: ClusterModel, pod: SimPod): string {
  const applied = failureOf(m, pod);
  if (applied === null) return '';
  const rt = podRuntime(m, pod, true);
  return [...(rt.initContainerStatuses ?? []), ...rt.containerStatuses]
    .map((s) => `${String(s.restartCount)}:${Object.keys(s.state as Json)[0]}:${String(((s.state as Json).waiting as Json | undefined)?.reason ?? '')}`)
    .join(',');
}
