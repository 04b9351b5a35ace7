import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppsV1Api, AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { createKubeSimulator, isAllowed, type KubeSimulator, type SimRbacRule } from '../../src/sim/kube/index.js';

let sim: KubeSimulator;
let kc: KubeConfig;

beforeEach(async () => {
  sim = createKubeSimulator();
  await sim.start();
  kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig());
  sim.addNode('node-a');
  sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
  sim.addDeployment({ namespace: 'home', name: 'hass', node: 'node-a' });
});
afterEach(async () => {
  await sim.stop();
});

// What deploy/rbac-watch-nvr.yaml and rbac-nodes.yaml grant, in the simulator's terms.
const NVR_ONLY: SimRbacRule[] = [
  { verbs: ['get', 'list', 'watch'], resources: ['nodes'] },
  { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['nvr'] },
  { verbs: ['get', 'list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments'], namespaces: ['nvr'] },
  { verbs: ['get', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['stormguard'], namespaces: ['stormguard'] },
];

async function review(verb: string, resource: string, o: { group?: string; namespace?: string; name?: string } = {}): Promise<boolean> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  const answer = await api.createSelfSubjectAccessReview({
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, resource, group: o.group ?? '', namespace: o.namespace, name: o.name } } },
  });
  return answer.status?.allowed ?? false;
}

/** The ApiException a refused call rejects with. */
async function refusal(call: Promise<unknown>): Promise<{ code: number; body: string }> {
  try {
    await call;
  } catch (err) {
    return err as { code: number; body: string };
  }
  throw new Error('expected the call to be refused');
}

describe('kube simulator: RBAC', () => {
  it('allows everything while no rules are set (the default)', async () => {
    expect(await review('delete', 'pods', { namespace: 'home' })).toBe(true);
    await expect(kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'home' })).resolves.toBeDefined();
  });

  it('answers SelfSubjectAccessReview from the rules: namespace, verb, group and resource name all count', async () => {
    sim.setRbac(NVR_ONLY);
    expect(await review('list', 'pods', { namespace: 'nvr' })).toBe(true);
    expect(await review('list', 'pods', { namespace: 'home' })).toBe(false);
    expect(await review('delete', 'pods', { namespace: 'nvr' })).toBe(false);
    expect(await review('patch', 'deployments', { group: 'apps', namespace: 'nvr' })).toBe(true);
    expect(await review('patch', 'deployments', { namespace: 'nvr' })).toBe(false); // core group, not apps
    expect(await review('watch', 'nodes')).toBe(true);
    expect(await review('update', 'leases', { group: 'coordination.k8s.io', namespace: 'stormguard', name: 'stormguard' })).toBe(true);
    expect(await review('update', 'leases', { group: 'coordination.k8s.io', namespace: 'stormguard', name: 'other' })).toBe(false);
    // resourceNames never match a request without a name, as in Kubernetes.
    expect(await review('list', 'leases', { group: 'coordination.k8s.io', namespace: 'stormguard' })).toBe(false);
  });

  it('refuses requests outside the rules with 403 Forbidden naming the verb, resource and namespace', async () => {
    sim.setRbac(NVR_ONLY);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await expect(core.listNamespacedPod({ namespace: 'nvr' })).resolves.toBeDefined();
    const refused = await refusal(core.listNamespacedPod({ namespace: 'home' }));
    expect(refused.code).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: 'pods is forbidden: User "system:serviceaccount:stormguard:stormguard" cannot list resource "pods" in API group "" in the namespace "home"',
    });
    // Forbidden comes before not-found: a refused read never reveals whether the object exists.
    const hidden = await refusal(apps.readNamespacedDeployment({ namespace: 'home', name: 'no-such' }));
    expect(hidden.code).toBe(403);
    const patch = await refusal(apps.patchNamespacedDeployment({ namespace: 'home', name: 'hass', body: {} }));
    expect(patch.code).toBe(403);
    expect(sim.restarts).toEqual([]);
  });

  it('refuses a cluster-wide list or watch to a namespaced Role, and answers the cluster-wide review from the rules, as the API does', async () => {
    sim.setRbac(NVR_ONLY);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    expect(await review('list', 'pods')).toBe(false);
    expect(await review('watch', 'deployments', { group: 'apps' })).toBe(false);
    const refused = await refusal(core.listPodForAllNamespaces());
    expect(refused.code).toBe(403);
    expect(JSON.parse(refused.body).message).toBe('pods is forbidden: User "system:serviceaccount:stormguard:stormguard" cannot list resource "pods" in API group "" at the cluster scope');
    expect((await refusal(apps.listDeploymentForAllNamespaces())).code).toBe(403);
    expect(sim.serves('/api/v1/pods')).toBe(false);

    // A ClusterRole (no namespaces) grants it everywhere: the cluster-wide list holds every namespace.
    sim.setRbac([...NVR_ONLY, { verbs: ['list', 'watch'], resources: ['pods'] }, { verbs: ['list', 'watch'], apiGroups: ['apps'], resources: ['deployments'] }]);
    expect(await review('list', 'pods')).toBe(true);
    expect(await review('watch', 'deployments', { group: 'apps' })).toBe(true);
    expect(await review('watch', 'statefulsets', { group: 'apps' })).toBe(false);
    expect((await apps.listDeploymentForAllNamespaces()).items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`)).toEqual(['home/hass', 'nvr/frigate']);
    expect(sim.serves('/api/v1/pods')).toBe(true);
    expect(sim.serves('/apis/apps/v1/statefulsets')).toBe(false);
  });

  it('grants verbs exactly (list is not watch) and "*" matches anything', () => {
    const rules: SimRbacRule[] = [{ verbs: ['list'], resources: ['pods'], namespaces: ['nvr'] }];
    expect(isAllowed(rules, { verb: 'list', group: '', resource: 'pods', namespace: 'nvr' })).toBe(true);
    expect(isAllowed(rules, { verb: 'watch', group: '', resource: 'pods', namespace: 'nvr' })).toBe(false);
    expect(isAllowed([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], { verb: 'watch', group: 'apps', resource: 'daemonsets', namespace: 'x' })).toBe(true);
  });

  it('says a cache of a collection is served only when the rules allow listing and watching it', () => {
    sim.setRbac([
      { verbs: ['list', 'watch'], resources: ['nodes'] },
      { verbs: ['list', 'watch'], resources: ['pods'], namespaces: ['nvr'] },
      { verbs: ['list'], resources: ['pods'], namespaces: ['home'] }, // no watch: an informer cannot keep it
    ]);
    expect(sim.serves('/api/v1/nodes')).toBe(true);
    expect(sim.serves('/api/v1/namespaces/nvr/pods')).toBe(true);
    expect(sim.serves('/api/v1/namespaces/home/pods')).toBe(false);
    expect(sim.serves('/api/v1/namespaces/media/pods')).toBe(false);
    expect(sim.serves('/apis/apps/v1/namespaces/nvr/deployments')).toBe(false);
    sim.setRbac(null);
    expect(sim.serves('/apis/apps/v1/namespaces/nvr/deployments')).toBe(true);
  });
});
