/**
 * Alertmanager's API v2, the calls stormguard makes: create or update a silence (`POST /api/v2/silences`),
 * list them (`GET /api/v2/silences`) and expire one (`DELETE /api/v2/silence/{id}`). Credentials go in
 * the Authorization header and never into errors or logs.
 */
import type { Credentials } from '../../config/types.js';
import { basicAuthorization, redactUserinfo, splitUserinfo } from '../../config/urls.js';

/** A silence to create: matchers are Alertmanager's (`isEqual` true: the label must equal the value). */
export interface PostableSilence {
  /**
   * An existing silence to update. Alertmanager updates it in place only when the matchers and the
   * start are unchanged (and it is active); otherwise it expires it and answers with a new id.
   */
  id?: string;
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** A silence as Alertmanager lists it; its state is Alertmanager's, derived from its times. */
export interface ListedSilence {
  id: string;
  state: 'active' | 'pending' | 'expired';
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/** The silence calls stormguard makes to Alertmanager. */
export interface AlertmanagerApi {
  /** Creates the silence and returns its id. */
  createSilence(silence: PostableSilence): Promise<string>;
  /** Expires the silence now (Alertmanager keeps it, expired, for its retention). */
  expireSilence(id: string): Promise<void>;
  /** Every silence Alertmanager holds (expired ones too, for its retention). */
  listSilences(): Promise<ListedSilence[]>;
}

/** Where Alertmanager is and how to authenticate to it. */
export interface AlertmanagerApiOptions {
  url: string;
  credentials?: Credentials;
  timeoutMs?: number;
}

/** A client for Alertmanager's API v2 over fetch. */
export function createAlertmanagerApi(options: AlertmanagerApiOptions): AlertmanagerApi {
  // `user:password@` in the URL is basic auth (fetch refuses such a URL, quoting it in its error);
  // `alertmanager.api`, when set, wins, as `ntfy.token` does over the ntfy URL's.
  const { url, authorization: userinfo } = splitUserinfo(options.url);
  const base = url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  const credentials = options.credentials ? authorization(options.credentials) : userinfo;
  if (credentials) headers.authorization = credentials;

  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new Error(`alertmanager: ${method} ${path} failed: ${redactUserinfo(cause instanceof Error ? cause.message : String(cause))}`, { cause });
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).trim().slice(0, 200);
      throw new Error(`alertmanager: ${method} ${path} answered ${res.status}${text ? `: ${text}` : ''}`);
    }
    return res;
  }

  return {
    async createSilence(silence) {
      const res = await call('POST', '/api/v2/silences', {
        ...(silence.id ? { id: silence.id } : {}),
        matchers: silence.matchers,
        startsAt: new Date(silence.startsAt).toISOString(),
        endsAt: new Date(silence.endsAt).toISOString(),
        createdBy: silence.createdBy,
        comment: silence.comment,
      });
      const json = (await res.json()) as { silenceID?: unknown };
      if (typeof json.silenceID !== 'string' || json.silenceID === '') throw new Error('alertmanager: POST /api/v2/silences answered without a silenceID');
      return json.silenceID;
    },
    async expireSilence(id) {
      await call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
    },
    async listSilences() {
      const json = (await (await call('GET', '/api/v2/silences')).json()) as unknown;
      if (!Array.isArray(json)) throw new Error('alertmanager: GET /api/v2/silences answered without a list');
      return json.map(listedSilence);
    },
  };
}

function authorization(credentials: Credentials): string {
  if ('bearerToken' in credentials) return `Bearer ${credentials.bearerToken}`;
  return basicAuthorization(credentials.username, credentials.password);
}

type RawSilence = { id?: unknown; status?: { state?: unknown }; matchers?: unknown; startsAt?: unknown; endsAt?: unknown; createdBy?: unknown; comment?: unknown };

/** One listed silence, checked: Alertmanager's answer is input like any other. */
function listedSilence(raw: RawSilence): ListedSilence {
  const state = raw.status?.state;
  const startsAt = typeof raw.startsAt === 'string' ? Date.parse(raw.startsAt) : NaN;
  const endsAt = typeof raw.endsAt === 'string' ? Date.parse(raw.endsAt) : NaN;
  if (typeof raw.id !== 'string' || (state !== 'active' && state !== 'pending' && state !== 'expired') || !Array.isArray(raw.matchers) || Number.isNaN(startsAt) || Number.isNaN(endsAt)) {
    throw new Error('alertmanager: GET /api/v2/silences answered a silence stormguard cannot read');
  }
  const matchers = (raw.matchers as Array<{ name?: unknown; value?: unknown; isRegex?: unknown; isEqual?: unknown }>).map((m) => ({
    name: String(m.name),
    value: String(m.value),
    isRegex: m.isRegex === true,
    // Alertmanager before 0.22 has no isEqual: every matcher was an equality.
    isEqual: m.isEqual !== false,
  }));
  return { id: raw.id, state, matchers, startsAt, endsAt, createdBy: String(raw.createdBy ?? ''), comment: String(raw.comment ?? '') };
}
