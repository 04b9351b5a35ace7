/**
 * The doctor's Kubernetes checks against the Kubernetes simulator with the real client-node: the API
 * answering, SelfSubjectAccessReview per needed verb per namespace, and each target's workload.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/types.js';
import type { Check } from '../../src/doctor/index.js';
import { checkKubernetes, neededAccess } from '../../src/doctor/kube.js';
import { CLUSTER_WATCH_ACCESS_FIX } from '../../src/core/setup.js';
import { createKubeSimulator, type KubeSimulator, type SimRbacRule } from '../../src/sim/kube/index.js';

let kube: KubeSimulator;
let dir: string;
let kubeconfig: string;

// What deploy/ grants (rbac-nodes, rbac-watch-nvr, rbac-watch-home, rbac-lease), in the simulator's terms.
const DEPLOYED: SimRbacRule[] = [
  { verbs: ['get', 'list', 'watch'], resources: ['nodes'] },
  { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['nvr', 'home'] },
  { verbs: ['list', 'watch'], resources: ['events'], namespaces: ['nvr', 'home'] },
  { verbs: ['get'], resources: ['pods/log'], namespaces: ['nvr', 'home'] },
  { verbs: ['delete'], resources: ['pods'], namespaces: ['nvr'] },
  { verbs: ['get', 'list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], namespaces: ['nvr', 'home'] },
  { verbs: ['get', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['stormguard'], namespaces: ['stormguard'] },
  { verbs: ['create'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['stormguard'] },
  // rbac-maintenance.yaml: kured's DaemonSet by name, and upgrade Plans.
  { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['kured'], namespaces: ['kube-system'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: ['upgrade.cattle.io'], resources: ['plans'] },
];

beforeAll(async () => {
  kube = createKubeSimulator();
  kube.addNode('node-a');
  kube.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
  kube.addStatefulSet({ namespace: 'home', name: 'home-assistant', node: 'node-a' });
  kube.addPod({ namespace: 'nvr', name: 'mosquitto-0', labels: { app: 'mosquitto' }, node: 'node-a' });
  await kube.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-doctor-'));
  kubeconfig = path.join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
});
afterAll(async () => {
  await kube.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  kube.setRbac(DEPLOYED);
  kube.setApiDown(false);
});

function config(targets: unknown[] = TARGETS, watchScope = 'auto'): Config {
  return validateConfig({ kubernetes: { kubeconfig, watchScope }, targets }, 'test.yaml');
}
// What deploy/rbac-watch-cluster.yaml adds: pods, their events and workloads read in every namespace.
const CLUSTER_WIDE_READS: SimRbacRule[] = [
  { verbs: ['get', 'list', 'watch'], resources: ['pods'] },
  { verbs: ['list', 'watch'], resources: ['events'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'] },
];
const TARGETS = [
  { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } },
  { name: 'home-assistant', namespace: 'home', workload: { kind: 'StatefulSet', name: 'home-assistant' } },
  { name: 'mqtt', namespace: 'nvr', workload: { kind: 'Pods', selector: 'app=mosquitto' } },
];
const run = (c = config(), leaseNamespace: string | null = 'stormguard') => checkKubernetes(c, { env: {}, leaseNamespace, timeoutMs: 2000 });
const lines = (checks: Check[]) => checks.map((c) => `${c.status} ${c.title}`);

describe('doctor: Kubernetes', () => {
  it('passes against the RBAC deploy/ grants', async () => {
    const checks = await run();
    expect(lines(checks)).toEqual([
      expect.stringMatching(/^ok the Kubernetes API answers at http:\/\/127\.0\.0\.1:\d+ \(v1\.34\.0\+sim\)$/),
      'ok watch scope: namespaces (one watch per kind per namespace) — the targets span 2 namespaces, but cluster-wide list/watch of pods and workloads is not allowed',
      'ok allowed: cluster-wide: list and watch nodes',
      'ok allowed: namespace home: list/watch pods, list/watch events, list/watch/patch statefulsets.apps, get pods/log',
      'ok allowed: namespace nvr: list/watch pods, list/watch events, list/watch/patch deployments.apps, delete pods, get pods/log',
      'ok allowed: the Lease stormguard in namespace stormguard: get, update, create',
      'ok target frigate: Deployment nvr/frigate exists',
      'ok target home-assistant: StatefulSet home/home-assistant exists',
      'ok target mqtt: 1 pod matches app=mosquitto in nvr',
      "ok kured's reboot lock: no DaemonSet kube-system/kured (kured not installed here; set maintenance.kured if it runs under other names)",
      'ok upgrade Plans: the CRD plans.upgrade.cattle.io is not installed (no system-upgrade-controller), nothing to read',
    ]);
  });

  it('fails when the API does not answer, and stops there', async () => {
    kube.setApiDown(true);
    const checks = await run();
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ status: 'fail', title: expect.stringMatching(/^the Kubernetes API does not answer at .*: /), fix: expect.stringContaining('kubernetes.kubeconfig') });
  });

  it('names each verb that is not allowed in a namespace, with the Role to add', async () => {
    // A namespace added to the configuration without its Role (the mistake deploy/README warns about).
    kube.setRbac(DEPLOYED.map((r) => (r.namespaces?.includes('home') ? { ...r, namespaces: ['nvr'] } : r)));
    const checks = await run();
    const home = checks.find((c) => c.title.includes('namespace home'))!;
    expect(home).toMatchObject({
      status: 'fail',
      title: 'not allowed: list/watch pods, list/watch events, list/watch/patch statefulsets.apps, get pods/log in namespace home',
      fix: expect.stringContaining('a Role and RoleBinding in home'),
    });
    expect(checks.find((c) => c.title.includes('target home-assistant'))).toMatchObject({ status: 'warn' });
  });

  it('fails when a Pods target may not delete pods, and when the Lease cannot be updated', async () => {
    kube.setRbac(DEPLOYED.filter((r) => !r.verbs.includes('delete') && !r.verbs.includes('update')));
    const checks = await run();
    expect(checks.find((c) => c.title.includes('namespace nvr'))).toMatchObject({ status: 'fail', title: 'not allowed: delete pods in namespace nvr' });
    expect(checks.find((c) => c.title.includes('Lease'))).toMatchObject({ status: 'fail', title: 'not allowed: get, update the Lease stormguard in namespace stormguard' });
    // Without a Lease (STORMGUARD_LEASE=off) the Lease is not needed.
    expect((await run(config(), null)).some((c) => c.title.includes('Lease'))).toBe(false);
  });

  it('fails on a target whose workload does not exist, and on a selector that matches no pod', async () => {
    const checks = await run(
      config([
        { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigatte' } },
        { name: 'mqtt', namespace: 'nvr', workload: { kind: 'Pods', selector: 'app=mqtt' } },
      ]),
    );
    expect(checks.find((c) => c.title.includes('target frigate'))).toMatchObject({ status: 'fail', title: 'target frigate: no Deployment frigatte in namespace nvr', fix: expect.stringContaining('targets[0]') });
    expect(checks.find((c) => c.title.includes('target mqtt'))).toMatchObject({ status: 'fail', title: 'target mqtt: no pods in nvr match app=mqtt' });
  });

  it('with cluster-wide reads granted, says the watch scope is cluster and asks for exactly what that scope uses', async () => {
    kube.setRbac([...DEPLOYED, ...CLUSTER_WIDE_READS]);
    const checks = await run();
    expect(lines(checks).slice(1)).toEqual([
      'ok watch scope: cluster (one watch per kind for all namespaces) — the targets span 2 namespaces and cluster-wide list/watch of pods and workloads is allowed',
      'ok allowed: cluster-wide: list and watch nodes',
      'ok allowed: cluster-wide: list/watch pods, list/watch events, list/watch deployments.apps, list/watch statefulsets.apps',
      'ok allowed: namespace home: patch statefulsets.apps, get pods/log',
      'ok allowed: namespace nvr: patch deployments.apps, delete pods, get pods/log',
      'ok allowed: the Lease stormguard in namespace stormguard: get, update, create',
      'ok target frigate: Deployment nvr/frigate exists',
      'ok target home-assistant: StatefulSet home/home-assistant exists',
      'ok target mqtt: 1 pod matches app=mosquitto in nvr',
      "ok kured's reboot lock: no DaemonSet kube-system/kured (kured not installed here; set maintenance.kured if it runs under other names)",
      'ok upgrade Plans: the CRD plans.upgrade.cattle.io is not installed (no system-upgrade-controller), nothing to read',
    ]);
  });

  it('with watchScope cluster and only namespaced Roles, fails the cluster-wide reads with the ClusterRole to apply', async () => {
    const checks = await run(config(TARGETS, 'cluster'));
    expect(checks.find((c) => c.title.startsWith('watch scope'))).toMatchObject({ status: 'ok', title: expect.stringContaining('kubernetes.watchScope is cluster') });
    expect(checks.find((c) => c.status === 'fail')).toEqual({
      status: 'fail',
      title: 'not allowed: list/watch pods, list/watch events, list/watch deployments.apps, list/watch statefulsets.apps cluster-wide',
      fix: CLUSTER_WATCH_ACCESS_FIX,
    });
    expect(checks.find((c) => c.title.includes('target frigate'))).toMatchObject({ status: 'warn', title: expect.stringContaining('may not list deployments') });
  });

  it('warns when more than 10 namespaces are watched one by one, with the grant that ends it', async () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `web-${i}`, namespace: `ns-${i}`, workload: { kind: 'Deployment', name: `web-${i}` } }));
    const namespaces = many.map((t) => t.namespace);
    kube.setRbac([{ verbs: ['get', 'list', 'watch'], resources: ['nodes'] }, { verbs: ['list', 'watch'], resources: ['pods'], apiGroups: [''], namespaces }, { verbs: ['list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments'], namespaces }]);
    const checks = await run(config(many), null);
    const hint = checks.find((c) => c.status === 'warn');
    expect(hint).toMatchObject({ title: expect.stringMatching(/^watch scope: 11 namespaces cost 11 watches per kind/), fix: expect.stringContaining('deploy/rbac-watch-cluster.yaml') });
    expect((await run(config(many.slice(0, 10)), null)).some((c) => c.status === 'warn' && c.title.startsWith('watch scope'))).toBe(false);
  });

  it('asks for pods/log only with diagnosis.logs on, and says so when the Role lacks it', async () => {
    kube.setRbac(DEPLOYED.filter((r) => !r.resources.includes('pods/log')));
    const refused = await run();
    expect(refused.find((c) => c.title.includes('namespace home'))).toMatchObject({ status: 'fail', title: 'not allowed: get pods/log in namespace home', fix: expect.stringContaining('a Role and RoleBinding in home') });
    const off = await run(validateConfig({ kubernetes: { kubeconfig }, targets: TARGETS, diagnosis: { logs: false } }, 'test.yaml'));
    expect(off.filter((c) => c.status === 'fail')).toEqual([]);
    expect(lines(off).some((l) => l.includes('pods/log'))).toBe(false);
  });

  it('asks for exactly what the bot does: patch only the workload kinds used, delete pods only where a Pods target is', () => {
    const groups = neededAccess(config().targets, 'namespaces', 'stormguard');
    const needs = groups.flatMap((g) => g.needs.map((n) => `${n.namespace ?? '*'} ${n.verb} ${n.resource}`));
    expect(needs).toContain('home patch statefulsets');
    expect(needs).not.toContain('home patch deployments');
    expect(needs).not.toContain('home delete pods');
    expect(needs).toContain('nvr delete pods');
  });
});

describe('doctor: can it read the kured DaemonSet / Plans?', () => {
  it('says both are readable where kured and system-upgrade-controller run', async () => {
    const sim = createKubeSimulator();
    sim.addNode('node-a');
    sim.addDaemonSet({ namespace: 'kube-system', name: 'kured' });
    sim.addPlan({ name: 'server-plan', applying: ['node-a'] });
    await sim.start();
    const file = path.join(dir, 'kubeconfig-signals');
    await sim.writeKubeconfig(file);
    try {
      sim.setRbac(DEPLOYED);
      const checks = await checkKubernetes(validateConfig({ kubernetes: { kubeconfig: file }, targets: [] }, 'test.yaml'), { env: {}, leaseNamespace: null, timeoutMs: 2000 });
      expect(lines(checks).slice(-2)).toEqual(["ok kured's reboot lock: DaemonSet kube-system/kured is readable", 'ok upgrade Plans: plans.upgrade.cattle.io are readable']);
    } finally {
      await sim.stop();
    }
  });

  it('warns, never fails, when they may not be read, naming the verbs and the file to apply; follows maintenance.kured', async () => {
    kube.setRbac(DEPLOYED.filter((r) => !r.namespaces?.includes('kube-system') && !r.resources.includes('plans')));
    const c = validateConfig({ kubernetes: { kubeconfig }, targets: TARGETS, maintenance: { kured: { namespace: 'kured', daemonSet: 'kured-reboot' } } }, 'test.yaml');
    const checks = await run(c);
    expect(checks.slice(-2)).toEqual([
      { status: 'warn', title: "kured's reboot lock: may not get/list/watch DaemonSet kured/kured-reboot, so kured reboots are not recognised as planned maintenance", fix: expect.stringContaining('deploy/rbac-maintenance.yaml') },
      { status: 'warn', title: 'upgrade Plans: may not get/list/watch plans.upgrade.cattle.io, so system-upgrade-controller upgrades are not recognised as planned maintenance', fix: expect.stringContaining('rbac.maintenanceSignals') },
    ]);
    expect(checks.some((check) => check.status === 'fail')).toBe(false);
  });
});
