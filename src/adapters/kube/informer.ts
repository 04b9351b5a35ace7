/**
 * One informer: a local cache of one collection (nodes, or one kind in one or every namespace) kept
 * current by list-then-watch, the pattern of client-go's reflector and client-node's `ListWatch`.
 *
 * Written by hand on client-node's `Watch` because client-node 1.4's `ListWatch` does not fit:
 * after any error but a 410 it calls its `error` callbacks and stops for good (the caller must
 * restart it), it has no notion of "in sync" (its `connect` event fires before the list, and nothing
 * fires when a watch is established), it never asks for bookmarks or a server-side timeout, and its
 * watch has no connect timeout, so a hung API server would hang it silently.
 *
 * Here: list (fresh `resourceVersion`), then watch from it with bookmarks and a randomised
 * `timeoutSeconds` of 30–60 minutes (what the API server picks by default); a stream that brings
 * nothing, not even the API server's minutely bookmark, for 10 minutes is taken for a dead connection. A clean end of the
 * stream re-watches from the last resourceVersion; `410 Gone` (an HTTP 410, or an `ERROR` event of
 * code 410 inside the stream) relists at once; any other failure marks the cache out of sync and
 * retries with exponential backoff (0.5 s doubling to 30 s, with jitter). `sync()` skips the wait.
 */
import { ApiException, type Watch } from './clientNode.js';
import type { SourceStatus } from '../../core/types.js';
import { describeKubeError } from './errors.js';
import type { KubeObject } from './slim.js';

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

/** How an informer reads and watches its collection. */
export interface InformerOptions<Raw extends KubeObject, T extends KubeObject> {
  kind: string;
  namespace: string | null;
  path: string;
  /** The list call (client-node's typed API, with its request timeout). */
  list: () => Promise<{ items: Raw[]; metadata?: { resourceVersion?: string } }>;
  watch: Watch;
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
  /** Backoff after a failure (default 500 ms doubling up to 30 s). */
  backoff?: { initialMs: number; maxMs: number };
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

/** Starts an informer: its first list begins at once. */
export function startInformer<Raw extends KubeObject, T extends KubeObject>(o: InformerOptions<Raw, T>): Informer<T> {
  /** The cache, by namespace ('' for cluster-scoped objects) then name, so a namespace's objects are read without a scan. */
  const objects = new Map<string, Map<string, T>>();
  const keep = o.keep ?? (() => true);
  const backoff = o.backoff ?? { initialMs: 500, maxMs: 30_000 };
  const { min, max } = WATCH_TIMEOUT_SECONDS;
  const watchTimeout = o.watchTimeoutSeconds ?? (() => min + Math.floor(Math.random() * (max - min)));
  const silenceMs = o.silenceMs ?? 600_000;
  let resourceVersion = '';
  let inSync = false;
  /** In sync at least once: from then on, what the cache applies is news. */
  let primed = false;
  let error: CacheStatus['error'] = null;
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
    inSync = true;
    primed = true;
    error = null;
    failures = 0;
    settle();
  };
  const markFailed = (err: unknown) => {
    inSync = false;
    error = { message: describeKubeError(err, o.timeoutMs), status: httpStatusOf(err) };
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
    const list = await o.list();
    const seen = new Set<T>();
    for (const raw of list.items) {
      const object = o.slim(raw);
      if (!keep(object)) continue;
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
    resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  /** Watches until the stream ends; resolves with how it ended. */
  async function watchOnce(): Promise<{ gone: boolean; err: unknown }> {
    let gone = false;
    let streamError: unknown = null;
    let ended: (err: unknown) => void = () => undefined;
    const end = new Promise<unknown>((resolve) => (ended = resolve));
    let finished = false;
    const timeoutSeconds = watchTimeout();

    let lastHeard = Date.now();
    const onEvent = (type: string, obj: T & { code?: number }) => {
      lastHeard = Date.now();
      if (type === 'ERROR') {
        // The API reports an expired resourceVersion inside the stream, then ends it.
        if (obj.code === 410) gone = true;
        else streamError = new Error(`watch error event: ${(obj as { message?: string }).message ?? 'unknown'} (code ${obj.code ?? '?'})`);
        return;
      }
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

    const connecting = o.watch.watch(
      o.path,
      { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      (type, obj) => onEvent(type, obj as T & { code?: number }),
      (err) => {
        finished = true;
        ended(err);
      },
    );
    // client-node's watch has no connect timeout: give up on it ourselves, and abort it if it ever connects.
    let connectTimer: NodeJS.Timeout | undefined;
    const connectTimeout = new Promise<'timeout'>((resolve) => (connectTimer = setTimeout(() => resolve('timeout'), o.timeoutMs)));
    const connected = await Promise.race([connecting, connectTimeout]);
    clearTimeout(connectTimer);
    if (connected === 'timeout') {
      void connecting.then((controller) => controller.abort(), () => undefined);
      return { gone: false, err: Object.assign(new Error('watch did not connect'), { name: 'TimeoutError' }) };
    }
    // Stopped while connecting: nobody else will end this watch.
    if (stopped) {
      connected.abort();
      return { gone: false, err: null };
    }
    if (!finished) {
      markInSync();
      abortWatch = () => connected.abort();
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
    abortWatch = null;
    if (err && (err as { statusCode?: number }).statusCode === 410) gone = true;
    return { gone, err: gone ? null : (streamError ?? err) };
  }

  async function run(): Promise<void> {
    while (!stopped) {
      let failure: unknown = null;
      try {
        if (resourceVersion === '') {
          await relist();
          if (stopped) break;
          markInSync();
        }
        const { gone, err } = await watchOnce();
        if (stopped) break;
        if (gone) {
          // The history no longer reaches our resourceVersion: what we hold may miss changes.
          resourceVersion = '';
          inSync = false;
          continue;
        }
        failure = err;
      } catch (err) {
        failure = err;
      }
      if (stopped) break;
      if (failure === null) continue; // a clean end (the server's timeout): watch again from where we are
      markFailed(failure);
      failures++;
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay * (0.8 + Math.random() * 0.4));
        skipWait = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      skipWait = null;
    }
  }
  void run();

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

/** The HTTP status of a failed list (ApiException) or watch (`statusCode`), or null for network errors. */
function httpStatusOf(err: unknown): number | null {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : null;
}
