/** Which caches and verbs a set of targets needs in each watch scope, and the rule that picks the scope. */
import { describe, expect, it } from 'vitest';
import { accessFor, clusterWideReads, collectionPath, collectionsFor, decideWatchScope } from '../../src/adapters/kube/access.js';
import type { TargetConfig } from '../../src/config/types.js';
import { target } from '../core/fixtures.js';

const targets: TargetConfig[] = [
  target('frigate', { namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } }),
  target('mqtt', { namespace: 'nvr', workload: { kind: 'Pods', selector: 'app=mqtt' } }),
  target('hass', { namespace: 'home', workload: { kind: 'StatefulSet', name: 'hass' } }),
];

describe('decideWatchScope', () => {
  it.each([
    ['namespaces', 50, true, 'namespaces', 'kubernetes.watchScope is namespaces'],
    ['cluster', 1, false, 'cluster', 'kubernetes.watchScope is cluster'],
    ['auto', 0, null, 'namespaces', 'the targets live in no namespace'],
    ['auto', 1, true, 'namespaces', 'the targets live in one namespace'],
    ['auto', 2, true, 'cluster', 'the targets span 2 namespaces and cluster-wide list/watch of pods and workloads is allowed'],
    ['auto', 2, false, 'namespaces', 'the targets span 2 namespaces, but cluster-wide list/watch of pods and workloads is not allowed'],
    ['auto', 2, new Error('HTTP 500'), 'namespaces', 'could not ask whether cluster-wide list/watch is allowed: HTTP 500'],
  ] as const)('%s with %i namespaces, cluster-wide reads allowed: %s → %s', (setting, namespaces, allowed, scope, reason) => {
    expect(decideWatchScope(setting, namespaces, allowed)).toEqual({ scope, reason });
  });
});

describe('collectionsFor and accessFor', () => {
  it('per namespace: pods and the used kinds in each namespace', () => {
    expect(collectionsFor(targets, 'namespaces').map(collectionPath)).toEqual([
      '/api/v1/nodes',
      '/api/v1/namespaces/home/pods',
      '/apis/apps/v1/namespaces/home/statefulsets',
      '/api/v1/namespaces/nvr/pods',
      '/apis/apps/v1/namespaces/nvr/deployments',
    ]);
  });

  it('cluster-wide: pods and each used kind once, whatever the namespaces; writes stay namespaced', () => {
    expect(collectionsFor(targets, 'cluster').map(collectionPath)).toEqual(['/api/v1/nodes', '/api/v1/pods', '/apis/apps/v1/deployments', '/apis/apps/v1/statefulsets']);
    const described = (needs: ReturnType<typeof accessFor>) => needs.map((n) => `${n.namespace ?? '*'} ${n.verb} ${n.resource}${n.subresource ? `/${n.subresource}` : ''}`);
    expect(described(accessFor(targets, 'cluster'))).toEqual([
      '* list nodes',
      '* watch nodes',
      '* list pods',
      '* watch pods',
      '* list events',
      '* watch events',
      '* list deployments',
      '* watch deployments',
      '* list statefulsets',
      '* watch statefulsets',
      'home patch statefulsets',
      // The failing container's log (diagnosis.logs, on by default): get only, only where targets live.
      'home get pods/log',
      'nvr patch deployments',
      'nvr delete pods',
      'nvr get pods/log',
    ]);
    expect(described(accessFor(targets, 'namespaces', { logs: false })).filter((n) => n.includes('log'))).toEqual([]);
    expect(clusterWideReads(targets).map((n) => `${n.verb} ${n.resource}`)).toEqual(['list pods', 'watch pods', 'list deployments', 'watch deployments', 'list statefulsets', 'watch statefulsets']);
  });

  it('no targets: only the nodes, in either scope', () => {
    expect(collectionsFor([], 'cluster')).toEqual([{ kind: 'Node', namespace: null }]);
    expect(collectionsFor([], 'namespaces')).toEqual([{ kind: 'Node', namespace: null }]);
  });
});
