import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore } from '../../src/adapters/sqlite/store.js';
import { validateConfig } from '../../src/config/index.js';
import { newIncident } from '../../src/core/lifecycle.js';
import type { Diagnosis } from '../../src/core/diagnosis.js';
import { createMetrics } from '../../src/runtime/metrics.js';

const TARGETS = [
  { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } },
  { name: 'hass', namespace: 'home', workload: { kind: 'StatefulSet', name: 'hass' } },
];

async function values(metrics: ReturnType<typeof createMetrics>, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).map((v) => ({ labels: { ...v.labels } as Record<string, string | number>, value: v.value }));
}

describe('metrics', () => {
  it('counts a delivery on a channel that is not configured as logged, never as delivered', async () => {
    // Discord and ntfy not configured: the log sink stands in for them.
    const config = validateConfig({ targets: TARGETS, notify: { email: { smtp: { host: 'smtp.lan' }, from: 'a@b.cd', to: ['c@d.ef'] } } }, 'test.yaml');
    const metrics = createMetrics({ config });
    metrics.countDelivery('discord', 'delivered');
    metrics.countDelivery('push', 'delivered');
    metrics.countDelivery('email', 'delivered');
    metrics.countDelivery('email', 'retry');
    expect(await values(metrics, 'stormguard_notifications_total')).toEqual([
      { labels: { channel: 'discord', outcome: 'logged' }, value: 1 },
      { labels: { channel: 'push', outcome: 'logged' }, value: 1 },
      { labels: { channel: 'email', outcome: 'delivered' }, value: 1 },
      { labels: { channel: 'email', outcome: 'retry' }, value: 1 },
    ]);
  });

  it('has a per-target up gauge read from the store, only for configured targets that were observed', async () => {
    const config = validateConfig({ targets: TARGETS }, 'test.yaml');
    const store = createStore(openDatabase(':memory:'));
    const metrics = createMetrics({ store, config });
    expect(await values(metrics, 'stormguard_target_up')).toEqual([]);
    const state = { consecutiveFailures: 0, consecutiveSuccesses: 2, lastDetail: '', lastObservedAt: 1, lastGateReason: null, consecutiveMissing: 0 };
    store.saveTargetState({ ...state, target: 'frigate', health: 'down' });
    store.saveTargetState({ ...state, target: 'hass', health: 'up' });
    store.saveTargetState({ ...state, target: 'removed-from-config', health: 'down' });
    expect(await values(metrics, 'stormguard_target_up')).toEqual([
      { labels: { target: 'frigate' }, value: 0 },
      { labels: { target: 'hass' }, value: 1 },
    ]);
    store.close();
  });

  it('counts why targets of unresolved incidents are down, by reason, from the store', async () => {
    const store = createStore(openDatabase(':memory:'));
    const metrics = createMetrics({ store });
    const pull: Diagnosis = { reason: 'imagePull', apiReason: 'ImagePullBackOff', container: 'frigate', message: '', summary: 'frigate cannot pull its image', hint: 'check the tag', restart: 'cannotHelp', change: null };
    const node = store.insertIncident({ ...newIncident('node:node-a', 'node', 'node node-a is NotReady', 1), targets: ['frigate', 'hass'], diagnoses: { frigate: pull, hass: { ...pull, reason: 'oomKilled' } } });
    store.insertIncident({ ...newIncident('target:mqtt', 'target', 'mqtt is down', 1), targets: ['mqtt'], diagnoses: { mqtt: pull } });
    expect(await values(metrics, 'stormguard_diagnoses')).toEqual([
      { labels: { reason: 'imagePull' }, value: 2 },
      { labels: { reason: 'oomKilled' }, value: 1 },
    ]);
    // Resolved incidents no longer count.
    store.updateIncident({ ...node, state: 'resolved', resolvedAt: 2 });
    expect(await values(metrics, 'stormguard_diagnoses')).toEqual([{ labels: { reason: 'imagePull' }, value: 1 }]);
    store.close();
  });

  it('says which version runs', async () => {
    expect(await values(createMetrics(), 'stormguard_build_info')).toEqual([{ labels: { version: '0.1.0' }, value: 1 }]);
  });

  it('stormguard_maintenance_active{node} is 1 per node in quiet planned maintenance, read from the store', async () => {
    const config = validateConfig({ targets: TARGETS }, 'test.yaml');
    const store = createStore(openDatabase(':memory:'));
    const metrics = createMetrics({ store, config });
    const base = { since: 1, cordonedAt: 1, signals: ['cordoned'], targets: ['frigate'], disruptedAt: 2, downAt: 2, notReadySince: 2, backAt: null, rangAt: null, endedAt: null };
    store.saveMaintenance([
      { ...base, node: 'node-a' },
      { ...base, node: 'node-b', disruptedAt: null },
      { ...base, node: 'node-c', rangAt: 3 },
      { ...base, node: 'node-d', endedAt: 3 },
    ]);
    expect(store.loadMaintenance().map((m) => m.node)).toEqual(['node-a', 'node-b', 'node-c', 'node-d']);
    expect(store.loadMaintenance()[0]).toEqual({ ...base, node: 'node-a' });
    expect(await values(metrics, 'stormguard_maintenance_active')).toEqual([{ labels: { node: 'node-a' }, value: 1 }]);
    store.saveMaintenance([]);
    expect(await values(metrics, 'stormguard_maintenance_active')).toEqual([]);
    store.close();
    expect(await values(metrics, 'stormguard_maintenance_active')).toEqual([]);
  });
});
