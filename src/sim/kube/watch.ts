/**
 * Watch, as the API server serves it. Every change of a node, pod or workload becomes an event
 * (`ADDED`, `MODIFIED`, `DELETED`) carrying the object with a fresh `resourceVersion`, kept in a
 * bounded history; `GET …?watch=1` streams the matching events as JSON lines `{type, object}`.
 *
 * - `resourceVersion` unset, `""` or `"0"`: synthetic `ADDED` events for every current object, then
 *   changes. A number: every change after it — or, when the history no longer reaches back that far,
 *   one `ERROR` event with a `410 Expired` Status and the end of the stream, as the real API does.
 * - `allowWatchBookmarks=true`: a `BOOKMARK` (an object with only `metadata.resourceVersion`) every
 *   `bookmarkIntervalMs`, so an idle watcher's resourceVersion stays recent.
 * - `timeoutSeconds`: the server ends the stream cleanly after that long.
 *
 * The model's state is derived at render time (a workload's status comes from its pods), so changes
 * are found by comparing what an object renders to now with what was last published — the way a
 * controller's status update would bump the object — and only then given a new resourceVersion.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { simSelectorMatches, type SimRequirement } from './labels.js';
import { eventFields, fieldsMatch, renderEvent, type FieldRequirement } from './events.js';
import type { ClusterModel } from './model.js';
import { renderNode, renderPod, renderWorkload } from './render.js';
import { PLAN_API_VERSION, renderPlan } from './plans.js';
import { failure, type KubeStatus } from './status.js';

type Json = Record<string, unknown>;

/** A watchable collection. */
export type WatchResource = 'nodes' | 'pods' | 'deployments' | 'statefulsets' | 'daemonsets' | 'events' | 'plans';

/** What one watch asks for: a collection, optionally one namespace, label selector, one name. */
export interface WatchSelection {
  resource: WatchResource;
  /** Null: all namespaces (and cluster-scoped nodes). */
  namespace: string | null;
  labels: SimRequirement[];
  /** `fieldSelector=metadata.name=x`, or null. */
  name: string | null;
  /** Events only: the field selector's requirements (`type=Warning`, `involvedObject.name=x`). */
  fields?: FieldRequirement[];
}

/** One change, as it goes over the wire. */
interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: WatchResource;
  namespace: string | null;
  name: string;
  labels: Record<string, string>;
  line: string;
  /** Events only: the selectable fields. */
  fields?: Record<string, string>;
}

/** The last published state of one object. */
interface Published {
  resource: WatchResource;
  namespace: string | null;
  name: string;
  rv: number;
  comparable: string;
  object: Json;
}

/** An open watch stream. */
interface Stream {
  selection: WatchSelection;
  res: ServerResponse;
  timers: NodeJS.Timeout[];
}

/** Options of the watch journal. */
export interface WatchOptions {
  /** Events kept for watches that resume from a resourceVersion (default 10,000). */
  historySize?: number;
  /** Real-time interval of bookmarks for watches that allow them (default 60 s, as the real API's ~1 min). */
  bookmarkIntervalMs?: number;
  /** Counts every byte written to a watch stream (the request log counts requests, not bytes). */
  onBytes?: (n: number) => void;
}

const KINDS: Record<WatchResource, { apiVersion: string; kind: string }> = {
  nodes: { apiVersion: 'v1', kind: 'Node' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment' },
  statefulsets: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  daemonsets: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  events: { apiVersion: 'v1', kind: 'Event' },
  plans: { apiVersion: PLAN_API_VERSION, kind: 'Plan' },
};

const WORKLOAD_RESOURCE = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as const;

/** The event history and the open streams of one simulator. */
export class WatchJournal {
  private readonly published = new Map<string, Published>();
  private readonly events: WatchEvent[] = [];
  private readonly streams = new Set<Stream>();
  /** Events with a resourceVersion up to this one were dropped: resuming from before it is `410`. */
  private droppedUpTo = 0;
  /** Every event up to this resourceVersion has been journaled (and written to open streams). */
  private head = 0;
  private syncedState = '';
  private readonly historySize: number;
  private readonly bookmarkIntervalMs: number;

  constructor(
    private readonly model: ClusterModel,
    private readonly options: WatchOptions = {},
  ) {
    this.historySize = options.historySize ?? 10_000;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
  }

  /** The resourceVersion every journaled event is at or below. */
  get headRv(): number {
    return this.head;
  }

  /** Number of open watch streams. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** The open watches, for assertions. */
  watches(): WatchSelection[] {
    return [...this.streams].map((s) => s.selection);
  }

  /** The newest resourceVersion of an event a watch of `selection` would get (its "caught up" point). */
  latestFor(selection: WatchSelection): number {
    for (let i = this.events.length - 1; i >= 0; i--) {
      if (matches(selection, this.events[i]!)) return this.events[i]!.rv;
    }
    // Nothing retained: a watcher must at least have reached the point the history was cut at.
    return this.droppedUpTo;
  }

  /**
   * Publishes every change since the last call: renders the objects, compares them with what was
   * published, bumps the resourceVersion of objects whose derived state changed, journals the events
   * in resourceVersion order and writes them to the matching streams. Cheap when nothing changed.
   */
  sync(): void {
    const m = this.model;
    const progressing = [...m.workloads.values()].some((w) => w.kind === 'Deployment' && w.progress === 'progressing');
    const state = `${m.currentRv}/${m.nodes.size}/${m.pods.size}/${m.workloads.size}`;
    // A Deployment still progressing can pass its deadline by time alone; anything else changes the rv.
    if (state === this.syncedState && !progressing) return;

    const changed: WatchEvent[] = [];
    const seen = new Set<string>();
    const consider = (resource: WatchResource, namespace: string | null, name: string, holder: { rv: number }, render: () => Json, derived: boolean) => {
      const key = `${resource}/${namespace ?? ''}/${name}`;
      seen.add(key);
      const prev = this.published.get(key);
      // Nodes and pods render only from their own fields (a change bumps them); workloads derive status.
      if (prev && !derived && prev.rv === holder.rv) return;
      const object = render();
      const comparable = comparableJson(resource, object);
      if (prev && prev.comparable === comparable) {
        prev.rv = holder.rv;
        prev.object = object;
        return;
      }
      if (prev && prev.rv === holder.rv) {
        holder.rv = m.bump();
        (object.metadata as Json).resourceVersion = String(holder.rv);
      }
      this.published.set(key, { resource, namespace, name, rv: holder.rv, comparable, object });
      changed.push(event(prev ? 'MODIFIED' : 'ADDED', holder.rv, resource, namespace, name, object));
    };
    for (const n of m.nodes.values()) consider('nodes', null, n.name, n, () => renderNode(m, n), false);
    for (const p of m.pods.values()) consider('pods', p.namespace, p.name, p, () => renderPod(m, p), false);
    for (const w of m.workloads.values()) consider(WORKLOAD_RESOURCE[w.kind], w.namespace, w.name, w, () => renderWorkload(m, w), true);
    for (const e of m.events.byName.values()) consider('events', e.namespace, e.name, e, () => renderEvent(e), false);
    for (const p of m.plans?.values() ?? []) consider('plans', p.namespace, p.name, p, () => renderPlan(p), false);
    for (const [key, prev] of this.published) {
      if (seen.has(key)) continue;
      this.published.delete(key);
      const rv = m.bump();
      const object = { ...prev.object, metadata: { ...(prev.object.metadata as Json), resourceVersion: String(rv) } };
      changed.push(event('DELETED', rv, prev.resource, prev.namespace, prev.name, object));
    }

    changed.sort((a, b) => a.rv - b.rv);
    for (const e of changed) this.events.push(e);
    const excess = this.events.length - this.historySize;
    if (excess > 0) this.droppedUpTo = Math.max(this.droppedUpTo, this.events.splice(0, excess).at(-1)!.rv);
    this.head = m.currentRv;
    this.syncedState = `${m.currentRv}/${m.nodes.size}/${m.pods.size}/${m.workloads.size}`;
    for (const s of this.streams) for (const e of changed) if (matches(s.selection, e)) this.write(s, e.line);
  }

  /**
   * Serves one watch request (the caller has synced). Writes the backlog the resourceVersion asks
   * for, then keeps the stream open until the client leaves, `timeoutSeconds` passes, or a fault.
   */
  serve(req: IncomingMessage, res: ServerResponse, selection: WatchSelection, query: URLSearchParams): void {
    const rvParam = query.get('resourceVersion') ?? '';
    if (rvParam !== '' && !/^\d+$/.test(rvParam)) {
      const err = failure(400, 'BadRequest', `resourceVersion: Invalid value: "${rvParam}": must be a number`);
      res.writeHead(err.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(err.body));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
    // Headers go out now: the client's request resolves when the watch is established, not at the first event.
    res.flushHeaders();
    const stream: Stream = { selection, res, timers: [] };

    const from = rvParam === '' ? 0 : Number(rvParam);
    if (from === 0) {
      // "Start at most recent": the current state as synthetic ADDED events, then changes.
      const current = [...this.published.values()].filter((p) => matchesObject(selection, p.resource, p.namespace, p.name, labelsOf(p.object), fieldsOf(p.resource, p.object)));
      current.sort((a, b) => (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name));
      for (const p of current) this.write(stream, JSON.stringify({ type: 'ADDED', object: p.object }));
    } else if (from < this.droppedUpTo) {
      this.write(stream, JSON.stringify({ type: 'ERROR', object: expired(from, this.head) }));
      res.end();
      return;
    } else {
      for (const e of this.events) if (e.rv > from && matches(selection, e)) this.write(stream, e.line);
    }

    this.streams.add(stream);
    const close = () => {
      for (const t of stream.timers) clearInterval(t);
      this.streams.delete(stream);
    };
    res.on('close', close);
    req.on('close', close);
    if (query.get('allowWatchBookmarks') === 'true') {
      const { apiVersion, kind } = KINDS[selection.resource];
      stream.timers.push(
        setInterval(() => {
          this.write(stream, JSON.stringify({ type: 'BOOKMARK', object: { kind, apiVersion, metadata: { resourceVersion: String(this.head) } } }));
        }, this.bookmarkIntervalMs).unref(),
      );
    }
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '');
    if (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0) {
      stream.timers.push(setTimeout(() => res.end(), timeoutSeconds * 1000).unref());
    }
  }

  /** Fault: cuts every open watch mid-event (half a line, then the connection is destroyed). */
  breakAll(): number {
    const n = this.streams.size;
    for (const s of [...this.streams]) {
      s.res.write('{"type":"MODIFIED","object":{"kind":');
      s.res.socket?.destroy();
      this.streams.delete(s);
    }
    return n;
  }

  /**
   * Fault: forgets the history (as after an etcd compaction), so resuming from any earlier
   * resourceVersion is `410`, continuing a list is `410`, and every open watch ends with an `ERROR`
   * event carrying `410 Expired`.
   */
  expireAll(): number {
    this.events.length = 0;
    this.droppedUpTo = this.head;
    // The same compaction ends every list being read a page at a time.
    this.model.lists.compact(this.head);
    const n = this.streams.size;
    for (const s of [...this.streams]) {
      this.write(s, JSON.stringify({ type: 'ERROR', object: expired(this.head - 1, this.head) }));
      s.res.end();
      this.streams.delete(s);
    }
    return n;
  }

  /** Ends every stream (the server is stopping). */
  closeAll(): void {
    for (const s of [...this.streams]) s.res.destroy();
    this.streams.clear();
  }

  private write(stream: Stream, line: string): void {
    const text = `${line}\n`;
    this.options.onBytes?.(Buffer.byteLength(text));
    stream.res.write(text);
  }
}

/** The `410` a watch from a resourceVersion the history no longer holds gets. */
function expired(from: number, current: number): KubeStatus {
  return failure(410, 'Expired', `too old resource version: ${from} (${current})`).body;
}

function event(type: WatchEvent['type'], rv: number, resource: WatchResource, namespace: string | null, name: string, object: Json): WatchEvent {
  return { rv, type, resource, namespace, name, labels: labelsOf(object), line: JSON.stringify({ type, object }), fields: fieldsOf(resource, object) };
}

function fieldsOf(resource: WatchResource, object: Json): Record<string, string> | undefined {
  return resource === 'events' ? eventFields(object) : undefined;
}

function labelsOf(object: Json): Record<string, string> {
  return ((object.metadata as Json | undefined)?.labels as Record<string, string> | undefined) ?? {};
}

function matches(selection: WatchSelection, e: WatchEvent): boolean {
  return matchesObject(selection, e.resource, e.namespace, e.name, e.labels, e.fields);
}

function matchesObject(selection: WatchSelection, resource: WatchResource, namespace: string | null, name: string, labels: Record<string, string>, fields?: Record<string, string>): boolean {
  if (selection.fields?.length && !fieldsMatch(fields ?? {}, selection.fields)) return false;
  if (selection.resource !== resource) return false;
  if (selection.namespace !== null && selection.namespace !== namespace) return false;
  if (selection.name !== null && selection.name !== name) return false;
  return simSelectorMatches(labels, selection.labels);
}

/** The object without what changes on every read: its resourceVersion, and a node's heartbeat. */
function comparableJson(resource: WatchResource, object: Json): string {
  const metadata = object.metadata as Json;
  const rv = metadata.resourceVersion;
  metadata.resourceVersion = '';
  // The kubelet's heartbeat goes to its Lease; the node object changes only when its status does.
  const condition = resource === 'nodes' ? ((object.status as Json).conditions as Json[])[0] : undefined;
  const heartbeat = condition?.lastHeartbeatTime;
  if (condition) condition.lastHeartbeatTime = '';
  const text = JSON.stringify(object);
  metadata.resourceVersion = rv;
  if (condition) condition.lastHeartbeatTime = heartbeat;
  return text;
}
