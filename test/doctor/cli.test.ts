/**
 * `stormguard doctor` end to end through the CLI: a healthy setup exits 0 with every line ✓; a setup
 * with three problems exits 1 and prints each with its fix. Both outputs are written to
 * `test/doctor/__output__/` (ignored by git) for the closing note.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { createRest, registerGuildCommands } from '../../src/adapters/discord/client.js';
import { INVITE_PERMISSIONS } from '../../src/adapters/discord/permissions.js';
import { main } from '../../src/cli.js';
import { PERMISSION, createDiscordSimulator, type DiscordSimulator } from '../../src/sim/discord/index.js';
import { createKubeSimulator, type KubeSimulator, type SimRbacRule } from '../../src/sim/kube/index.js';
import { captureIo } from '../helpers/io.js';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp.js';

const IDS = { guild: '400000000000000001', channel: '400000000000000002', oncall: '400000000000000003', operator: '400000000000000004' };
const TOKEN = 'cli-doctor-token';
const RULES: SimRbacRule[] = [
  { verbs: ['get', 'list', 'watch'], resources: ['nodes'] },
  { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces: ['nvr', 'home'] },
  { verbs: ['list', 'watch'], resources: ['events'], namespaces: ['nvr', 'home'] },
  { verbs: ['get'], resources: ['pods/log'], namespaces: ['nvr', 'home'] },
  { verbs: ['get', 'list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], namespaces: ['nvr', 'home'] },
  { verbs: ['get', 'update'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['stormguard'], namespaces: ['stormguard'] },
  { verbs: ['create'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], namespaces: ['stormguard'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['kured'], namespaces: ['kube-system'] },
  { verbs: ['get', 'list', 'watch'], apiGroups: ['upgrade.cattle.io'], resources: ['plans'] },
];

let dir: string;
let kube: KubeSimulator;
let smtp: SmtpServer;
const discords: DiscordSimulator[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-doctor-cli-'));
  kube = createKubeSimulator();
  kube.addNode('node-a');
  kube.addDeployment({ namespace: 'nvr', name: 'frigate', node: 'node-a' });
  kube.addStatefulSet({ namespace: 'home', name: 'home-assistant', node: 'node-a' });
  await kube.start();
  await kube.writeKubeconfig(path.join(dir, 'kubeconfig'));
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await Promise.all(discords.map((d) => d.stop()));
  await kube.stop();
  await smtp.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function discordSim(options: { mentionable: boolean; botPermissions: bigint }): Promise<string> {
  const sim = createDiscordSimulator({
    guildId: IDS.guild,
    channelId: IDS.channel,
    botToken: TOKEN,
    botPermissions: options.botPermissions,
    roles: [
      { id: IDS.oncall, name: 'oncall', mentionable: options.mentionable },
      { id: IDS.operator, name: 'operators' },
    ],
  });
  discords.push(sim);
  const { apiUrl } = await sim.start();
  await registerGuildCommands(createRest({ token: TOKEN, guildId: IDS.guild, channelId: IDS.channel, operatorRoleIds: [], apiUrl }), IDS.guild, [...COMMANDS.values()].map((c) => c.definition));
  return apiUrl;
}

function writeConfig(name: string, apiUrl: string, frigateWorkload: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `discord:
  token: \${DISCORD_TOKEN}
  guildId: "${IDS.guild}"
  channelId: "${IDS.channel}"
  mentionRoleId: "${IDS.oncall}"
  operatorRoleIds: ["${IDS.operator}"]
  apiUrl: ${apiUrl}
kubernetes:
  kubeconfig: ${path.join(dir, 'kubeconfig')}
targets:
  - name: frigate
    namespace: nvr
    workload: { kind: Deployment, name: ${frigateWorkload} }
  - name: home-assistant
    namespace: home
    workload: { kind: StatefulSet, name: home-assistant }
notify:
  email:
    smtp: { host: 127.0.0.1, port: ${smtp.port} }
    from: stormguard@example.com
    to: [oncall@example.com]
`,
  );
  return file;
}

const ENV = { DISCORD_TOKEN: TOKEN, POD_NAMESPACE: 'stormguard' };
const OUTPUT = path.join(import.meta.dirname, '__output__');

function keep(name: string, text: string): void {
  fs.mkdirSync(OUTPUT, { recursive: true });
  fs.writeFileSync(path.join(OUTPUT, name), text);
}

describe('stormguard doctor (CLI)', () => {
  it('prints an all-✓ checklist and exits 0 for a healthy setup', async () => {
    kube.setRbac(RULES);
    const file = writeConfig('healthy.yaml', await discordSim({ mentionable: true, botPermissions: INVITE_PERMISSIONS }), 'frigate');
    const io = captureIo(ENV);
    const status = await main(['doctor', '--config', file], io);
    keep('healthy.txt', io.out());
    expect(io.err()).toBe('');
    expect(io.out()).not.toContain('✗');
    expect(io.out()).toMatch(/\nall good: 18 passed, 0 warnings\n$/);
    expect(status).toBe(0);
    expect(io.out()).not.toContain(TOKEN);
  });

  it('logs in with a DISCORD_TOKEN written with echo (a trailing newline), and notes the trim on stderr by name', async () => {
    kube.setRbac(RULES);
    const file = writeConfig('echoed-token.yaml', await discordSim({ mentionable: true, botPermissions: INVITE_PERMISSIONS }), 'frigate');
    const io = captureIo({ ...ENV, DISCORD_TOKEN: `${TOKEN}\n` });
    const status = await main(['doctor', '--config', file], io);
    expect(io.out()).not.toContain('✗');
    expect(status).toBe(0);
    expect(io.err()).toBe('note: removed the trailing newline from DISCORD_TOKEN (a secret file written with echo or an editor ends in one)\n');
  });

  it('prints each of three problems with its fix and exits 1', async () => {
    // Three mistakes people make: a thread permission taken away, a missing RoleBinding, a typo in a name.
    kube.setRbac(RULES.map((r) => (r.namespaces?.includes('home') ? { ...r, namespaces: ['nvr'] } : r)));
    const apiUrl = await discordSim({ mentionable: true, botPermissions: INVITE_PERMISSIONS & ~PERMISSION.CREATE_PUBLIC_THREADS });
    const file = writeConfig('three-problems.yaml', apiUrl, 'frigatte');
    const io = captureIo(ENV);
    const status = await main(['doctor', '--config', file], io);
    keep('three-problems.txt', io.out());
    expect(status).toBe(1);
    const failures = io.out().split('\n').filter((l) => l.includes('✗'));
    expect(failures).toHaveLength(3);
    expect(failures[0]).toContain('lacks Create Public Threads');
    expect(io.out()).toContain('Server Settings → Roles → stormguard)');
    expect(failures[1]).toContain('not allowed: list/watch pods, list/watch events, list/watch/patch statefulsets.apps, get pods/log in namespace home');
    expect(failures[2]).toContain('target frigate: no Deployment frigatte in namespace nvr');
    expect(io.out().match(/ {6}fix: /g)).toHaveLength(3);
    expect(io.out()).toMatch(/\n3 problems to fix, 1 warning, \d+ passed\n$/);
  });

  it('refuses --send-test on other commands, and prints the version', async () => {
    const misuse = captureIo();
    expect(await main(['run', '--send-test'], misuse)).toBe(2);
    const version = captureIo();
    expect(await main(['--version'], version)).toBe(0);
    expect(version.out()).toMatch(/^stormguard \d+\.\d+\.\d+\n$/);
  });
});
