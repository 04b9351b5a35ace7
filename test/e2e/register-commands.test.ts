import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { createDiscordSimulator, type DiscordSimulator } from '../../src/sim/discord/index.js';
import { captureIo } from '../helpers/io.js';

let sim: DiscordSimulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await sim?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  sim = dir = undefined;
});

describe('stormguard register-commands', () => {
  it('bulk-registers the six guild commands, operator commands hidden by default_member_permissions, with bodies valid for Discord', async () => {
    sim = createDiscordSimulator({ guildId: '100000000000000001', channelId: '100000000000000002', botToken: 'tok' });
    const { apiUrl } = await sim.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-register-'));
    const config = path.join(dir, 'stormguard.yaml');
    fs.writeFileSync(
      config,
      `discord:\n  token: \${DISCORD_TOKEN}\n  guildId: "100000000000000001"\n  channelId: "100000000000000002"\n  apiUrl: ${apiUrl}\ntargets: []\n`,
    );
    const io = captureIo({ DISCORD_TOKEN: 'tok' });
    expect(await main(['register-commands', '--config', config], io)).toBe(0);
    expect(io.out()).toContain('registered 6 commands');
    expect(sim.commands.map((c) => c.name).sort()).toEqual(['ack', 'incidents', 'logs', 'restart', 'silence', 'status']);
    // Discord hides the operator commands from members until an admin allows the role (Integrations).
    const permissions = Object.fromEntries(sim.commands.map((c) => [c.name, c['default_member_permissions']]));
    expect(permissions).toEqual({ status: null, incidents: null, restart: '0', ack: '0', silence: '0', logs: '0' });
    const restart = sim.commands.find((c) => c.name === 'restart') as unknown as { options: Array<{ name: string; required?: boolean; autocomplete?: boolean }> };
    expect(restart.options).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'target', required: true, autocomplete: true }), expect.objectContaining({ name: 'reason' })]),
    );
    expect(sim.violations).toEqual([]);
  });

  it('needs the discord section (exit 2)', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-register-'));
    const config = path.join(dir, 'stormguard.yaml');
    fs.writeFileSync(config, 'targets: []\n');
    const io = captureIo();
    expect(await main(['register-commands', '--config', config], io)).toBe(2);
    expect(io.err()).toMatch(/^config error: discord/);
  });
});
