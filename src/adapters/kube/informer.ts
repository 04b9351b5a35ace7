/**
 * One informer: a local cache of one collection (nodes, or one kind in one or every namespace) kept
 * current by list-then-watch, the pattern of client-go's reflector and client-node's `ListWatch`.
 *
 * Written by hand because client-node 1.4's `ListWatch` does not fit: after any error but a 410 it
 * calls its `error` callbacks and stops for good (the caller must restart it), it has no notion of
 * "in sync" (its `connect` event fires before the list, and nothing fires when a watch is
 * established), it never asks for bookmarks or a server-side timeout, and its watch has no connect
 * timeout, so a hung API server would hang it silently.
 *
 * Here, as client-go's reflector: list a page at a time (`limit`/`continue`), then watch from the
 * list's `resourceVersion` with bookmarks and a randomised `timeoutSeconds` of 30–60 minutes; a
 * stream that brings nothing, not even the API server's minutely bookmark, for 10 minutes is taken
 * for a dead connection. A clean end of a stream that lasted or brought events re-watches at once
 * from the last resourceVersion. Every other end is a failure that waits out the backoff before the
 * next try (0.8 s doubling to 30 s, each wait drawn from [d, 2d), back to 0.8 s after 2 calm minutes):
 * a failed list or watch, `410 Gone` (an HTTP 410, or an `ERROR` event of code 410 in the stream;
 * the next try relists), a line or an answer over its bound, and a "very short watch" — one that
 * ended within a second with no event at all, which is what a proxy cutting watches looks like.
 * A failure marks the cache out of sync, and after one a new watch counts as kept only once it
 * brought an event or stayed open that second: a cache that cannot keep a watch never reads as in
 * sync. `sync()` skips the wait.
 */
import type { Logger } from 'pino';
import { ApiException } from './clientNode.js';
import type { SourceStatus } from '../../core/types.js';
import { describeKubeError } from './errors.js';
import type { KubeObject } from './slim.js';
import type { KubeWatch } from './transport.js';

/** The server-side timeout a watch asks for, drawn uniformly from this range per watch (what the API server picks by default): each cache renews its watch once per (min + max) / 2 seconds on average. */
export const WATCH_TIMEOUT_SECONDS = { min: 1800, max: 3600 };

/** The state of one cache: its source status plus what tests and logs need to follow it. */
export interface CacheStatus extends SourceStatus {
  /** The collection path watched, e.g. `/api/v1/namespaces/nvr/pods`. */
  path: string;
  /** The resourceVersion the cache is at; empty before the first list. */
  resourceVersion: string;
  /** How many objects the cache holds (what its memory grows with). */
  objects: number;
}

/** A change the cache saw; `previous` is absent for an addition. */
export interface CacheEvent<T> {
  type: 'added' | 'modified' | 'deleted';
  object: T;
  previous?: T;
}

/** One page of a list, as the API server answers `limit`/`continue`. */
export interface ListPage<Raw> {
  items: Raw[];
  metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

/** Reads one page of a collection: at most `limit` items, from where `continue` says. */
export type ListPageFn<Raw> = (page: { limit: number; continue?: string }) => Promise<ListPage<Raw>>;

/** Items per list request, client-go's pager default. */
export const LIST_PAGE_SIZE = 500;

/** The backoff of client-go's reflector: 0.8 s doubling to 30 s, reset after 2 minutes without a failure. */
export const WATCH_BACKOFF: BackoffOptions = { initialMs: 800, maxMs: 30_000, resetMs: 120_000 };

/** A watch that ends sooner than this with no event is a failure, and after a failure a watch is kept once it lasted this long (client-go: one second). */
export const SHORT_WATCH_MS = 1000;

/** How long to wait between failed tries. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** After this long without a failure the next wait is `initialMs` again (default 2 minutes). */
  resetMs?: number;
  /** See {@link SHORT_WATCH_MS} (default 1 s); the simulator's clients shorten it with the rest. */
  shortWatchMs?: number;
}

/** Waits between failed tries: each `next()` is the wait before the next try. */
export interface Backoff {
  next(): number;
}

/**
 * The reflector's backoff (client-go's `ExponentialBackoffManager` with factor 2 and jitter 1): the
 * n-th wait in a row is drawn from [d, 2d) with d = initialMs·2ⁿ⁻¹ capped at maxMs, and a failure
 * that comes more than `resetMs` after the previous one starts again at initialMs.
 */
export function createBackoff(o: BackoffOptions, now: () => number = Date.now, random: () => number = Math.random): Backoff {
  const resetMs = o.resetMs ?? WATCH_BACKOFF.resetMs!;
  let step = 0;
  let last = -Infinity;
  return {
    next() {
      const t = now();
      if (t - last > resetMs) step = 0;
      last = t;
      const base = Math.min(o.maxMs, o.initialMs * 2 ** step);
      if (base < o.maxMs) step++;
      return base * (1 + random());
    },
  };
}

/** How an informer reads and watches its collection. */
export interface InformerOptions<Raw extends KubeObject, T extends KubeObject> {
  kind: string;
  namespace: string | null;
  path: string;
  /** One page of the list (a JSON request with its timeout and body bound). */
  list: ListPageFn<Raw>;
  /** Items per list request (default {@link LIST_PAGE_SIZE}). */
  pageSize?: number;
  watch: KubeWatch;
  /** What to keep of each object. */
  slim: (raw: Raw) => T;
  /**
   * Which objects to keep at all (default: every one): a cluster-wide cache keeps only the targets'
   * namespaces, so its memory is bounded by what is watched, not by the cluster.
   */
  keep?: (object: T) => boolean;
  /**
   * Called for each change after the cache applied it, once the cache has been in sync: its first
   * list is the initial load, not a change (a relist after `410` reports its differences).
   */
  onEvent?: (event: CacheEvent<T>) => void;
  /** Connect timeout of a watch, and the default wait of `sync()`. */
  timeoutMs: number;
  /** Server-side watch timeout; default: a random 30–60 min per watch, as the API server picks by default. */
  watchTimeoutSeconds?: () => number;
  /** A watch that delivers nothing (no event, no bookmark) for this long is taken for dead (default 10 min). */
  silenceMs?: number;
  /** Backoff after a failure (default {@link WATCH_BACKOFF}). */
  backoff?: BackoffOptions;
  /** Where failures and recoveries are logged (the first failure in a row as a warning). */
  logger?: Logger;
}

/** A running informer. */
export interface Informer<T> {
  status(): CacheStatus;
  /** The cached objects (slim): all of them, or those of one namespace. */
  items(namespace?: string): T[];
  /** One cached object by name (in `namespace`; default the informer's own). */
  get(name: string, namespace?: string | null): T | undefined;
  /**
   * When out of sync, tries again now (skipping the backoff) and resolves once that attempt
   * succeeded or failed, or after `timeoutMs`; resolves at once when in sync.
   */
  sync(timeoutMs?: number): Promise<void>;
  /** Ends the watch and every retry. */
  stop(): void;
}

/**
 * Lists a whole collection a page at a time, as client-go's pager: `pageSize` items per request,
 * following `metadata.continue`. Each page's items go through `map` at once (undefined drops one), so
 * only one raw page is held. A continue token that expired (`410`) restarts the list once; resolves
 * with the kept items and the list's resourceVersion.
 */
export async function listAll<Raw, T>(list: ListPageFn<Raw>, pageSize: number, map: (raw: Raw) => T | undefined): Promise<{ items: T[]; resourceVersion: string }> {
  for (let restarts = 0; ; restarts++) {
    const items: T[] = [];
    let resourceVersion = '';
    let token: string | undefined;
    try {
      do {
        const page: ListPage<Raw> = await list({ limit: pageSize, ...(token === undefined ? {} : { continue: token }) });
        for (const raw of page.items ?? []) {
          const item = map(raw);
          if (item !== undefined) items.push(item);
        }
        // Every page of one list is read at the first page's resourceVersion.
        if (token === undefined) resourceVersion = page.metadata?.resourceVersion ?? '';
        const next = page.metadata?.continue || undefined;
        if (next !== undefined && next === token) throw new Error('list: the API server sent the same continue token twice');
        token = next;
      } while (token !== undefined);
      return { items, resourceVersion };
    } catch (err) {
      // The list took longer than the API server keeps its snapshot: read it again from the start.
      if (token === undefined || restarts > 0 || httpStatusOf(err) !== 410) throw err;
    }
  }
}

/** Starts an informer: its first list begins at once. */
export function startInformer<Raw extends KubeObject, T extends KubeObject>(o: InformerOptions<Raw, T>): Informer<T> {
  /** The cache, by namespace ('' for cluster-scoped objects) then name, so a namespace's objects are read without a scan. */
  const objects = new Map<string, Map<string, T>>();
  const keep = o.keep ?? (() => true);
  const backoff = createBackoff(o.backoff ?? WATCH_BACKOFF);
  const shortWatchMs = o.backoff?.shortWatchMs ?? SHORT_WATCH_MS;
  const pageSize = o.pageSize ?? LIST_PAGE_SIZE;
  const { min, max } = WATCH_TIMEOUT_SECONDS;
  const watchTimeout = o.watchTimeoutSeconds ?? (() => min + Math.floor(Math.random() * (max - min)));
  const silenceMs = o.silenceMs ?? 600_000;
  let resourceVersion = '';
  let inSync = false;
  /** In sync at least once: from then on, what the cache applies is news. */
  let primed = false;
  let error: CacheStatus['error'] = null;
  /** Failures since the cache was last in sync: while any, a new watch must prove itself. */
  let failures = 0;
  let stopped = false;
  let abortWatch: (() => void) | null = null;
  let skipWait: (() => void) | null = null;
  const attemptDone = new Set<() => void>();

  const count = () => [...objects.values()].reduce((n, here) => n + here.size, 0);
  const status = (): CacheStatus => ({ kind: o.kind, namespace: o.namespace, path: o.path, inSync, resourceVersion, error, objects: count() });
  const settle = () => {
    for (const resolve of attemptDone) resolve();
    attemptDone.clear();
  };
  const markInSync = () => {
    if (failures > 0) o.logger?.info({ path: o.path, failures }, `kube: the cache of ${o.path} is in sync again`);
    inSync = true;
    primed = true;
    error = null;
    failures = 0;
    settle();
  };
  const markFailed = (err: unknown, retryInMs: number) => {
    inSync = false;
    error = { message: describeKubeError(err, o.timeoutMs), status: httpStatusOf(err) };
    failures++;
    const fields = { path: o.path, error: error.message, failures, retryInMs: Math.round(retryInMs) };
    // One warning when a cache falls out of sync; the retries that follow are debug noise.
    if (failures === 1) o.logger?.warn(fields, `kube: the cache of ${o.path} is out of sync: ${error.message}`);
    else o.logger?.debug(fields, `kube: the cache of ${o.path} is still out of sync`);
    settle();
  };
  const report = (event: CacheEvent<T>) => {
    if (primed) o.onEvent?.(event);
  };

  const namespaceOf = (obj: KubeObject) => obj.metadata?.namespace ?? '';
  const nameOf = (obj: KubeObject) => obj.metadata?.name ?? '';
  const held = (obj: KubeObject) => objects.get(namespaceOf(obj))?.get(nameOf(obj));
  const put = (obj: T) => {
    let here = objects.get(namespaceOf(obj));
    if (!here) objects.set(namespaceOf(obj), (here = new Map()));
    here.set(nameOf(obj), obj);
  };
  const remove = (obj: KubeObject) => {
    const here = objects.get(namespaceOf(obj));
    here?.delete(nameOf(obj));
    if (here?.size === 0) objects.delete(namespaceOf(obj));
  };

  async function relist(): Promise<void> {
    const list = await listAll(o.list, pageSize, (raw) => {
      const object = o.slim(raw);
      return keep(object) ? object : undefined;
    });
    if (stopped) return;
    const seen = new Set<T>();
    for (const object of list.items) {
      seen.add(object);
      const previous = held(object);
      put(object);
      if (!previous) report({ type: 'added', object });
      else if (previous.metadata?.resourceVersion !== object.metadata?.resourceVersion) report({ type: 'modified', object, previous });
    }
    for (const here of [...objects.values()]) {
      for (const object of [...here.values()]) {
        if (seen.has(object)) continue;
        remove(object);
        report({ type: 'deleted', object });
      }
    }
    resourceVersion = list.resourceVersion;
  }

  /** Watches until the stream ends; resolves with why it ended: null for a clean end after a real watch. */
  async function watchOnce(): Promise<unknown> {
    let streamError: unknown = null;
    let ended: (err: unknown) => void = () => undefined;
    const end = new Promise<unknown>((resolve) => (ended = resolve));
    let finished = false;
    let events = 0;
    const timeoutSeconds = watchTimeout();
    // As client-go, timed from the request: some proxies send the headers only with the first event.
    const started = Date.now();

    let lastHeard = Date.now();
    const onEvent = (type: string, obj: T & { code?: number }) => {
      lastHeard = Date.now();
      if (type === 'ERROR') {
        // The API reports an expired resourceVersion inside the stream, then ends it.
        const { code, message } = obj as { code?: number; message?: string };
        streamError = code === 410 ? gone(message) : new Error(`watch error event: ${message ?? 'unknown'} (code ${code ?? '?'})`);
        return;
      }
      events++;
      // An event proves the watch after a failure.
      if (!inSync && abortWatch) markInSync();
      const rv = obj.metadata?.resourceVersion;
      if (rv) resourceVersion = rv;
      if (type === 'BOOKMARK') return;
      const object = o.slim(obj as unknown as Raw);
      // Not ours to keep (another namespace of a cluster-wide watch): only its resourceVersion counted.
      if (!keep(object)) return;
      const previous = held(object);
      if (type === 'DELETED') {
        remove(object);
        report({ type: 'deleted', object });
      } else if (type === 'ADDED' || type === 'MODIFIED') {
        put(object);
        report(previous ? { type: 'modified', object, previous } : { type: 'added', object });
      }
    };

    const connecting = o.watch(
      o.path,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (type, obj) => onEvent(type, obj as T & { code?: number }),
      (err) => {
        finished = true;
        ended(err);
      },
    );
    // A hung API server would never answer the watch: give up on it ourselves, and abort it if it ever connects.
    let connectTimer: NodeJS.Timeout | undefined;
    const connectTimeout = new Promise<'timeout'>((resolve) => (connectTimer = setTimeout(() => resolve('timeout'), o.timeoutMs)));
    const connected = await Promise.race([connecting, connectTimeout]);
    clearTimeout(connectTimer);
    if (connected === 'timeout') {
      void connecting.then((controller) => controller.abort(), () => undefined);
      return Object.assign(new Error('watch did not connect'), { name: 'TimeoutError' });
    }
    // Stopped while connecting: nobody else will end this watch.
    if (stopped) {
      connected.abort();
      return null;
    }
    let proofTimer: NodeJS.Timeout | undefined;
    if (!finished) {
      abortWatch = () => connected.abort();
      // The watch is the cache's source from now on; after a failure it must first show it holds.
      if (failures === 0) markInSync();
      else if (events > 0) markInSync();
      else proofTimer = setTimeout(() => abortWatch && !finished && markInSync(), shortWatchMs);
    }
    // The API server sends a bookmark about every minute and ends the stream after timeoutSeconds;
    // a stream silent for much longer, or not ended in time, is a dead connection nobody told us about.
    const deadline = Date.now() + (timeoutSeconds + 60) * 1000;
    const stallTimer = setInterval(() => {
      const silent = Date.now() - lastHeard > silenceMs;
      if (!silent && Date.now() < deadline) return;
      streamError = new Error(silent ? `watch silent for ${Math.round(silenceMs / 1000)}s` : `watch not ended after ${timeoutSeconds}s`);
      connected.abort();
    }, Math.min(silenceMs, 60_000));
    const err = await end;
    clearInterval(stallTimer);
    clearTimeout(proofTimer);
    abortWatch = null;
    if (httpStatusOf(err) === 410) return gone((err as Error).message);
    if (streamError !== null || err !== null) return streamError ?? err;
    if (events === 0 && Date.now() - started < shortWatchMs) {
      return new Error(`very short watch: it ended within ${shortWatchMs} ms with no event`);
    }
    return null;
  }

  async function run(): Promise<void> {
    while (!stopped) {
      let failure: unknown = null;
      try {
        if (resourceVersion === '') await relist();
        if (stopped) break;
        failure = await watchOnce();
      } catch (err) {
        failure = err;
      }
      if (stopped) break;
      if (failure === null) continue; // a clean end (the server's timeout): watch again from where we are
      // The history no longer reaches our resourceVersion: what we hold may miss changes, list again.
      if (httpStatusOf(failure) === 410) resourceVersion = '';
      const delay = backoff.next();
      markFailed(failure, delay);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        skipWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      skipWait = null;
    }
  }
  run().catch((err: unknown) => {
    // Not expected (every step above is caught); a cache that stops trying must say so.
    inSync = false;
    error = { message: `informer stopped: ${String(err)}`, status: null };
    o.logger?.error({ path: o.path, err }, `kube: the cache of ${o.path} stopped`);
    settle();
  });

  return {
    status,
    items: (namespace) => (namespace === undefined ? [...objects.values()].flatMap((here) => [...here.values()]) : [...(objects.get(namespace)?.values() ?? [])]),
    get: (name, namespace = o.namespace) => objects.get(namespace ?? '')?.get(name),
    async sync(timeoutMs = o.timeoutMs) {
      if (inSync || stopped) return;
      let timer: NodeJS.Timeout | undefined;
      const attempt = new Promise<void>((resolve) => attemptDone.add(resolve));
      skipWait?.();
      await Promise.race([attempt, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
    stop() {
      stopped = true;
      abortWatch?.();
      skipWait?.();
      settle();
    },
  };
}

/** The `410 Gone` of a watch whose resourceVersion the API server's history no longer reaches. */
function gone(message: string | undefined): Error {
  return Object.assign(new Error(message || 'Gone'), { statusCode: 410 });
}

/** The HTTP status of a failed list (ApiException) or watch (`statusCode`), or null for network errors. */
function httpStatusOf(err: unknown): number | null {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : null;
}
