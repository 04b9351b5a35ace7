/**
 * The homelab of the motivating story, described once for the end-to-end tests, `stormguard demo`
 * and the benchmark: frigate (the one with an HTTP health endpoint) pinned to node-a, hass on
 * node-b, and a Discord guild whose incidents channel rings the on-call role and whose operators'
 * role may act. Callers add what their scenario needs on top (a schedule, notifiers, more targets).
 */
import path from 'node:path';
import { createDiscordSimulator, type DiscordSimulator, type DiscordSimulatorOptions } from './discord/index.js';
import { createKubeSimulator, type KubeSimulator, type KubeSimulatorOptions } from './kube/index.js';

/** The homelab's Discord: guild, incidents channel, the role that is rung and the role that may act (any snowflakes do). */
export const HOMELAB_DISCORD = {
  guild: '100000000000000001',
  channel: '100000000000000002',
  oncall: '100000000000000003',
  operators: '100000000000000004',
  token: 'test-bot-token',
} as const;

/** The homelab's nodes and its Deployments, each pinned to one node; `probed`: it has an HTTP health endpoint. */
export const HOMELAB = {
  nodes: ['node-a', 'node-b'],
  workloads: [
    { name: 'frigate', namespace: 'nvr', node: 'node-a', probed: true },
    { name: 'hass', namespace: 'home', node: 'node-b', probed: false },
  ],
} as const;

/** Adds the homelab's nodes and Deployments to a Kubernetes simulator that has not started yet. */
export function addHomelab(kube: KubeSimulator): void {
  for (const node of HOMELAB.nodes) kube.addNode(node);
  for (const { namespace, name, node } of HOMELAB.workloads) kube.addDeployment({ namespace, name, node });
}

/** The homelab's Discord simulator: its guild, channel, bot token and both roles; `options` add to or override them. */
export function createHomelabDiscord(options: Partial<DiscordSimulatorOptions> = {}): DiscordSimulator {
  return createDiscordSimulator({
    guildId: HOMELAB_DISCORD.guild,
    channelId: HOMELAB_DISCORD.channel,
    botToken: HOMELAB_DISCORD.token,
    roles: [
      { id: HOMELAB_DISCORD.oncall, name: 'oncall' },
      { id: HOMELAB_DISCORD.operators, name: 'operators' },
    ],
    ...options,
  });
}

/** Both simulators of the homelab, started on loopback. */
export interface HomelabSimulators {
  kube: KubeSimulator;
  discord: DiscordSimulator;
  /** The Discord simulator's API base URL (`discord.apiUrl` in the configuration). */
  apiUrl: string;
  /** Where the Kubernetes simulator's kubeconfig was written. */
  kubeconfig: string;
}

/**
 * Starts the homelab's Kubernetes simulator (after `populate`, by default {@link addHomelab}, has
 * filled it) and its Discord simulator, and writes the kubeconfig to `dir/kubeconfig`.
 */
export async function startHomelabSimulators(options: {
  dir: string;
  kube?: KubeSimulatorOptions;
  discord?: Partial<DiscordSimulatorOptions>;
  populate?: (kube: KubeSimulator) => void;
}): Promise<HomelabSimulators> {
  const kube = createKubeSimulator(options.kube);
  (options.populate ?? addHomelab)(kube);
  await kube.start();
  const kubeconfig = path.join(options.dir, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  const discord = createHomelabDiscord(options.discord);
  try {
    const { apiUrl } = await discord.start();
    return { kube, discord, apiUrl, kubeconfig };
  } catch (err) {
    await kube.stop();
    throw err;
  }
}

/**
 * stormguard's configuration for the homelab, before validation: Discord at `apiUrl`, the
 * simulator's kubeconfig and the database in `dir`, and one target per workload — frigate probed
 * over HTTP at `frigateProbe` when given.
 */
export function homelabConfig(o: { dir: string; apiUrl: string; frigateProbe?: string }) {
  return {
    discord: {
      token: HOMELAB_DISCORD.token,
      guildId: HOMELAB_DISCORD.guild,
      channelId: HOMELAB_DISCORD.channel,
      mentionRoleId: HOMELAB_DISCORD.oncall,
      operatorRoleIds: [HOMELAB_DISCORD.operators],
      apiUrl: o.apiUrl,
    },
    kubernetes: { kubeconfig: path.join(o.dir, 'kubeconfig') },
    database: { path: path.join(o.dir, 'stormguard.db') },
    targets: HOMELAB.workloads.map(({ name, namespace, probed }) => ({
      name,
      namespace,
      workload: { kind: 'Deployment', name },
      ...(probed && o.frigateProbe ? { probe: { http: { url: o.frigateProbe, timeout: '2s' } } } : {}),
    })),
  };
}
