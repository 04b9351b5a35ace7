/** The single-instance Lease (coordination.k8s.io/v1) as plain values: absent and conflict are answers, not errors. */
import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { describeKubeError } from './errors.js';

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

/** Lease methods over client-node's `CoordinationV1Api`; other API failures throw, wrapped with context. */
export function createLeaseApi(api: CoordinationV1Api, timeoutMs: number): LeaseApi {
  const fail = (what: string, namespace: string, name: string, cause: unknown) =>
    new Error(`kube: ${what} of lease ${namespace}/${name} failed: ${describeKubeError(cause, timeoutMs)}`, { cause });
  const code = (err: unknown) => (err instanceof ApiException ? err.code : null);
  return {
    async getLease(namespace, name) {
      try {
        return fromLease(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (code(err) === 404) return null;
        throw fail('read', namespace, name, err);
      }
    },
    async createLease(namespace, name, record) {
      try {
        return fromLease(await api.createNamespacedLease({ namespace, body: toLease(name, record) }));
      } catch (err) {
        if (code(err) === 409) return 'conflict';
        throw fail('create', namespace, name, err);
      }
    },
    async replaceLease(namespace, name, record) {
      try {
        return fromLease(await api.replaceNamespacedLease({ name, namespace, body: toLease(name, record) }));
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

/** client-node leaves MicroTime as the wire string (it has no deserializer for it), so accept both. */
function time(value: Date | string | undefined): number | null {
  if (value === undefined || value === null) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}
