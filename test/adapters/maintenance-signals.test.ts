import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createKubeAdapter, type KubeAdapter } from '../../src/adapters/kube/index.js';
import { target as configuredTarget } from '../core/fixtures.js';
import { KubeConfig } from '@kubernetes/client-node';
import { createMaintenanceSignals, KURED_DEFAULTS, kuredLockNodes, upgradePlansByNode, type MaintenanceSignals } from '../../src/adapters/kube/maintenanceSignals.js';
import { createKubeRequest, createKubeWatch } from '../../src/adapters/kube/transport.js';
import { createKubeSimulator, SIM_RESYNC_BACKOFF, waitForCaches, type KubeSimulator } from '../../src/sim/kube/index.js';

// kured's lock and system-upgrade-controller's Plans read through the real client transport from the
// simulator over loopback (issue 23).

const T0 = Date.parse('2026-12-07T02:00:00Z');

describe('kuredLockNodes: both of kured’s forms (pkg/daemonsetlock)', () => {
  const hold = (nodeID: string, created = '2026-12-07T02:00:00Z', TTL = 0) => ({ nodeID, metadata: { unschedulable: false }, created, TTL });

  it('single owner', () => {
    expect(kuredLockNodes(JSON.stringify(hold('node-a')), T0)).toEqual(['node-a']);
  });

  it('multi owner', () => {
    expect(kuredLockNodes(JSON.stringify({ maxOwners: 2, locks: [hold('node-a'), hold('node-b')] }), T0)).toEqual(['node-a', 'node-b']);
    expect(kuredLockNodes(JSON.stringify({ maxOwners: 2, locks: [] }), T0)).toEqual([]);
    expect(kuredLockNodes(JSON.stringify({ maxOwners: 2, locks: null }), T0)).toEqual([]);
  });

  it('a hold whose TTL (Go nanoseconds) ran out counts as released, as kured’s ttlExpired; TTL 0 never expires', () => {
    const thirtyMinutes = 30 * 60 * 1e9;
    expect(kuredLockNodes(JSON.stringify(hold('node-a', '2026-12-07T02:00:00Z', thirtyMinutes)), T0 + 29 * 60_000)).toEqual(['node-a']);
    expect(kuredLockNodes(JSON.stringify(hold('node-a', '2026-12-07T02:00:00Z', thirtyMinutes)), T0 + 30 * 60_000)).toEqual([]);
    expect(kuredLockNodes(JSON.stringify({ maxOwners: 2, locks: [hold('node-a', '2026-12-07T02:00:00Z', thirtyMinutes), hold('node-b')] }), T0 + 31 * 60_000)).toEqual(['node-b']);
    expect(kuredLockNodes(JSON.stringify(hold('node-a')), T0 + 365 * 86_400_000)).toEqual(['node-a']);
  });

  it('no annotation, or text that is not kured’s JSON, names nobody', () => {
    for (const text of [undefined, '', 'locked', '[]', '42', '{"nodeID":7}', 'null']) expect(kuredLockNodes(text, T0)).toEqual([]);
  });
});

describe('upgradePlansByNode', () => {
  it('lists each node’s applying Plans by name, sorted', () => {
    const plans = [
      { metadata: { name: 'server-plan' }, status: { applying: ['node-a'] } },
      { metadata: { name: 'agent-plan' }, status: { applying: ['node-a', 'node-b'] } },
      { metadata: { name: 'idle' } },
    ];
    expect(Object.fromEntries(upgradePlansByNode(plans))).toEqual({ 'node-a': ['agent-plan', 'server-plan'], 'node-b': ['agent-plan'] });
  });
});

describe('maintenance signals against the simulator', () => {
  let sim: KubeSimulator;
  let signals: MaintenanceSignals;
  let logs: Array<{ level: number; msg: string }>;
  let clock: number;

  const start = (o: { recheckMs?: number } = {}) => {
    const kc = new KubeConfig();
    kc.loadFromString(sim.kubeconfig());
    logs = [];
    signals = createMaintenanceSignals({
      request: createKubeRequest(kc, 5000),
      watch: createKubeWatch(kc),
      timeoutMs: 5000,
      backoff: SIM_RESYNC_BACKOFF,
      logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) }),
      clock: () => clock,
      ...o,
    });
  };
  const settle = () => waitForCaches(sim, () => signals.caches());

  beforeEach(async () => {
    clock = T0;
    sim = createKubeSimulator({ now: () => clock });
    await sim.start();
    sim.addNode('node-a');
    sim.addNode('node-b');
  });
  afterEach(async () => {
    signals?.stop();
    await sim.stop();
  });

  it('follows kured’s lock on its DaemonSet through a watch by name, in both forms', async () => {
    sim.addDaemonSet({ namespace: 'kube-system', name: 'kured' });
    sim.addDaemonSet({ namespace: 'kube-system', name: 'other' });
    start();
    expect((await signals.read(clock)).kuredLocked).toEqual(new Set());
    // No Plan CRD in this cluster: only kured's cache runs.
    expect(signals.caches().map((c) => c.path)).toEqual(['/apis/apps/v1/namespaces/kube-system/daemonsets?fieldSelector=metadata.name%3Dkured']);

    sim.takeKuredLock('node-a');
    await settle();
    expect((await signals.read(clock)).kuredLocked).toEqual(new Set(['node-a']));

    sim.releaseKuredLock('node-a');
    sim.takeKuredLock('node-a', { maxOwners: 2 });
    sim.takeKuredLock('node-b', { maxOwners: 2 });
    await settle();
    expect((await signals.read(clock)).kuredLocked).toEqual(new Set(['node-a', 'node-b']));
    // Only the one DaemonSet is watched.
    expect(sim.watches().filter((w) => w.resource === 'daemonsets')).toEqual([expect.objectContaining({ namespace: 'kube-system', name: 'kured' })]);
  });

  it('follows Plans’ status.applying', async () => {
    sim.addPlan({ name: 'server-plan', applying: ['node-a'] });
    start();
    expect((await signals.read(clock)).plans).toEqual(new Map([['node-a', ['server-plan']]]));
    sim.setPlanApplying('system-upgrade', 'server-plan', ['node-b']);
    await settle();
    expect((await signals.read(clock)).plans).toEqual(new Map([['node-b', ['server-plan']]]));
    sim.setPlanApplying('system-upgrade', 'server-plan', []);
    await settle();
    expect((await signals.read(clock)).plans).toEqual(new Map());
  });

  it('no Plan CRD: not available, no error, said once; looked for again after the recheck interval (no kured: no lock)', async () => {
    start({ recheckMs: 60_000 });
    // A DaemonSet list by name answers even where kured is not installed: nobody holds the lock.
    for (let i = 0; i < 3; i++) expect(await signals.read(clock)).toEqual({ kuredLocked: new Set(), plans: null });
    const said = logs.filter((l) => /is not available/.test(l.msg));
    expect(said.map((l) => l.msg)).toEqual([expect.stringContaining('upgrade Plans (upgrade.cattle.io/v1) is not available (')]);
    expect(said[0]!.msg).toContain('install system-upgrade-controller');
    expect(signals.caches().map((c) => c.path)).toEqual(['/apis/apps/v1/namespaces/kube-system/daemonsets?fieldSelector=metadata.name%3Dkured']);
    const looks = () => sim.requests.filter((r) => r.path === '/apis/upgrade.cattle.io/v1/plans').length;
    expect(looks()).toBe(1);

    // Installed later: seen at the next look, not before.
    sim.addPlan({ name: 'server-plan', applying: ['node-a'] });
    expect((await signals.read(clock)).plans).toBeNull();
    clock += 60_000;
    expect((await signals.read(clock)).plans).toEqual(new Map([['node-a', ['server-plan']]]));
    expect(logs.filter((l) => /is not available/.test(l.msg))).toHaveLength(1);
    expect(logs.filter((l) => /available again/.test(l.msg))).toHaveLength(1);
  });

  it('refused by RBAC (403): not available, without an error', async () => {
    sim.addDaemonSet({ namespace: 'kube-system', name: 'kured' });
    sim.addPlan({ name: 'server-plan', applying: ['node-a'] });
    sim.takeKuredLock('node-a');
    sim.setRbac([{ verbs: ['get', 'list', 'watch'], resources: ['nodes'] }]);
    start();
    expect(await signals.read(clock)).toEqual({ kuredLocked: null, plans: null });
    expect(logs.filter((l) => /is not available \(.*403|forbidden/i.test(l.msg))).toHaveLength(2);

    // Granted exactly what the deploy/ Role grants: both signals appear at the next look.
    sim.setRbac([
      // By name: the watch's metadata.name field selector is what lets resourceNames grant a list/watch.
      { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['kured'], namespaces: ['kube-system'] },
      { verbs: ['get', 'list', 'watch'], apiGroups: ['upgrade.cattle.io'], resources: ['plans'] },
    ]);
    clock += 10 * 60_000;
    expect(await signals.read(clock)).toEqual({ kuredLocked: new Set(['node-a']), plans: new Map([['node-a', ['server-plan']]]) });
  });
});

describe('the adapter’s snapshot carries the maintenance signals', () => {
  let sim: KubeSimulator;
  let dir: string;
  let kube: KubeAdapter;
  let clock: number;
  const frigate = configuredTarget('frigate', { namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } });
  const mqtt = configuredTarget('mqtt', { namespace: 'home', workload: { kind: 'StatefulSet', name: 'mqtt' } });
  const snap = async () => {
    await waitForCaches(sim, () => kube.caches());
    const s = await kube.snapshot([frigate, mqtt], clock);
    if (!s.reachable) throw new Error(s.error);
    return s;
  };

  beforeEach(async () => {
    clock = T0;
    sim = createKubeSimulator({ now: () => clock, terminationMs: 5000 });
    await sim.start();
    dir = mkdtempSync(join(tmpdir(), 'stormguard-signals-'));
    await sim.writeKubeconfig(join(dir, 'kubeconfig'));
    sim.addNode('node-a');
    sim.addNode('node-b');
    sim.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
    sim.addStatefulSet({ namespace: 'home', name: 'mqtt', node: 'node-b' });
    sim.addDaemonSet({ namespace: 'kube-system', name: 'kured' });
    kube = createKubeAdapter({ kubeconfig: join(dir, 'kubeconfig'), env: {}, backoff: SIM_RESYNC_BACKOFF, clock: () => clock, maintenanceSignals: { kured: KURED_DEFAULTS } });
  });
  afterEach(async () => {
    await kube.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kuredReboot from the lock (either form) or the node’s reboot annotation; upgradePlans from status.applying', async () => {
    sim.addPlan({ name: 'server-plan' });
    let s = await snap();
    expect(s.nodes['node-a']).toEqual({ name: 'node-a', ready: 'True', readySince: T0, unschedulable: false });

    sim.takeKuredLock('node-a');
    sim.setPlanApplying('system-upgrade', 'server-plan', ['node-b']);
    s = await snap();
    expect(s.nodes['node-a']).toMatchObject({ kuredReboot: true });
    expect(s.nodes['node-a']!.upgradePlans).toBeUndefined();
    expect(s.nodes['node-b']).toMatchObject({ upgradePlans: ['server-plan'] });
    expect(s.nodes['node-b']!.kuredReboot).toBeUndefined();

    sim.releaseKuredLock('node-a');
    sim.takeKuredLock('node-b', { maxOwners: 2 });
    sim.setNodeAnnotation('node-a', 'weave.works/kured-reboot-in-progress', '2026-12-07T02:00:00Z');
    s = await snap();
    expect([s.nodes['node-a']!.kuredReboot, s.nodes['node-b']!.kuredReboot]).toEqual([true, true]);

    sim.setNodeAnnotation('node-a', 'weave.works/kured-reboot-in-progress', null);
    sim.releaseKuredLock('node-b');
    sim.setPlanApplying('system-upgrade', 'server-plan', []);
    s = await snap();
    expect([s.nodes['node-a']!.kuredReboot, s.nodes['node-b']!.kuredReboot, s.nodes['node-b']!.upgradePlans]).toEqual([undefined, undefined, undefined]);
  });

  it('a drained pod carries disruption EvictionByEvictionAPI and terminating; its pending replacement is Unschedulable', async () => {
    const [old] = sim.pods('nvr');
    sim.drainNode('node-a');
    const s = await snap();
    const pods = s.workloads.frigate!.pods;
    expect(pods.find((p) => p.name === old!.name)).toMatchObject({ disruption: 'EvictionByEvictionAPI', terminating: true, ready: false, node: 'node-a' });
    const replacement = pods.find((p) => p.name !== old!.name)!;
    expect(replacement).toMatchObject({ node: null, phase: 'Pending' });
    expect(replacement.unschedulable).toContain('node(s) were unschedulable');
    expect(replacement.disruption).toBeUndefined();
    expect(replacement.terminating).toBeUndefined();
    expect(s.nodes['node-a']).toMatchObject({ unschedulable: true });
  });

  it('no Plan CRD and kured’s DaemonSet refused by RBAC: no signal, no error, no unknown target', async () => {
    sim.takeKuredLock('node-a');
    sim.setRbac([
      { verbs: ['get', 'list', 'watch'], resources: ['nodes'] },
      { verbs: ['get', 'list', 'watch'], resources: ['pods', 'events'], namespaces: ['nvr', 'home'] },
      { verbs: ['get', 'list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], namespaces: ['nvr', 'home'] },
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] },
    ]);
    const s = await snap();
    expect(s.unknownTargets).toBeUndefined();
    expect(Object.keys(s.workloads)).toEqual(['frigate', 'mqtt']);
    expect(s.nodes['node-a']!.kuredReboot).toBeUndefined();
    expect(s.sources?.every((source) => source.inSync)).toBe(true);
    // Neither signal runs a cache (nothing out of sync to hold a heartbeat or a readiness check back).
    expect(kube.caches().filter((c) => /daemonsets|plans/.test(c.path))).toEqual([]);
  });
});
