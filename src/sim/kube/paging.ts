/**
 * Chunked lists, as the API server serves `limit` and `continue`: a list with `limit=n` answers at
 * most n items, and when more remain an opaque `metadata.continue` token (base64 JSON of the list's
 * resourceVersion and the last key, like the real one) and `metadata.remainingItemCount` (left out
 * when a label selector was given, as the API server does). The pages that follow are read from the
 * snapshot the first page was cut from — the consistent list etcd gives at that resourceVersion —
 * until a compaction passes it; then the token is `410 Expired`. A token for another collection or
 * selector, or one that is not a token at all, is `400 BadRequest`.
 */
import { failure } from './status.js';

type Json = Record<string, unknown>;

/** What stays of one paginated list between its pages. */
interface Snapshot {
  /** The collection path and selector the list was for. */
  key: string;
  rv: number;
  /** The items not yet served. */
  rest: Json[];
}

/** Lists left unfinished beyond this many are forgotten (their tokens then get `410`), as etcd forgets old revisions. */
const MAX_SNAPSHOTS = 1000;

/** The paginated lists of one simulator, until compaction. */
export class ListSnapshots {
  private readonly snapshots = new Map<string, Snapshot>();
  /** Lists at a resourceVersion below this one can no longer be continued. */
  private compactedBelow = 0;

  /**
   * The page `query` asks for of `list` (a rendered `…List` with every item, at its resourceVersion):
   * all of it without `limit`; with `continue`, the next page of the list that token belongs to.
   * `key` names the collection and selector. Throws the `Status` the API server would answer.
   */
  page(list: Json, key: string, query: URLSearchParams): Json {
    const limit = parseLimit(query.get('limit'));
    const token = query.get('continue');
    let rv: number;
    let items: Json[];
    if (token) {
      const rvParam = query.get('resourceVersion');
      if (rvParam !== null && rvParam !== '') throw failure(400, 'BadRequest', 'specifying resource version is not allowed when using continue');
      const decoded = decodeToken(token);
      const snapshot = this.snapshots.get(token);
      if (decoded.rv < this.compactedBelow || !snapshot) throw expired();
      if (snapshot.key !== key) throw failure(400, 'BadRequest', 'continue key is not valid: the token was issued for another list');
      this.snapshots.delete(token);
      ({ rv, rest: items } = snapshot);
    } else {
      rv = Number((list.metadata as Json | undefined)?.resourceVersion ?? 0);
      items = list.items as Json[];
    }
    const metadata: Json = { resourceVersion: String(rv) };
    if (limit !== null && items.length > limit) {
      const rest = items.slice(limit);
      items = items.slice(0, limit);
      const last = items.at(-1)?.metadata as Json | undefined;
      const next = encodeToken(rv, `${String(last?.namespace ?? '')}/${String(last?.name ?? '')}`, this.snapshots.size);
      this.snapshots.set(next, { key, rv, rest });
      if (this.snapshots.size > MAX_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value!);
      metadata.continue = next;
      if (!query.get('labelSelector') && !query.get('fieldSelector')) metadata.remainingItemCount = rest.length;
    }
    return { ...list, metadata, items };
  }

  /** A compaction at `rv`: lists begun so far at or below it can no longer be continued; lists begun from now on can. */
  compact(rv: number): void {
    this.compactedBelow = Math.max(this.compactedBelow, rv);
    for (const [token, s] of this.snapshots) if (s.rv <= rv) this.snapshots.delete(token);
  }
}

/** `limit`: a positive integer, or null for "everything" (as the API server reads 0 and absence). */
function parseLimit(text: string | null): number | null {
  if (text === null || text === '') return null;
  if (!/^-?\d+$/.test(text)) throw failure(400, 'BadRequest', `limit: Invalid value: "${text}": must be an integer`);
  const n = Number(text);
  return n > 0 ? n : null;
}

/** The token's form: base64 of `{"v":"meta.k8s.io/v1","rv":…,"start":…}`, the start made unique per list. */
function encodeToken(rv: number, lastKey: string, seq: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000${seq}` })).toString('base64url');
}

function decodeToken(token: string): { rv: number } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown };
    if (parsed.v === 'meta.k8s.io/v1' && typeof parsed.rv === 'number') return { rv: parsed.rv };
  } catch {
    // fall through to the refusal below
  }
  throw failure(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function expired() {
  return failure(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
  );
}
