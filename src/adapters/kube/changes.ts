/**
 * Change detection on the caches' events: what is news at once (a node's readiness, the last ready pod
 * of a watched workload going, a pod that is not ready saying a new reason) and what changed in a workload's pod template ("what changed before it
 * broke").
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { TargetConfig } from '../../config/types.js';
import type { TemplateChange } from '../../core/types.js';
import type { CacheEvent, Informer } from './informer.js';
import { diagnose } from '../../core/diagnosis.js';
import { isPodReady, nodeFacts, podFacts, podSelectorOf, templateChange, type Workload } from './resolve.js';
import { matchesLabels } from './selector.js';
import type { CacheListeners } from './caches.js';

/** What the detector reads of the targets and their caches. */
export interface ChangeSources {
  clock: () => number;
  targets: () => readonly TargetConfig[];
  podCacheOf: (target: TargetConfig) => Informer<V1Pod> | undefined;
  workloadOf: (target: TargetConfig) => Workload | undefined;
}

/** The detector: cache listeners in, reasons to run a cycle and template changes out. */
export interface ChangeDetector {
  listeners: CacheListeners;
  /** Calls `listener` with a reason when something is news; returns the unsubscribe. */
  onChange(listener: (reason: string) => void): () => void;
  /** The latest change of the target's pod template seen through its watch, if any. */
  templateChangeOf(target: TargetConfig): TemplateChange | undefined;
  /** Records whether the target had a ready pod in a snapshot, to notice the last one going. */
  noteReady(target: string, ready: boolean): void;
}

/** Creates the change detector over the targets and their caches. */
export function createChangeDetector(s: ChangeSources): ChangeDetector {
  const listeners = new Set<(reason: string) => void>();
  /** Whether each target had a ready pod when last seen, to notice the last one going. */
  const anyReady = new Map<string, boolean>();
  /**
   * The latest change of each workload's pod template seen through its watch (by `kind/namespace/name`).
   * Kept in memory only — after a restart of stormguard a change made before it is not known, which
   * costs the hint its "new revision" sentence, nothing else.
   */
  const templateChanges = new Map<string, TemplateChange>();

  const emit = (reason: string) => {
    for (const listener of listeners) listener(reason);
  };

  function onNodeEvent(e: CacheEvent<V1Node>): void {
    const before = e.type === 'added' ? undefined : nodeFacts(e.previous ?? e.object).ready;
    const after = e.type === 'deleted' ? 'gone' : nodeFacts(e.object).ready;
    // A node joining Ready is no news; any other change of readiness is.
    if (before === after || (before === undefined && after === 'True')) return;
    emit(`node ${e.object.metadata?.name ?? '?'} Ready ${before ?? 'new'} → ${after}`);
  }

  function onPodEvent(e: CacheEvent<V1Pod>): void {
    const namespace = e.object.metadata?.namespace ?? '';
    for (const target of s.targets()) {
      if (target.namespace !== namespace) continue;
      const pods = s.podCacheOf(target);
      if (!pods) continue;
      const reqs = podSelectorOf(target.workload, s.workloadOf(target));
      if (!reqs) continue;
      const touched = matchesLabels(e.object.metadata?.labels, reqs) || (e.previous !== undefined && matchesLabels(e.previous.metadata?.labels, reqs));
      if (!touched) continue;
      const ready = pods.items(namespace).some((p) => matchesLabels(p.metadata?.labels, reqs) && isPodReady(p));
      const was = anyReady.get(target.name);
      anyReady.set(target.name, ready);
      if (was === true && !ready) emit(`${target.name}: no pod is ready any more`);
      // A pod already not ready that now says why (or says another why): the card should say it now,
      // not at the next probe period. The kubelet's retries (ErrImagePull ⇄ ImagePullBackOff, a crash
      // loop's restarts) keep the same reason and are no news.
      else if (e.type !== 'deleted') {
        const after = podReason(target.name, e.object, s.clock());
        if (after !== null && after !== podReason(target.name, e.previous, s.clock())) emit(`${target.name}: pod ${e.object.metadata?.name ?? '?'} says ${after}`);
      }
    }
  }

  /** Why this one pod is not ready as the diagnosis reads it (`reason/container`), or null when it says nothing. */
  function podReason(target: string, pod: V1Pod | undefined, now: number): string | null {
    if (pod === undefined) return null;
    const found = diagnose(target, { target, found: true, pods: [podFacts(pod)], relevantNodes: [], readyReplicas: 0, desiredReplicas: 1, rolloutInProgress: false }, now);
    return found === null ? null : `${found.reason}${found.container ? ` in ${found.container}` : ''}`;
  }

  function onWorkloadEvent(kind: string, e: CacheEvent<Workload>): void {
    const key = workloadKey(kind, e.object.metadata?.namespace ?? '', e.object.metadata?.name ?? '');
    if (e.type === 'deleted') {
      templateChanges.delete(key);
      return;
    }
    if (e.type !== 'modified' || !e.previous) return;
    const change = templateChange(e.previous, e.object, s.clock());
    if (change) templateChanges.set(key, change);
  }

  return {
    listeners: { node: onNodeEvent, pod: onPodEvent, workload: onWorkloadEvent },
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    templateChangeOf(target) {
      const { workload } = target;
      return workload.kind === 'Pods' ? undefined : templateChanges.get(workloadKey(workload.kind, target.namespace, workload.name));
    },
    noteReady(target, ready) {
      anyReady.set(target, ready);
    },
  };
}

function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
