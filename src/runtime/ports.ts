import type { TargetConfig } from '../config/types.js';
import type { ClusterSnapshot, Observation } from '../core/types.js';

/** Reads the cluster once per cycle (the Kubernetes adapter). */
export interface ClusterReader {
  snapshot(targets: TargetConfig[], now: number): Promise<ClusterSnapshot>;
  /** Calls `listener` when the cluster changed in a way worth a cycle now (readers that watch). */
  onChange?(listener: (reason: string) => void): () => void;
  /** Stops watching (the app is closing); a later snapshot starts again. */
  close?(): Promise<void>;
}

/** Carries out a restart the gate allowed (the Kubernetes adapter). */
export interface Restarter {
  restart(target: TargetConfig, now: number): Promise<void>;
}

/** Probes every target against a snapshot, with bounded concurrency. */
export type Prober = (targets: TargetConfig[], snapshot: ClusterSnapshot) => Promise<Observation[]>;

export type { Clock } from '../core/types.js';
