/**
 * Planned maintenance recognised from the cluster (issue 23), end to end: the real bot (discord.js,
 * client-node, SQLite) against both simulators. A drain, a reboot and an uncordon of node-a with three
 * targets on it: no ring, no restart, one quiet card edited as it goes, and the report when it ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { addHomelab } from '../../src/sim/homelab.js';
import type { KubeSimulator } from '../../src/sim/kube/index.js';
import { answer, closeWorldChecked, messageOf, OPERATOR, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

/** The homelab plus mqtt and zigbee2mqtt pinned to node-a (three targets on node-a, hass on node-b), and kured's DaemonSet. */
function populate(kube: KubeSimulator): void {
  addHomelab(kube);
  kube.addDeployment({ namespace: 'home', name: 'mqtt', node: 'node-a' });
  kube.addDeployment({ namespace: 'home', name: 'zigbee2mqtt', node: 'node-a' });
  kube.addDaemonSet({ namespace: 'kube-system', name: 'kured' });
}

/** Readiness is the health signal of every target here: the drained pods are what goes down. */
const TARGETS = [
  { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } },
  { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' } },
  { name: 'mqtt', namespace: 'home', workload: { kind: 'Deployment', name: 'mqtt' } },
  { name: 'zigbee2mqtt', namespace: 'home', workload: { kind: 'Deployment', name: 'zigbee2mqtt' } },
];
const ON_NODE_A = [
  ['nvr', 'frigate'],
  ['home', 'mqtt'],
  ['home', 'zigbee2mqtt'],
] as const;

/** The drained workloads' pods take their time to start once scheduled (image pulls, a slow disk): ready only when told. */
function slowStart(kube: KubeSimulator, ready: boolean): void {
  for (const [ns, name] of ON_NODE_A) kube.setPodsReady(ns, { kind: 'Deployment', name }, ready);
}

/** `kubectl drain node-a`: cordon, then every pod evicted (DisruptionTarget); the pinned replacements wait Pending. */
function drain(kube: KubeSimulator): void {
  expect(kube.drainNode('node-a').evicted).toHaveLength(ON_NODE_A.length);
}

/** The card as people see it: title and description of the incident message's embed. */
function card(w: World): { title: string; description: string } {
  const embed = (messageOf(w, 'node:node-a')?.embeds[0] ?? {}) as { title?: string; description?: string };
  return { title: embed.title ?? '', description: embed.description ?? '' };
}

function notes(w: World): string[] {
  return messageOf(w, 'node:node-a')?.thread?.messages.map((m) => m.content) ?? [];
}

/** Every request that would restart something: a workload PATCH or a pod DELETE. */
function restartRequests(w: World): number {
  return w.kube.countRequests({ method: 'PATCH' }) + w.kube.countRequests({ method: 'DELETE' });
}

describe('planned maintenance (issue 23), end to end', () => {
  it('drain + reboot + uncordon of node-a with three targets (and a restart of stormguard): 0 rings, 0 restarts, one quiet card edited per step, and the end report', async () => {
    world = await startWorld({ targets: TARGETS, notify: { escalateAfter: '15m' } }, {}, { populate, maintenanceSignals: true });
    const w = world;
    await w.cycles(2);
    expect(topLevel(w)).toEqual([]);

    drain(w.kube);
    await w.cycles(2);
    expect(card(w)).toEqual({
      title: 'node-a: planned maintenance',
      description: 'node-a: planned maintenance (cordoned 20:01 UTC) — drained — frigate, mqtt, zigbee2mqtt waiting',
    });

    w.kube.setNodeReady('node-a', 'False');
    await w.cycles(2);
    expect(card(w).description).toBe('node-a: planned maintenance (cordoned 20:01 UTC) — NotReady — frigate, mqtt, zigbee2mqtt waiting');
    // A person's /restart gets the answer a NotReady node gets: no.
    const refused = await w.discord.slashCommand({ name: 'restart', options: { target: 'mqtt' }, user: OPERATOR });
    expect(answer(refused)).toBe('Not restarting mqtt: node-a is in planned maintenance (cordoned).');
    // /status, /incidents and the metric show it.
    const since = `<t:${Math.floor(Date.parse('2026-11-25T20:01:30Z') / 1000)}:R>`;
    const maintenanceLine = `🔧 node-a: planned maintenance (cordoned) since ${since} — explains frigate, mqtt, zigbee2mqtt`;
    const status = answer(await w.discord.slashCommand({ name: 'status', options: { target: 'mqtt' }, user: OPERATOR })).split('\n');
    expect(status[0]).toBe(maintenanceLine);
    expect(status[1]).toContain('restart now: no — node-a is in planned maintenance (cordoned)');
    expect(answer(await w.discord.slashCommand({ name: 'incidents', user: OPERATOR })).split('\n')[0]).toBe(maintenanceLine);
    expect(await w.app.metrics.registry.getSingleMetricAsString('stormguard_maintenance_active')).toContain('stormguard_maintenance_active{node="node-a"} 1');

    // stormguard itself restarts mid-maintenance: the record (cordon time, what it explains) is kept.
    await w.restartBot();
    w.kube.setNodeReady('node-a', 'True');
    await w.cycles(2);
    expect(card(w).description).toBe('node-a: planned maintenance (cordoned 20:01 UTC) — back, still cordoned — frigate, mqtt, zigbee2mqtt waiting');

    // The uncordon: today's bot restarted all three drained workloads within seconds of it.
    slowStart(w.kube, false);
    w.kube.cordon('node-a', false);
    await w.cycles(4);
    expect(card(w).description).toBe('node-a: planned maintenance (cordoned 20:01 UTC) — back, uncordoned — frigate, mqtt, zigbee2mqtt waiting');
    expect(restartRequests(w)).toBe(0);

    slowStart(w.kube, true);
    await w.cycles(2);
    const message = messageOf(w, 'node:node-a')!;
    expect(card(w)).toEqual({
      title: 'maintenance of node-a over — 5m; frigate, mqtt, zigbee2mqtt back',
      description: 'maintenance of node-a over — 5m; frigate, mqtt, zigbee2mqtt back',
    });
    expect(message.thread?.archived).toBe(true);
    expect(w.app.store.openIncidents()).toEqual([]);

    expect(roleRings(w)).toBe(0);
    expect(message.mentions.roles).toEqual([]);
    expect(restartRequests(w)).toBe(0);
    expect(w.kube.restarts).toEqual([]);
    expect(topLevel(w)).toHaveLength(1);
    // Every note is quiet (flag 4096), one per change — not one per cycle.
    expect(message.thread!.messages.every((m) => (m.flags & 4096) === 4096)).toBe(true);
    expect(notes(w)).toEqual([
      'node-a: planned maintenance (cordoned 20:01 UTC) — NotReady — frigate, mqtt, zigbee2mqtt waiting',
      'node-a: planned maintenance (cordoned 20:01 UTC) — back, still cordoned — frigate, mqtt, zigbee2mqtt waiting',
      'node-a: planned maintenance (cordoned 20:01 UTC) — back, uncordoned — frigate, mqtt, zigbee2mqtt waiting',
      'Resolved: maintenance of node-a over — 5m; frigate, mqtt, zigbee2mqtt back',
    ]);
    // One edit per change: the targets confirmed down by their checks, NotReady, back, uncordoned, resolved.
    expect(message.editCount).toBe(5);
    expect(message.content).toBe('Incident #1: node-a: planned maintenance');
  });

  it("kured's reboot: lock, drain, reboot, uncordon, unlock — 0 rings, 0 restarts, one quiet card and the report", async () => {
    world = await startWorld({ targets: TARGETS }, {}, { populate, maintenanceSignals: true });
    const w = world;
    await w.cycles(2);
    expect(w.kube.takeKuredLock('node-a')).toBe(true);
    await w.cycles(1);
    // The lock alone disrupts nothing: no card yet.
    expect(topLevel(w)).toEqual([]);
    drain(w.kube);
    await w.cycles(2);
    expect(card(w)).toEqual({
      title: 'node-a: planned maintenance',
      description: 'node-a: planned maintenance (kured reboot · cordoned 20:02 UTC) — drained — frigate, mqtt, zigbee2mqtt waiting',
    });
    w.kube.setNodeReady('node-a', 'False');
    await w.cycles(4);
    w.kube.setNodeReady('node-a', 'True');
    slowStart(w.kube, false);
    w.kube.cordon('node-a', false);
    await w.cycles(2);
    expect(card(w).description).toBe('node-a: planned maintenance (kured reboot · cordoned 20:02 UTC) — back, still locked — frigate, mqtt, zigbee2mqtt waiting');
    w.kube.releaseKuredLock('node-a');
    await w.cycles(6);
    expect(card(w).description).toBe('node-a: planned maintenance (kured reboot · cordoned 20:02 UTC) — back, uncordoned — frigate, mqtt, zigbee2mqtt waiting');
    slowStart(w.kube, true);
    await w.cycles(2);
    expect(card(w).title).toBe('maintenance of node-a over — 8m; frigate, mqtt, zigbee2mqtt back');
    expect(w.app.store.openIncidents()).toEqual([]);
    expect(roleRings(w)).toBe(0);
    expect(restartRequests(w)).toBe(0);
    expect(topLevel(w)).toHaveLength(1);
  });

  it('a system-upgrade-controller Plan applying to node-a: its drain and reboot ring nobody and restart nothing', async () => {
    // A cluster that runs system-upgrade-controller has its CRD from the start.
    const withPlans = (kube: KubeSimulator) => {
      populate(kube);
      kube.installPlanCrd();
    };
    world = await startWorld({ targets: TARGETS }, {}, { populate: withPlans, maintenanceSignals: true });
    const w = world;
    await w.cycles(1);
    w.kube.addPlan({ name: 'k3s-agent', applying: ['node-a'] });
    drain(w.kube);
    w.kube.setNodeReady('node-a', 'False');
    await w.cycles(4);
    expect(card(w).description).toBe('node-a: planned maintenance (cordoned 20:01 UTC · upgrade plan k3s-agent) — NotReady — frigate, mqtt, zigbee2mqtt waiting');
    w.kube.setNodeReady('node-a', 'True');
    w.kube.cordon('node-a', false);
    w.kube.setPlanApplying('system-upgrade', 'k3s-agent', []);
    await w.cycles(4);
    expect(card(w).title).toBe('maintenance of node-a over — 2m; frigate, mqtt, zigbee2mqtt back');
    expect(roleRings(w)).toBe(0);
    expect(restartRequests(w)).toBe(0);
  });

  it('a maintenance that overruns rings exactly once, then is an ordinary incident that escalates', async () => {
    world = await startWorld({ targets: TARGETS, notify: { escalateAfter: '15m' }, maintenance: { overrunAfter: '45m' } }, {}, { populate, maintenanceSignals: true });
    const w = world;
    await w.cycles(1);
    drain(w.kube);
    await w.cycles(2);
    w.kube.setNodeReady('node-a', 'False');
    // 44 minutes NotReady: still quiet.
    await w.cycles(88);
    expect(roleRings(w)).toBe(0);
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    const ring = messageOf(w, 'node:node-a')!.thread!.messages.find((m) => m.mentions.roles.length > 0)!;
    expect(ring.content).toMatch(/^<@&\d+> node-a's maintenance overran: NotReady for 44m, cordoned for 45m$/);
    await w.cycles(20);
    expect(roleRings(w)).toBe(1);
    // From then it is an ordinary incident: unacknowledged for escalateAfter, it escalates (once).
    await w.cycles(12);
    expect(roleRings(w)).toBe(2);
    expect(w.kube.restarts).toEqual([]);
    expect(topLevel(w)).toHaveLength(1);
  });

  it('targets still down settleAfter after the node is back ring once; then restarts go through the gate', async () => {
    world = await startWorld({ targets: TARGETS, maintenance: { settleAfter: '10m' } }, {}, { populate, maintenanceSignals: true });
    const w = world;
    await w.cycles(1);
    drain(w.kube);
    w.kube.setNodeReady('node-a', 'False');
    await w.cycles(2);
    w.kube.setNodeReady('node-a', 'True');
    slowStart(w.kube, false);
    w.kube.cordon('node-a', false);
    await w.cycles(19);
    expect(roleRings(w)).toBe(0);
    expect(restartRequests(w)).toBe(0);
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    const ring = messageOf(w, 'node:node-a')!.thread!.messages.find((m) => m.mentions.roles.length > 0)!;
    expect(ring.content).toMatch(/^<@&\d+> frigate, mqtt, zigbee2mqtt still down 10m after node-a's maintenance ended$/);
    // An ordinary incident now: the automatic restarts pass the gate.
    await expect.poll(() => w.kube.restarts.map((r) => r.name).sort()).toEqual(['frigate', 'mqtt', 'zigbee2mqtt']);
    expect(roleRings(w)).toBe(1);
  });

  it('a target on another node failing during the maintenance rings as usual', async () => {
    world = await startWorld({ targets: TARGETS }, {}, { populate, maintenanceSignals: true });
    const w = world;
    await w.cycles(1);
    drain(w.kube);
    w.kube.setNodeReady('node-a', 'False');
    await w.cycles(2);
    expect(roleRings(w)).toBe(0);
    w.kube.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    expect(messageOf(w, 'target:hass')?.mentions.roles).toHaveLength(1);
    expect(messageOf(w, 'node:node-a')?.mentions.roles).toEqual([]);
    expect(w.app.store.openIncidents().map((i) => i.subject).sort()).toEqual(['node:node-a', 'target:hass']);
  });

  it('another node going NotReady with no maintenance signal rings as usual', async () => {
    world = await startWorld({ targets: TARGETS }, {}, { populate, maintenanceSignals: true });
    const w = world;
    await w.cycles(1);
    drain(w.kube);
    await w.cycles(2);
    w.kube.setNodeReady('node-b', 'False');
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    expect(messageOf(w, 'node:node-b')?.mentions.roles).toHaveLength(1);
  });
});
