/**
 * Warning Events as evidence of why a target is down (SPEC §11): one cache of `type=Warning` core/v1
 * Events per watched namespace (or one cluster-wide, as the pods), kept small — only the fields the
 * diagnosis reads, messages clipped, only events younger than {@link EVENT_WINDOW_MS} read — and matched
 * to a target by `involvedObject` (its pods by name, its workload by kind and name). Events never decide
 * health: a cache of them that RBAC refuses costs the card its evidence, nothing else.
 */
import type { CoreV1Event } from '@kubernetes/client-node';
import type { WarningEvent } from '../../core/types.js';
import { MAX_KEPT_MESSAGE } from './slim.js';
import type { KubeObject } from './slim.js';

/** Only Warning events are watched: the server filters, so Normal events cost nothing. */
export const WARNING_EVENTS_QUERY = { fieldSelector: 'type=Warning' } as const;

/** How old an event may be and still speak about now (the API server's own event TTL is one hour). */
export const EVENT_WINDOW_MS = 60 * 60_000;

/** How many events a target's facts carry, newest first. */
export const EVENTS_PER_TARGET = 5;

/** The Events collection of a namespace, or of the whole cluster. */
export function eventsPath(namespace: string | null): string {
  return namespace === null ? '/api/v1/events' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
}

/** An Event reduced to what the diagnosis reads: the involved object, reason, message (clipped), count and when last seen. */
export function slimEvent(event: CoreV1Event): CoreV1Event {
  const message = event.message ?? '';
  // events.k8s.io/v1 writers (the scheduler) leave lastTimestamp null and set eventTime / series instead.
  const last = event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp;
  return {
    metadata: { name: event.metadata?.name, namespace: event.metadata?.namespace, resourceVersion: event.metadata?.resourceVersion },
    involvedObject: { kind: event.involvedObject?.kind, name: event.involvedObject?.name },
    reason: event.reason,
    message: message.length > MAX_KEPT_MESSAGE ? `${message.slice(0, MAX_KEPT_MESSAGE - 1)}…` : message,
    count: event.count ?? event.series?.count ?? 1,
    ...(last ? { lastTimestamp: last as Date } : {}),
  } as CoreV1Event;
}

/**
 * The Warning events about a target's pods (`podNames`) or its workload (`workloadKind`/`workloadName`),
 * seen within the window before `now`, newest first, at most {@link EVENTS_PER_TARGET}.
 */
export function warningEventsOf(events: KubeObject[], podNames: ReadonlySet<string>, workload: { kind: string; name: string } | null, now: number): WarningEvent[] {
  const found: WarningEvent[] = [];
  for (const raw of events as CoreV1Event[]) {
    const { kind = '', name = '' } = raw.involvedObject ?? {};
    const about = (kind === 'Pod' && podNames.has(name)) || (workload !== null && kind === workload.kind && name === workload.name);
    if (!about) continue;
    const lastSeen = raw.lastTimestamp ? new Date(raw.lastTimestamp).getTime() : NaN;
    if (!Number.isFinite(lastSeen) || now - lastSeen > EVENT_WINDOW_MS) continue;
    found.push({ reason: raw.reason ?? '', message: raw.message ?? '', object: `${kind}/${name}`, count: raw.count ?? 1, lastSeen });
  }
  return found.sort((a, b) => b.lastSeen - a.lastSeen).slice(0, EVENTS_PER_TARGET);
}
