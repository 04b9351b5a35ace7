import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { createKubeAdapter } from '../../src/adapters/kube/index.js';
import { silentLogger } from '../../src/log.js';
import { runApp, type Service } from '../../src/runtime/app/index.js';
import { createDiscordSimulator, type DiscordSimulator } from '../../src/sim/discord/index.js';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';

const IDS = { guild: '100000000000000001', channel: '100000000000000002' };
const LEASE = { namespace: 'stormguard', durationMs: 2_000, renewMs: 300 };

interface Setup {
  kube: KubeSimulator;
  discord: DiscordSimulator;
  dir: string;
  /** Starts an instance; `clock` is its wall clock (default the real one). */
  start(identity: string, lease?: Partial<typeof LEASE>, clock?: () => number): Promise<Service>;
  holder(): Promise<string | null>;
}

let setup: Setup | undefined;
const services: Service[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.close().catch(() => undefined);
  if (setup) {
    await setup.discord.stop();
    await setup.kube.stop();
    fs.rmSync(setup.dir, { recursive: true, force: true });
  }
  setup = undefined;
});

/** One cluster (node-a NotReady, so the leader posts an incident at once) and one Discord guild. */
async function startSetup(): Promise<Setup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-lease-'));
  const kube = createKubeSimulator();
  kube.addNode('node-a', { ready: 'False' });
  kube.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
  await kube.start();
  const kubeconfig = path.join(dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  const discord = createDiscordSimulator({ guildId: IDS.guild, channelId: IDS.channel, botToken: 'test-bot-token' });
  const { apiUrl } = await discord.start();
  const reader = createKubeAdapter({ kubeconfig });
  return {
    kube,
    discord,
    dir,
    async start(identity, lease = {}, clock) {
      // Each instance has its own database, as two pods with their own volumes would.
      const config = validateConfig(
        {
          discord: { token: 'test-bot-token', guildId: IDS.guild, channelId: IDS.channel, apiUrl },
          kubernetes: { kubeconfig },
          database: { path: path.join(dir, `${identity}.db`) },
          schedule: '* * * * * *',
          targets: [{ name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } }],
        },
        'lease.yaml',
      );
      const service = await runApp({ config, logger: silentLogger(), env: {}, listen: { host: '127.0.0.1', port: 0 }, lease: { ...LEASE, ...lease, identity }, ...(clock ? { clock } : {}) });
      services.push(service);
      return service;
    },
    async holder() {
      return (await reader.getLease(LEASE.namespace, 'stormguard'))?.holderIdentity ?? null;
    },
  };
}

const leads = (s: Service) => s.app() !== null;
const POLL = { timeout: 15_000, interval: 50 };

async function cyclesRun(s: Service): Promise<number> {
  const metric = await s.metrics.registry.getSingleMetric('stormguard_cycle_duration_seconds')!.get();
  // A histogram's values carry their sample name (`_bucket`, `_sum`, `_count`) beside the label set.
  const values = metric.values as Array<{ metricName?: string; value: number }>;
  return values.find((v) => v.metricName === 'stormguard_cycle_duration_seconds_count')?.value ?? 0;
}

/** The `stormguard_leader` gauge, which the chart's "Lease not held" alert sums. */
async function leaderGauge(s: Service): Promise<number> {
  return (await s.metrics.registry.getSingleMetric('stormguard_leader')!.get()).values[0]?.value ?? Number.NaN;
}

describe('single instance (Lease)', () => {
  it('only the holder runs cycles and talks to Discord; the other waits and stays unready', async () => {
    setup = await startSetup();
    const a = await setup.start('a');
    await expect.poll(() => leads(a), POLL).toBe(true);
    const b = await setup.start('b');
    await expect.poll(() => setup!.discord.channel().messages.length, POLL).toBe(1);
    // Several renew periods and cycles later, b still waits.
    await expect.poll(() => cyclesRun(a), POLL).toBeGreaterThanOrEqual(3);

    expect(leads(b)).toBe(false);
    expect(await setup.holder()).toBe('a');
    expect(await cyclesRun(b)).toBe(0);
    expect(await leaderGauge(a)).toBe(1);
    expect(await leaderGauge(b)).toBe(0);
    expect(b.store.recentIncidents(0)).toHaveLength(0);
    expect(setup.discord.channel().messages).toHaveLength(1);
    expect(setup.discord.gateway.identifies).toBe(1);
    const readyz = await fetch(`${b.http!.url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ ready: false, checks: { database: true, discord: false, scheduler: false } });
    expect((await fetch(`${a.http!.url}/readyz`)).status).toBe(200);
  });

  it('after a crash (no release) the other instance takes over once the Lease expired', async () => {
    setup = await startSetup();
    const a = await setup.start('a');
    await expect.poll(() => leads(a), POLL).toBe(true);
    const b = await setup.start('b');
    await a.close({ releaseLease: false });
    setup.discord.resetRequests();
    expect(await setup.holder()).toBe('a');

    await expect.poll(() => leads(b), POLL).toBe(true);
    expect(await setup.holder()).toBe('b');
    expect(await leaderGauge(b)).toBe(1);
    // b has its own database, so it posts the incident it found (Discord's nonce folds it into a's message).
    await expect.poll(() => setup!.discord.countRequests({ method: 'POST', path: new RegExp(`^/channels/${IDS.channel}/messages$`) }), POLL).toBe(1);
    expect(b.store.openIncidents()).toMatchObject([{ subject: 'node:node-a' }]);
  });

  it('a graceful stop releases the Lease, so the other takes over long before it would expire', async () => {
    setup = await startSetup();
    const long = { durationMs: 60_000, renewMs: 200 };
    const a = await setup.start('a', long);
    await expect.poll(() => leads(a), POLL).toBe(true);
    const b = await setup.start('b', long);
    await a.close();
    await expect.poll(() => leads(b), { timeout: 10_000, interval: 50 }).toBe(true);
    expect(await setup.holder()).toBe('b');
  });

  it('a leader that finds another holder stops at once and goes back to waiting', async () => {
    setup = await startSetup();
    const a = await setup.start('a', { durationMs: 60_000, renewMs: 200 });
    await expect.poll(() => leads(a), POLL).toBe(true);
    const api = createKubeAdapter({ kubeconfig: path.join(setup.dir, 'kubeconfig') });
    // The intruder takes the Lease as any client would: read, write, and read again on a conflict (the
    // leader renews every 200 ms, so on a busy machine a renewal may land between the two).
    const takeOver = async () => {
      const lease = (await api.getLease(LEASE.namespace, 'stormguard'))!;
      return api.replaceLease(LEASE.namespace, 'stormguard', { ...lease, holderIdentity: 'intruder', renewTime: Date.now() });
    };
    await expect.poll(takeOver, POLL).not.toBe('conflict');

    await expect.poll(() => leads(a), POLL).toBe(false);
    const stopped = await cyclesRun(a);
    // Back to waiting, it claims the Lease every renew period (200 ms): eight reads span well over a
    // second, in which its every-second schedule would have run a cycle had it not stopped.
    const leaseReads = () => setup!.kube.countRequests({ method: 'GET', pathPrefix: `/apis/coordination.k8s.io/v1/namespaces/${LEASE.namespace}/leases/stormguard` });
    const readsBefore = leaseReads();
    await expect.poll(() => leaseReads() - readsBefore, POLL).toBeGreaterThanOrEqual(8);
    expect(await cyclesRun(a)).toBe(stopped);
    expect(await setup.holder()).toBe('intruder');
  });

  it('a leader that cannot renew lets go in time although its wall clock stepped back three hours', async () => {
    setup = await startSetup();
    let offset = 0;
    const a = await setup.start('a', {}, () => Date.now() + offset);
    await expect.poll(() => leads(a), POLL).toBe(true);
    setup.kube.failPath('/apis/coordination.k8s.io', 503);
    offset = -3 * 3_600_000;
    // Renewals fail: it stops leading within the lease duration (2s) less one renew period, not 3h later.
    await expect.poll(() => leads(a), POLL).toBe(false);
    setup.kube.failPath('/apis/coordination.k8s.io', null);
  });

  it('an instance whose wall clock runs three hours ahead does not take a Lease its holder keeps renewing', async () => {
    setup = await startSetup();
    const a = await setup.start('a');
    await expect.poll(() => leads(a), POLL).toBe(true);
    const b = await setup.start('b', {}, () => Date.now() + 3 * 3_600_000);
    // b reads the Lease every renew period (300ms); well over the lease duration (2s) later it still waits.
    const leaseReads = () => setup!.kube.countRequests({ method: 'GET', pathPrefix: `/apis/coordination.k8s.io/v1/namespaces/${LEASE.namespace}/leases/stormguard` });
    const readsBefore = leaseReads();
    await expect.poll(() => leaseReads() - readsBefore, POLL).toBeGreaterThanOrEqual(24);
    expect(leads(b)).toBe(false);
    expect(leads(a)).toBe(true);
    expect(await setup.holder()).toBe('a');
  });
});
