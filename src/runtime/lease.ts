import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LeaseApi, LeaseRecord } from '../adapters/kube/lease.js';
import type { Logger } from '../log.js';
import type { Clock } from './ports.js';

/** Where the Lease is and how it is held. */
export interface LeaseOptions {
  namespace: string;
  name: string;
  /** This instance's holder identity. */
  identity: string;
  /** `leaseDurationSeconds`, in ms: how long a holder that stopped renewing keeps it. */
  durationMs: number;
  /** How often the holder renews and a waiting instance retries (real time). */
  renewMs: number;
}

const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/**
 * The production Lease: `stormguard` in `$POD_NAMESPACE` (else the service account's namespace,
 * else `default`), held by `$POD_NAME` (else the host name) for 30s and renewed every 10s.
 */
export function leaseOptionsFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<LeaseOptions> = {}): LeaseOptions {
  return {
    namespace: env.POD_NAMESPACE || serviceAccountNamespace() || 'default',
    name: 'stormguard',
    identity: env.POD_NAME || hostname(),
    durationMs: 30_000,
    renewMs: 10_000,
    ...overrides,
  };
}

function serviceAccountNamespace(): string | null {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** A running election: `held` says whether this instance leads right now. */
export interface LeaderElection {
  held(): boolean;
  /** Stops renewing and retrying (the Lease stays held until it expires or is released). */
  stop(): Promise<void>;
  /** Hands a held Lease back so the next instance can take it at once; call after `stop`. */
  release(): Promise<void>;
}

/**
 * Takes part in the election: every `renewMs` it claims the Lease — creating it when absent, taking
 * it over when its holder let it expire, renewing it when it is ours — with optimistic concurrency (a
 * 409 means another instance won the race). `onChange` is called whenever `held()` changes. When
 * renewals fail for close to the lease duration, it lets go before another instance could take over,
 * so two instances never act at once. Both durations are measured on a monotonic clock, as client-go
 * does: a holder has let the Lease expire when its record has not changed for the lease duration since
 * this instance saw it change, whatever either wall clock says (steps, or skew between nodes).
 */
export function startLeaderElection(deps: {
  api: LeaseApi;
  options: LeaseOptions;
  /** Wall time written into the Lease (`renewTime`, `acquireTime`) for people and tools. */
  clock: Clock;
  /** Elapsed time in this process, never stepped (default `performance.now`). */
  monotonic?: () => number;
  logger: Logger;
  onChange: (held: boolean) => void;
}): LeaderElection {
  const { api, options, clock, logger } = deps;
  const monotonic = deps.monotonic ?? (() => performance.now());
  /** The other holder's record as last seen, and when it was first seen so (client-go's observedTime). */
  let observed: { record: string; at: number } | null = null;
  const { namespace, name, identity } = options;
  let held = false;
  let lastRenewedAt = 0;
  let running = true;
  let timer: NodeJS.Timeout | null = null;
  let wakeUp: (() => void) | null = null;

  function set(next: boolean, why: string): void {
    if (next === held) return;
    held = next;
    logger.info({ lease: `${namespace}/${name}`, identity, why }, next ? 'lease acquired: leading' : 'lease lost: waiting');
    deps.onChange(next);
  }

  /** One round: `true` when we hold the Lease afterwards, `false` when another instance does. */
  async function claim(now: number): Promise<boolean> {
    const current = await api.getLease(namespace, name);
    const mine = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(options.durationMs / 1000), renewTime: now };
    if (!current) {
      const created = await api.createLease(namespace, name, { resourceVersion: null, ...mine, acquireTime: now, leaseTransitions: 0 });
      return created !== 'conflict';
    }
    const ours = current.holderIdentity === identity;
    if (!ours && current.holderIdentity !== null && !expired(current)) return false;
    const replaced = await api.replaceLease(namespace, name, {
      ...current,
      ...mine,
      acquireTime: ours ? current.acquireTime : now,
      leaseTransitions: ours ? current.leaseTransitions : current.leaseTransitions + 1,
    });
    return replaced !== 'conflict';
  }

  /** Whether another holder let the Lease expire: its record unchanged for the lease duration since we saw it change. */
  function expired(lease: LeaseRecord): boolean {
    if (lease.renewTime === null) return true;
    const record = `${lease.holderIdentity}@${lease.renewTime}`;
    if (observed?.record !== record) observed = { record, at: monotonic() };
    return monotonic() - observed.at > (lease.leaseDurationSeconds ?? 0) * 1000;
  }

  async function round(): Promise<void> {
    const startedAt = monotonic();
    try {
      const ok = await claim(clock());
      if (ok) lastRenewedAt = startedAt;
      set(ok, ok ? 'claimed' : 'held by another instance');
    } catch (err) {
      logger.warn({ lease: `${namespace}/${name}`, err: err instanceof Error ? err.message : String(err) }, 'lease round failed');
      // Fail safe: stop leading one renew period before others may consider the Lease expired.
      if (held && monotonic() - lastRenewedAt >= options.durationMs - options.renewMs) set(false, 'could not renew in time');
    }
  }

  const loop = (async () => {
    while (running) {
      await round();
      if (!running) break;
      await new Promise<void>((resolve) => {
        wakeUp = resolve;
        timer = setTimeout(resolve, options.renewMs);
      });
      if (timer) clearTimeout(timer);
      wakeUp = null;
    }
  })();

  return {
    held: () => held,
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
    },
    async release() {
      if (held) await releaseLease();
      held = false;
    },
  };

  async function releaseLease(): Promise<void> {
    try {
      const current = await api.getLease(namespace, name);
      if (!current || current.holderIdentity !== identity) return;
      // As client-go does: no holder and a renewTime of now, so the next instance may take it at once.
      const released = await api.replaceLease(namespace, name, { ...current, holderIdentity: null, leaseDurationSeconds: 1, renewTime: clock() });
      if (released !== 'conflict') logger.info({ lease: `${namespace}/${name}`, identity }, 'lease released');
    } catch (err) {
      logger.warn({ lease: `${namespace}/${name}`, err: err instanceof Error ? err.message : String(err) }, 'lease release failed; it expires on its own');
    }
  }
}

