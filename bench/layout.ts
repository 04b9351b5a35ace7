/** The synthetic cluster of the scale scenario: targets spread evenly over nodes and namespaces. */

/** One target of the layout: a Deployment pinned to a node. */
export interface LayoutTarget {
  name: string;
  namespace: string;
  node: string;
}

/** Nodes and targets; the first target is `frigate` on `node-a`, the one reaction times are measured on. */
export interface Layout {
  nodes: string[];
  namespaces: string[];
  targets: LayoutTarget[];
}

/** Size of the synthetic cluster. */
export interface LayoutSize {
  targets: number;
  nodes: number;
  namespaces: number;
}

/** Builds the layout: target i runs on node i mod nodes, in namespace i mod namespaces. */
export function buildLayout(size: LayoutSize): Layout {
  const pad = (i: number, width: number) => String(i).padStart(width, '0');
  const nodes = Array.from({ length: size.nodes }, (_, i) => (i === 0 ? 'node-a' : `node-${pad(i, 2)}`));
  const namespaces = Array.from({ length: size.namespaces }, (_, i) => `ns-${pad(i, 2)}`);
  const targets = Array.from({ length: size.targets }, (_, i) => ({
    name: i === 0 ? 'frigate' : `svc-${pad(i, 4)}`,
    namespace: namespaces[i % namespaces.length]!,
    node: nodes[i % nodes.length]!,
  }));
  return { nodes, namespaces, targets };
}
