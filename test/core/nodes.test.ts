import { describe, expect, it } from 'vitest';
import { nodeBlock, nodeOutage } from '../../src/core/nodes.js';
import { node } from './fixtures.js';

describe('nodeBlock and nodeOutage', () => {
  // [facts, blocks a restart (reason), is an outage]
  it.each([
    ['missing', undefined, 'nodeMissing', 'node n is not in the cluster', true],
    ['NotReady', node('n', { ready: 'False' }), 'nodeNotReady', 'node n is NotReady', true],
    ['Unknown', node('n', { ready: 'Unknown' }), 'nodeUnknown', "node n's readiness is Unknown (its kubelet stopped reporting)", true],
    ['NotReady and cordoned', node('n', { ready: 'False', unschedulable: true }), 'nodeNotReady', 'node n is NotReady', true],
    ['cordoned', node('n', { unschedulable: true }), 'nodeCordoned', 'node n is cordoned (maintenance)', false],
    ['Ready', node('n'), null, null, false],
  ] as const)('%s', (_name, facts, reason, message, outage) => {
    const block = nodeBlock('n', facts);
    expect(block).toEqual(reason === null ? null : { node: 'n', reason, message });
    expect(nodeOutage('n', facts)).toEqual(outage ? block : null);
  });
});
