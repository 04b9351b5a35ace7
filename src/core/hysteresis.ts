import type { Observation, TargetState } from './types.js';

/** The thresholds that turn single observations into a confirmed health change. */
export interface Thresholds {
  failureThreshold: number;
  successThreshold: number;
}

/** The thresholds a target has when its configuration names none (also the Kubernetes API's without targets). */
export const DEFAULT_THRESHOLDS: Readonly<Thresholds> = { failureThreshold: 2, successThreshold: 2 };

/**
 * The Kubernetes API's own thresholds: each the smallest any target uses, so the cluster incident is
 * confirmed (and resolved) no later than the most sensitive target would confirm an outage of its own.
 */
export function clusterThresholds(targets: readonly Thresholds[]): Thresholds {
  if (targets.length === 0) return { ...DEFAULT_THRESHOLDS };
  return {
    failureThreshold: Math.min(...targets.map((t) => t.failureThreshold)),
    successThreshold: Math.min(...targets.map((t) => t.successThreshold)),
  };
}

/** The state of a target never observed before: presumed up, no counters. */
export function initialTargetState(target: string): TargetState {
  return {
    target,
    health: 'up',
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    lastDetail: '',
    lastObservedAt: null,
    lastGateReason: null,
    consecutiveMissing: 0,
  };
}

/**
 * Folds one observation into a target's state: down after `failureThreshold` consecutive failures,
 * up after `successThreshold` consecutive successes; an `unknown` observation changes nothing,
 * because missing data must neither open nor resolve anything.
 */
export function observe(state: TargetState, observation: Observation, thresholds: Thresholds, now: number): TargetState {
  if (observation.result === 'unknown') return state;
  if (observation.result === 'fail') {
    const consecutiveFailures = state.consecutiveFailures + 1;
    return {
      ...state,
      consecutiveFailures,
      consecutiveSuccesses: 0,
      health: consecutiveFailures >= thresholds.failureThreshold ? 'down' : state.health,
      lastDetail: observation.detail,
      lastObservedAt: now,
    };
  }
  const consecutiveSuccesses = state.consecutiveSuccesses + 1;
  return {
    ...state,
    consecutiveFailures: 0,
    consecutiveSuccesses,
    health: consecutiveSuccesses >= thresholds.successThreshold ? 'up' : state.health,
    lastDetail: observation.detail,
    lastObservedAt: now,
  };
}
