/**
 * kured's reboot lock, as kured writes it (kubereboot/kured pkg/daemonsetlock/daemonsetlock.go):
 * a JSON annotation, `weave.works/kured-node-lock` by default (cmd/kured/main.go
 * `KuredNodeLockAnnotation`, flag `--lock-annotation`), on kured's own DaemonSet
 * (`--ds-namespace`/`--ds-name`, default `kube-system/kured`).
 *
 * - one owner (`--concurrency` 1), `LockAnnotationValue`:
 *   `{"nodeID":"node-a","metadata":{"unschedulable":false},"created":"2026-…Z","TTL":0}`
 * - several owners, `multiLockAnnotationValue`: `{"maxOwners":2,"locks":[<LockAnnotationValue>…]}`
 *
 * `TTL` is a Go `time.Duration`, so nanoseconds; 0 means the lock never expires (`ttlExpired`).
 * `metadata.unschedulable` records whether the node was already cordoned before kured drained it.
 * While it reboots a node kured may also annotate the node itself with
 * `weave.works/kured-reboot-in-progress` (RFC 3339 time; `KuredRebootInProgressAnnotation`).
 */
import type { ClusterModel } from './model.js';
import { workloadKey } from './model.js';

/** kured's defaults: the DaemonSet that carries the lock, and the annotations. */
export const KURED = {
  namespace: 'kube-system',
  daemonSet: 'kured',
  lockAnnotation: 'weave.works/kured-node-lock',
  rebootAnnotation: 'weave.works/kured-reboot-in-progress',
} as const;

/** One holder of the lock, with kured's JSON field names. */
export interface KuredLockEntry {
  nodeID: string;
  metadata: { unschedulable: boolean };
  created: string;
  TTL: number;
}

/** Options of taking the lock in the simulator. */
export interface SimKuredLockOptions {
  /** The multi-owner form with this `maxOwners` (kured's `--concurrency` > 1); absent: single-owner form. */
  maxOwners?: number;
  /** Lock TTL in milliseconds (written as Go nanoseconds); absent or 0: never expires. */
  ttlMs?: number;
  namespace?: string;
  daemonSet?: string;
  annotation?: string;
}

/**
 * Takes the lock for `nodeID` on the kured DaemonSet, as kured's `Acquire` writes it: the single
 * form replaces any holder; the multi form appends to `locks` and refuses (returns false) when
 * `maxOwners` unexpired holders already hold it.
 */
export function takeKuredLock(m: ClusterModel, nodeID: string, o: SimKuredLockOptions = {}): boolean {
  const w = kuredDaemonSet(m, o);
  const key = o.annotation ?? KURED.lockAnnotation;
  const entry: KuredLockEntry = {
    nodeID,
    metadata: { unschedulable: m.nodes.get(nodeID)?.unschedulable ?? false },
    created: new Date(m.now()).toISOString(),
    TTL: Math.round((o.ttlMs ?? 0) * 1e6),
  };
  if (o.maxOwners === undefined) {
    w.annotations = { ...w.annotations, [key]: JSON.stringify(entry) };
  } else {
    const current = parseMulti(w.annotations[key]);
    const live = current.locks.filter((l) => !(l.TTL > 0 && m.now() >= Date.parse(l.created) + l.TTL / 1e6));
    if (live.length >= o.maxOwners) return false;
    w.annotations = { ...w.annotations, [key]: JSON.stringify({ maxOwners: o.maxOwners, locks: [...live.filter((l) => l.nodeID !== nodeID), entry] }) };
  }
  w.rv = m.bump();
  return true;
}

/** Releases `nodeID`'s hold (kured's `Release`): removes the annotation, or the node's entry of the multi form. */
export function releaseKuredLock(m: ClusterModel, nodeID: string, o: Omit<SimKuredLockOptions, 'maxOwners' | 'ttlMs'> = {}): void {
  const w = kuredDaemonSet(m, o);
  const key = o.annotation ?? KURED.lockAnnotation;
  const raw = w.annotations[key];
  if (raw === undefined) return;
  const parsed = JSON.parse(raw) as { nodeID?: string; maxOwners?: number };
  const next = { ...w.annotations };
  if (parsed.maxOwners !== undefined) {
    const multi = parseMulti(raw);
    next[key] = JSON.stringify({ maxOwners: multi.maxOwners, locks: multi.locks.filter((l) => l.nodeID !== nodeID) });
  } else if (parsed.nodeID === nodeID) {
    delete next[key];
  } else {
    return;
  }
  w.annotations = next;
  w.rv = m.bump();
}

function kuredDaemonSet(m: ClusterModel, o: { namespace?: string; daemonSet?: string }) {
  const ns = o.namespace ?? KURED.namespace;
  const name = o.daemonSet ?? KURED.daemonSet;
  const w = m.workloads.get(workloadKey('DaemonSet', ns, name));
  if (!w) throw new Error(`kube simulator: no DaemonSet ${ns}/${name} (addDaemonSet it first: kured runs on every node)`);
  return w;
}

function parseMulti(raw: string | undefined): { maxOwners: number; locks: KuredLockEntry[] } {
  if (raw === undefined) return { maxOwners: 0, locks: [] };
  const v = JSON.parse(raw) as { maxOwners?: number; locks?: KuredLockEntry[] | null };
  return { maxOwners: v.maxOwners ?? 0, locks: v.locks ?? [] };
}
