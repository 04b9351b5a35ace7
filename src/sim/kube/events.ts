/**
 * core/v1 Events, as the kubelet, the scheduler and the attach/detach controller record them.
 *
 * Test-facing API (on the simulator, see index.ts):
 * - Failures set with `sim.failPods` (failures.ts) emit the events their component would, derived
 *   from the sim clock: image pulls (`Pulling`, `Failed` "Failed to pull image …", `Failed` "Error:
 *   ErrImagePull", `BackOff` "Back-off pulling image …" — a Normal event in the kubelet —, `Failed`
 *   "Error: ImagePullBackOff"), `InspectFailed`/`ErrImageNeverPull`, `Failed` "Error: <message>" for
 *   CreateContainerConfigError and friends, `BackOff` "Back-off restarting failed container …",
 *   `FailedScheduling` (default-scheduler, through events.k8s.io/v1: `eventTime` and `series`
 *   instead of `count` and timestamps), `FailedMount`, `FailedAttachVolume` "Multi-Attach error
 *   …" (attachdetach-controller), `Unhealthy` "Readiness probe failed: …".
 * - `sim.emitEvent({ namespace, involvedObject, reason, message, type?, source? })` records any other
 *   event now.
 * - `sim.eventStorm(namespace, count, options?)` records `count` Warning events at once (benchmarks).
 * Repeats are aggregated like the event recorder's correlator: the same object, reason, message,
 * type and source update one Event (`count` + 1, `lastTimestamp` moved, new resourceVersion) rather
 * than creating another. Events older than `eventTtlMs` (default 1 h, the API server's
 * `--event-ttl`) disappear. Lists and watches (`/api/v1/events`, `/api/v1/namespaces/{ns}/events`)
 * take `fieldSelector` on the fields the API server allows for events; any other field is a 400
 * `field label not supported: <field>`.
 */
import { attempts, crashRuns, defaultUnschedulableMessage, failingContainer, failureOf, hex, qualifiedImage, time, type SimFailure } from './failures.js';
import type { ClusterModel, SimPod } from './model.js';
import { failure, notFound, type KubeError } from './status.js';

type Json = Record<string, unknown>;

/** The object an event is about (`involvedObject`). */
export interface SimObjectRef {
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
  apiVersion?: string;
  fieldPath?: string;
  resourceVersion?: string;
}

/** An event to record. */
export interface SimEventSpec {
  namespace: string;
  involvedObject: SimObjectRef;
  reason: string;
  message: string;
  type?: 'Normal' | 'Warning';
  /** The reporting component (`kubelet`, `default-scheduler`, …) and its host. */
  source?: { component: string; host?: string };
  /**
   * Which event recorder wrote it. `core/v1` (default; the kubelet, controller-manager): `source`,
   * `count`, `firstTimestamp`/`lastTimestamp`. `events.k8s.io/v1` (the scheduler): read through
   * core/v1 it has `eventTime`, `action`, `reportingComponent`/`reportingInstance` and, once
   * repeated, `series` — and `source` empty, no `count`, null first/last timestamps.
   */
  recorder?: 'core/v1' | 'events.k8s.io/v1';
  /** events.k8s.io/v1 only: what was done (`Scheduling`). */
  action?: string;
  /** events.k8s.io/v1 only: the reporting instance (default `<component>-<host>`). */
  reportingInstance?: string;
}

/** One stored Event. */
export interface SimEvent {
  namespace: string;
  name: string;
  uid: string;
  rv: number;
  involved: SimObjectRef;
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source: { component: string; host?: string };
  recorder: 'core/v1' | 'events.k8s.io/v1';
  action: string;
  reportingInstance: string;
  first: number;
  last: number;
  count: number;
}

/** The fields `fieldSelector` may name for core/v1 Events (the API server's selectable fields). */
export const EVENT_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
] as const;

/** One term of a field selector. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** The events of one simulator, aggregated as the event recorder does. */
export class EventStore {
  /** Keyed by `namespace/name`. */
  readonly byName = new Map<string, SimEvent>();
  private readonly byKey = new Map<string, SimEvent>();
  private seq = 0;

  constructor(readonly ttlMs = 3_600_000) {}

  /** Records one occurrence at `at`: a new Event, or `count + 1` on the one it repeats. */
  record(m: ClusterModel, spec: SimEventSpec, at: number): SimEvent {
    const { e, created } = this.upsert(m, spec, at);
    if (!created) {
      e.count++;
      e.last = at;
      e.rv = m.bump();
    }
    return e;
  }

  /** Sets an event's occurrences (first, last, count), as derived from the clock; bumps only on change. */
  observe(m: ClusterModel, spec: SimEventSpec, first: number, last: number, count: number): void {
    if (count <= 0) return;
    const { e } = this.upsert(m, spec, first);
    if (e.count === count && e.last === last) return;
    e.count = count;
    e.last = last;
    e.rv = m.bump();
  }

  /** Forgets events whose last occurrence is older than the TTL. */
  expire(m: ClusterModel, now: number): void {
    let removed = false;
    for (const [key, e] of this.byKey) {
      if (e.last >= now - this.ttlMs) continue;
      this.byKey.delete(key);
      this.byName.delete(`${e.namespace}/${e.name}`);
      removed = true;
    }
    // A deletion is a change watchers must hear of.
    if (removed) m.bump();
  }

  private upsert(m: ClusterModel, spec: SimEventSpec, at: number): { e: SimEvent; created: boolean } {
    const type = spec.type ?? 'Warning';
    const source = spec.source ?? { component: 'kubelet' };
    const o = spec.involvedObject;
    const key = JSON.stringify([spec.namespace, o.kind, o.namespace, o.name, o.uid ?? '', o.fieldPath ?? '', spec.reason, spec.message, type, source.component, source.host ?? '']);
    const existing = this.byKey.get(key);
    if (existing) return { e: existing, created: false };
    const e: SimEvent = {
      namespace: spec.namespace,
      // The recorder names events `<object>.<unix nanos in hex>`.
      name: `${o.name}.${hex(`${key}/${++this.seq}`, 16)}`,
      uid: m.uid(),
      rv: m.bump(),
      involved: { ...o },
      reason: spec.reason,
      message: spec.message,
      type,
      source: { ...source },
      recorder: spec.recorder ?? 'core/v1',
      action: spec.action ?? '',
      reportingInstance: spec.reportingInstance ?? source.host ?? '',
      first: at,
      last: at,
      count: 1,
    };
    this.byKey.set(key, e);
    this.byName.set(`${e.namespace}/${e.name}`, e);
    return { e, created: true };
  }
}

/** A `v1/Event`, as the API server shows it for the recorder that wrote it. */
export function renderEvent(e: SimEvent): Json {
  const metadata = { name: e.name, namespace: e.namespace, uid: e.uid, resourceVersion: String(e.rv), creationTimestamp: time(e.first) };
  const common = { apiVersion: 'v1', kind: 'Event', metadata, involvedObject: { ...e.involved }, reason: e.reason, message: e.message, type: e.type };
  if (e.recorder === 'events.k8s.io/v1') {
    return {
      ...common,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: microTime(e.first),
      ...(e.count > 1 ? { series: { count: e.count, lastObservedTime: microTime(e.last) } } : {}),
      action: e.action,
      reportingComponent: e.source.component,
      reportingInstance: e.reportingInstance,
    };
  }
  return {
    ...common,
    source: { ...e.source },
    firstTimestamp: time(e.first),
    lastTimestamp: time(e.last),
    count: e.count,
    eventTime: null,
    reportingComponent: e.source.component,
    reportingInstance: e.reportingInstance,
  };
}

/** `metav1.MicroTime`: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/** The selectable field values of a rendered Event. */
export function eventFields(object: Json): Record<string, string> {
  const meta = (object.metadata ?? {}) as Json;
  const involved = (object.involvedObject ?? {}) as Json;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    'metadata.name': text(meta.name),
    'metadata.namespace': text(meta.namespace),
    'involvedObject.kind': text(involved.kind),
    'involvedObject.namespace': text(involved.namespace),
    'involvedObject.name': text(involved.name),
    'involvedObject.uid': text(involved.uid),
    'involvedObject.apiVersion': text(involved.apiVersion),
    'involvedObject.resourceVersion': text(involved.resourceVersion),
    'involvedObject.fieldPath': text(involved.fieldPath),
    reason: text(object.reason),
    reportingComponent: text(object.reportingComponent),
    source: text((object.source as Json | undefined)?.component),
    type: text(object.type),
  };
}

/**
 * Parses a field selector (`a=b,c!=d`, `==` allowed) against the fields `allowed`; throws the 400
 * `Status` the API server answers for a malformed selector or a field it does not support.
 */
export function parseFieldSelector(text: string, allowed: readonly string[]): FieldRequirement[] {
  if (text.trim() === '') return [];
  return text.split(',').map((term) => {
    const match = /^([^=!]+)(==|!=|=)(.*)$/.exec(term.trim());
    if (!match) throw failure(400, 'BadRequest', `invalid selector: '${text}'; can't understand '${term}'`);
    const [, field = '', op, value = ''] = match;
    if (!allowed.includes(field.trim())) throw failure(400, 'BadRequest', `field label not supported: ${field.trim()}`);
    return { field: field.trim(), op: op === '!=' ? '!=' : '=', value: value.trim() };
  });
}

/** Whether `fields` satisfy every requirement. */
export function fieldsMatch(fields: Record<string, string>, reqs: readonly FieldRequirement[]): boolean {
  return reqs.every((r) => (r.op === '=' ? fields[r.field] === r.value : fields[r.field] !== r.value));
}

/** The Events of a namespace (or all), filtered by a field selector: an `EventList` body's items. */
export function listEvents(m: ClusterModel, ns: string | null, query: URLSearchParams): Json[] | KubeError {
  let reqs: FieldRequirement[];
  try {
    reqs = parseFieldSelector(query.get('fieldSelector') ?? '', EVENT_FIELDS);
  } catch (err) {
    return err as KubeError;
  }
  return [...m.events.byName.values()]
    .filter((e) => ns === null || e.namespace === ns)
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name))
    .map(renderEvent)
    .filter((o) => fieldsMatch(eventFields(o), reqs));
}

/** A reference to a pod, as event recorders fill `involvedObject`. */
function podRef(pod: SimPod, fieldPath?: string): SimObjectRef {
  return { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, apiVersion: 'v1', ...(fieldPath ? { fieldPath } : {}) };
}

/** First, last and number of the times in `list` (null when empty). */
function span(list: number[]): { first: number; last: number; count: number } | null {
  return list.length ? { first: list[0]!, last: list.at(-1)!, count: list.length } : null;
}

/**
 * Records the events the failing pods' components would have emitted up to now. Idempotent: the
 * occurrences are derived from the clock, so calling it again only moves counts forward.
 */
export function syncFailureEvents(m: ClusterModel): void {
  const now = m.now();
  m.events.expire(m, now);
  if (m.failures.length === 0) return;
  for (const pod of m.pods.values()) {
    const applied = failureOf(m, pod);
    if (applied) podFailureEvents(m, pod, applied.failure, applied.since, now);
  }
}

function podFailureEvents(m: ClusterModel, pod: SimPod, f: SimFailure, since: number, now: number): void {
  const kubelet = { component: 'kubelet', ...(pod.nodeName ? { host: pod.nodeName } : {}) };
  const target = failingContainer(pod, f);
  const fieldPath = target ? `spec.${target.init ? 'initContainers' : 'containers'}{${target.container.name}}` : undefined;
  const image = target?.container.image ?? '';
  const emit = (reason: string, message: string, times: number[], opts: { type?: 'Normal' | 'Warning'; source?: SimEventSpec['source']; onContainer?: boolean; recorder?: SimEventSpec['recorder'] } = {}) => {
    const s = span(times.filter((t) => t <= now));
    if (!s) return;
    const spec: SimEventSpec = {
      namespace: pod.namespace,
      involvedObject: podRef(pod, opts.onContainer === false ? undefined : fieldPath),
      reason,
      message,
      type: opts.type ?? 'Warning',
      source: opts.source ?? kubelet,
      ...(opts.recorder === 'events.k8s.io/v1' ? { recorder: opts.recorder, action: 'Scheduling', reportingInstance: 'default-scheduler-control-plane' } : {}),
    };
    m.events.observe(m, spec, s.first, s.last, s.count);
  };

  switch (f.kind) {
    case 'imagePull': {
      const tries = attempts(since, now);
      const q = image;
      if (f.reason === 'InvalidImageName') {
        emit('InspectFailed', f.message ?? `Failed to apply default image tag "${q}": couldn't parse image name "${q}": invalid reference format`, tries);
        emit('Failed', 'Error: InvalidImageName', tries);
        return;
      }
      if (f.reason === 'ErrImageNeverPull') {
        emit('ErrImageNeverPull', f.message ?? `Container image "${q}" is not present with pull policy of Never`, tries);
        emit('Failed', 'Error: ErrImageNeverPull', tries);
        return;
      }
      const ref = qualifiedImage(q);
      const pullError = f.message ?? `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
      emit('Pulling', `Pulling image "${q}"`, tries, { type: 'Normal' });
      emit('Failed', `Failed to pull image "${q}": ${pullError}`, tries);
      emit('Failed', 'Error: ErrImagePull', tries);
      if (f.reason !== 'ErrImagePull') {
        const backoffs = tries.map((t) => t + 1000);
        emit('BackOff', `Back-off pulling image "${q}"`, backoffs, { type: 'Normal' });
        emit('Failed', 'Error: ImagePullBackOff', backoffs);
      }
      return;
    }
    case 'createConfig':
    case 'createContainer':
    case 'runContainer':
      emit('Failed', `Error: ${f.message}`, attempts(since, now));
      return;
    case 'crashLoop': {
      const { runs } = crashRuns(since, now, f.runsForMs ?? 1000);
      // The kubelet backs off from the second exit on (the first restart is immediate).
      const backoffs = runs.slice(1).map((r) => r.finishedAt);
      const name = target?.container.name ?? '';
      emit('BackOff', `Back-off restarting failed container ${name} in pod ${pod.name}_${pod.namespace}(${pod.uid})`, backoffs);
      return;
    }
    case 'unschedulable':
      // The scheduler records through events.k8s.io/v1 (eventTime and series, no count).
      emit('FailedScheduling', f.message ?? defaultUnschedulableMessage(m), attempts(since, now, 1000), {
        source: { component: 'default-scheduler' },
        onContainer: false,
        recorder: 'events.k8s.io/v1',
      });
      return;
    case 'mount': {
      const tries = attempts(since, now, 500);
      if (f.attach) {
        emit(
          'FailedAttachVolume',
          f.attachMessage ?? `Multi-Attach error for volume "pvc-${hex(pod.namespace, 8)}-${hex(pod.name, 4)}" Volume is already exclusively attached to one node and can't be attached to another`,
          tries,
          { source: { component: 'attachdetach-controller' }, onContainer: false },
        );
      }
      // The volume manager gives up waiting after about two minutes, and says so every two minutes.
      const waits: number[] = [];
      for (let t = since + 123_000; t <= now; t += 123_000) waits.push(t);
      emit(
        'FailedMount',
        f.message ?? 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data], failed to process volumes=[]: timed out waiting for the condition',
        f.message ? tries : waits,
        { onContainer: false },
      );
      return;
    }
    case 'readiness': {
      const probes: number[] = [];
      for (let t = since + 10_000; t <= now; t += 10_000) probes.push(t);
      emit('Unhealthy', `Readiness probe failed: ${f.message ?? 'HTTP probe failed with statuscode: 503'}`, probes);
      return;
    }
  }
}

/**
 * Routes `GET /api/v1/events`, `/api/v1/namespaces/{ns}/events[/name]` (lists take `fieldSelector`),
 * or returns null for any other path.
 */
export function routeEvents(m: ClusterModel, seg: readonly string[], method: string, query: URLSearchParams): Json | KubeError | null {
  if (seg[0] !== 'api' || seg[1] !== 'v1') return null;
  const all = seg.length === 3 && seg[2] === 'events';
  const inNs = seg[2] === 'namespaces' && seg[4] === 'events' && (seg.length === 5 || seg.length === 6);
  if (!all && !inNs) return null;
  if (method !== 'GET') return failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (seg.length === 6) {
    const e = m.events.byName.get(`${seg[3]}/${seg[5]}`);
    return e ? renderEvent(e) : notFound('events', seg[5]!);
  }
  const items = listEvents(m, all ? null : seg[3]!, query);
  if (!Array.isArray(items)) return items;
  return { apiVersion: 'v1', kind: 'EventList', metadata: { resourceVersion: String(m.currentRv) }, items };
}

/** The namespace an events watch path covers (null: all), or undefined when `seg` is not one. */
export function eventsWatchNamespace(seg: readonly string[]): string | null | undefined {
  if (seg[0] !== 'api' || seg[1] !== 'v1') return undefined;
  if (seg.length === 3 && seg[2] === 'events') return null;
  if (seg.length === 5 && seg[2] === 'namespaces' && seg[4] === 'events') return seg[3]!;
  return undefined;
}
