/** The watch scope in force: decided once per set of namespaces and kinds, and logged once with why. */
import type { Logger } from 'pino';
import type { TargetConfig, WatchScopeSetting } from '../../config/types.js';
import { collectionsFor, namespacesOf, type ScopeDecision } from './access.js';
import { askWatchScope } from './review.js';
import type { KubeRequest } from './transport.js';

/** The watch scope decided for one set of targets: `key` names their namespaces and kinds, `namespaceList` the namespaces a cluster-wide cache keeps. */
export interface Scoped {
  key: string;
  decision: ScopeDecision;
  namespaces: ReadonlySet<string>;
  namespaceList: string;
}

/** Decides the scope for the targets and remembers the one in force. */
export interface ScopeDecider {
  /** The scope for `wanted`: the one in force when their namespaces and kinds are unchanged, else a new decision. */
  decide(wanted: readonly TargetConfig[]): Promise<Scoped>;
  /** The scope in force; null before the first decision. */
  current(): Scoped | null;
}

/** Creates the decider; under `auto` it asks the cluster's RBAC when the answer matters. */
export function createScopeDecider(o: { request: KubeRequest; setting: WatchScopeSetting; timeoutMs: number; logger?: Logger }): ScopeDecider {
  let scoped: Scoped | null = null;
  /** The decision being made, so snapshots that overlap (a cycle and a command) ask and log once. */
  let deciding: { key: string; promise: Promise<Scoped> } | null = null;

  async function ask(key: string, namespaces: string[], wanted: readonly TargetConfig[]): Promise<Scoped> {
    const decision = await askWatchScope(o.request, o.setting, wanted, o.timeoutMs);
    o.logger?.info({ watchScope: decision.scope, setting: o.setting, namespaces: namespaces.length, reason: decision.reason }, `kube: watching pods and workloads ${decision.scope === 'cluster' ? 'cluster-wide' : 'per namespace'}`);
    return (scoped = { key, decision, namespaces: new Set(namespaces), namespaceList: namespaces.join(',') });
  }

  return {
    decide(wanted) {
      const namespaces = namespacesOf(wanted);
      const key = JSON.stringify([namespaces, collectionsFor(wanted, 'cluster').map((c) => c.kind)]);
      if (scoped?.key === key) return Promise.resolve(scoped);
      if (deciding?.key === key) return deciding.promise;
      const promise = ask(key, namespaces, wanted);
      deciding = { key, promise };
      return promise;
    },
    current: () => scoped,
  };
}
