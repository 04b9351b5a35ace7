/**
 * `GET /api/v1/namespaces/{ns}/pods/{name}/log`, as the API server and the kubelet answer it.
 *
 * Test-facing API (on the simulator, see index.ts):
 * - `sim.setLogs(namespace, which, container, lines, { previous? })` — `which` is a pod name, a
 *   workload (`{ kind, name }`) or a label selector; the text applies to matching pods now and
 *   created later. `previous: true` sets the log of the previous (terminated) container instance.
 * Without it a running container logs two start-up lines, and a crash-looping one logs a start-up
 * line and its failure (`exit code N`, or nothing after start-up for an OOM kill: the kernel kills
 * without a word).
 *
 * Query: `container` (required when the pod has more than one container), `previous`, `tailLines`,
 * `limitBytes`, `timestamps`. The answer is `text/plain`; refusals are the 400 `Status` the kubelet
 * and API server send: no container named for a multi-container pod, an unknown container, no
 * previous container (`previous terminated container "c" in pod "p" not found`), a container that
 * never started (`… is waiting to start: trying and failing to pull image`), an unbound pod.
 */
import { simSelectorMatches, type SimRequirement } from './labels.js';
import { containersOf, failureOf, initContainersOf, podRuntime, time } from './failures.js';
import type { ClusterModel, SimPod } from './model.js';
import { failure, notFound, type KubeError } from './status.js';

type Json = Record<string, unknown>;

/** A plain-text answer (the server sends it as `text/plain`, not JSON). */
export class PlainText {
  constructor(readonly text: string) {}
}

/** Log text a test set for the pods it covers. */
export interface SimLogRule {
  namespace: string;
  pod: string | null;
  owner: string | null;
  selector: SimRequirement[] | null;
  container: string;
  previous: boolean;
  lines: string[];
}

function covers(rule: SimLogRule, pod: SimPod): boolean {
  if (rule.namespace !== pod.namespace) return false;
  if (rule.pod !== null) return rule.pod === pod.name;
  if (rule.owner !== null) return rule.owner === pod.owner;
  return rule.selector !== null && simSelectorMatches(pod.labels, rule.selector);
}

/** Answers a log request for `pod` (which exists): the text, or the 400 the API would send. */
export function podLog(m: ClusterModel, pod: SimPod, query: URLSearchParams): PlainText | KubeError {
  const apps = containersOf(pod).map((c) => c.name);
  const inits = initContainersOf(pod).map((c) => c.name);
  let container = query.get('container') ?? '';
  if (container === '') {
    if (apps.length !== 1) {
      const initPart = inits.length ? ` or one of the init containers: [${inits.join(' ')}]` : '';
      return failure(400, 'BadRequest', `a container name must be specified for pod ${pod.name}, choose one of: [${apps.join(' ')}]${initPart}`);
    }
    container = apps[0]!;
  }
  if (!apps.includes(container) && !inits.includes(container)) {
    return failure(400, 'BadRequest', `container ${container} is not valid for pod ${pod.name}`);
  }
  if (pod.nodeName === null) return failure(400, 'BadRequest', `pod ${pod.name} does not have a host assigned`);
  for (const name of ['tailLines', 'limitBytes']) {
    const v = query.get(name);
    if (v !== null && !/^\d+$/.test(v)) return failure(400, 'BadRequest', `${name}: Invalid value: "${v}": must be a non-negative integer`);
  }

  const rt = podRuntime(m, pod, true);
  const status = [...(rt.initContainerStatuses ?? []), ...rt.containerStatuses].find((s) => s.name === container)!;
  const state = status.state as Json;
  const lastState = status.lastState as Json;
  const previous = query.get('previous') === 'true' || query.get('previous') === '1';
  const quoted = `"${container}" in pod "${pod.name}"`;
  // The kubelet's choice of container instance (validateContainerLogStatus).
  let instance: 'current' | 'previous';
  if (previous) {
    if (!lastState.terminated) return failure(400, 'BadRequest', `previous terminated container ${quoted} not found`);
    instance = 'previous';
  } else if (state.running || state.terminated) {
    instance = 'current';
  } else if (lastState.terminated) {
    // Crash-looping: the waiting container has no log yet; the kubelet shows the last one's.
    instance = 'previous';
  } else {
    const reason = String((state.waiting as Json | undefined)?.reason ?? '');
    const why = reason === 'ErrImagePull' ? "image can't be pulled" : reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
    return failure(400, 'BadRequest', `container ${quoted} is waiting to start: ${why}`);
  }

  let lines = linesFor(m, pod, container, instance === 'previous');
  const timestamps = query.get('timestamps') === 'true';
  if (timestamps) {
    const at = Date.parse(String(((instance === 'previous' ? lastState.terminated : state.running ?? state.terminated) as Json).startedAt));
    lines = lines.map((l, i) => `${new Date(at + i).toISOString().replace('Z', '000000Z')} ${l}`);
  }
  const tail = query.get('tailLines');
  if (tail !== null) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
  let text = lines.map((l) => `${l}\n`).join('');
  const limit = query.get('limitBytes');
  if (limit !== null) text = Buffer.from(text).subarray(0, Number(limit)).toString('utf8');
  return new PlainText(text);
}

function linesFor(m: ClusterModel, pod: SimPod, container: string, previous: boolean): string[] {
  for (let i = m.logRules.length - 1; i >= 0; i--) {
    const rule = m.logRules[i]!;
    if (rule.container === container && rule.previous === previous && covers(rule, pod)) return [...rule.lines];
  }
  const applied = failureOf(m, pod);
  const started = `${time(pod.createdAt)} INFO ${container} starting (pod ${pod.name})`;
  if (applied?.failure.kind === 'crashLoop') {
    if (applied.failure.reason === 'OOMKilled' || applied.failure.exitCode === 137) return [started, `${time(pod.createdAt)} INFO loading models into memory`];
    return [started, `${time(pod.createdAt)} ERROR fatal error, exiting with code ${applied.failure.exitCode}`];
  }
  return [started, `${time(pod.createdAt)} INFO ${container} ready`];
}

/** Routes `…/pods/{name}/log`, or returns null for any other path. */
export function routeLog(m: ClusterModel, seg: readonly string[], method: string, query: URLSearchParams): PlainText | KubeError | null {
  if (!(seg[0] === 'api' && seg[1] === 'v1' && seg[2] === 'namespaces' && seg[4] === 'pods' && seg[6] === 'log' && seg.length === 7)) return null;
  if (method !== 'GET') return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  const pod = m.pods.get(`${seg[3]}/${seg[5]}`);
  if (!pod) return notFound('pods', seg[5]!);
  return podLog(m, pod, query);
}
