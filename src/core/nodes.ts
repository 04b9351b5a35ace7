/**
 * Which node states refuse a restart, and the sentence people read about each — one owner for the
 * gate (refusing restarts) and the plan (opening node incidents).
 */
import type { NodeFacts } from './types.js';

/** Why a node refuses restarts; also the gate's reason ids for these cases. */
export type NodeBlockReason = 'nodeMissing' | 'nodeNotReady' | 'nodeUnknown' | 'nodeCordoned';

/** A node that refuses restarts: which node, why (stable id), and a sentence for people. */
export interface NodeBlock {
  node: string;
  reason: NodeBlockReason;
  message: string;
}

/**
 * Why no restart may run on node `name` now: missing, NotReady, readiness Unknown, or cordoned
 * (maintenance); null when it is Ready and schedulable. `node` undefined means the cluster has no such node.
 */
export function nodeBlock(name: string, node: NodeFacts | undefined): NodeBlock | null {
  if (!node) return { node: name, reason: 'nodeMissing', message: `node ${name} is not in the cluster` };
  if (node.ready === 'False') return { node: name, reason: 'nodeNotReady', message: `node ${name} is NotReady` };
  if (node.ready === 'Unknown') {
    return { node: name, reason: 'nodeUnknown', message: `node ${name}'s readiness is Unknown (its kubelet stopped reporting)` };
  }
  if (node.unschedulable) return { node: name, reason: 'nodeCordoned', message: `node ${name} is cordoned (maintenance)` };
  return null;
}

/**
 * Why node `name` cannot run pods (an outage that opens a node incident), or null. A cordoned node
 * still runs its pods: it refuses restarts but is maintenance, not an outage.
 */
export function nodeOutage(name: string, node: NodeFacts | undefined): NodeBlock | null {
  const block = nodeBlock(name, node);
  return block && block.reason !== 'nodeCordoned' ? block : null;
}
