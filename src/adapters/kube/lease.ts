/** The single-instance Lease (coordination.k8s.io/v1) as plain values: absent and conflict are answers, not errors. */
import type { V1Lease } from '@kubernetes/client-node';
import { ApiException, V1MicroTime } from './clientNode.js';
import { describeKubeError } from './errors.js';
import type { KubeRequest } from './transport.js';

/** A Lease's spec and version, times in epoch milliseconds. */
export interface LeaseRecord {
  /** The version to send back on replace (optimistic concurrency); null for a new Lease. */
  resourceVersion: string | null;
  holderIdentity: string | null;
  leaseDurationSeconds: number | null;
  acquireTime: number | null;
  renewTime: number | null;
  leaseTransitions: number;
}

/** Reads and writes one namespaced Lease. */
export interface LeaseApi {
  /** The Lease, or null when it does not exist. */
  getLease(namespace: string, name: string): Promise<LeaseRecord | null>;
  /** Creates it; `conflict` when another instance created it first. */
  createLease(namespace: string, name: string, record: LeaseRecord): Promise<LeaseRecord | 'conflict'>;
  /** Replaces it at `record.resourceVersion`; `conflict` when it changed since it was read. */
  replaceLease(namespace: string, name: string, record: LeaseRecord): Promise<LeaseRecord | 'conflict'>;
}

/** Lease methods over the API's coordination.k8s.io/v1 leases; other API failures throw, wrapped with context. */
export function createLeaseApi(request: KubeRequest, timeoutMs: number): LeaseApi {
  const leases = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const lease = (namespace: string, name: string) => `${leases(namespace)}/${encodeURIComponent(name)}`;
  const fail = (what: string, namespace: string, name: string, cause: unknown) =>
    new Error(`kube: ${what} of lease ${namespace}/${name} failed: ${describeKubeError(cause, timeoutMs)}`, { cause });
  const code = (err: unknown) => (err instanceof ApiException ? err.code : null);
  return {
    async getLease(namespace, name) {
      try {
        return fromLease(await request<V1Lease>('GET', lease(namespace, name)));
      } catch (err) {
        if (code(err) === 404) return null;
        throw fail('read', namespace, name, err);
      }
    },
    async createLease(namespace, name, record) {
      try {
        return fromLease(await request<V1Lease>('POST', leases(namespace), { body: toLease(name, record) }));
      } catch (err) {
        if (code(err) === 409) return 'conflict';
        throw fail('create', namespace, name, err);
      }
    },
    async replaceLease(namespace, name, record) {
      try {
        return fromLease(await request<V1Lease>('PUT', lease(namespace, name), { body: toLease(name, record) }));
      } catch (err) {
        // 404: deleted since we read it — also someone else's move; the next round re-reads.
        if (code(err) === 409 || code(err) === 404) return 'conflict';
        throw fail('replace', namespace, name, err);
      }
    },
  };
}

function toLease(name: string, r: LeaseRecord): V1Lease {
  const micro = (ms: number | null) => (ms === null ? undefined : new V1MicroTime(ms));
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holderIdentity ?? undefined,
      leaseDurationSeconds: r.leaseDurationSeconds ?? undefined,
      acquireTime: micro(r.acquireTime),
      renewTime: micro(r.renewTime),
      leaseTransitions: r.leaseTransitions,
    },
  };
}

function fromLease(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? null,
    holderIdentity: spec.holderIdentity || null,
    leaseDurationSeconds: spec.leaseDurationSeconds ?? null,
    acquireTime: time(spec.acquireTime),
    renewTime: time(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** MicroTime arrives as its wire string (RFC 3339 with microseconds); a Date is accepted too. */
function time(value: Date | string | undefined): number | null {
  if (value === undefined || value === null) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}
