import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sqlite } from '../../src/adapters/sqlite/driver.js';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { runCli, ROOT } from '../helpers/cliProcess.js';
import { captureIo } from '../helpers/io.js';

const BAD_DIR = path.join(ROOT, 'test/fixtures/config/bad');
const GOOD = path.join(ROOT, 'test/fixtures/config/good/frigate.yaml');
const SECRET = 'sekr1t-discord-token-value';
const env = { DISCORD_TOKEN: SECRET, SMTP_USER: 'stormguard', SMTP_PASS: 'sekr1t-smtp-pass', NTFY_TOKEN: 'sekr1t-ntfy-token', HC_UUID: 'sekr1t-uuid' };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


describe('stormguard CLI', () => {
  it('prints help and exits 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const command of ['run', 'demo', 'check-config', 'register-commands', 'migrate', '--config']) expect(io.out()).toContain(command);
  });

  it('refuses an unknown command or option with status 2', async () => {
    const unknown = captureIo();
    expect(await main(['frobnicate'], unknown)).toBe(2);
    expect(unknown.err()).toContain('unknown command');
    const option = captureIo();
    expect(await main(['run', '--colour'], option)).toBe(2);
    expect(option.err()).toContain('usage error');
    expect(await main([], captureIo())).toBe(2);
  });

  it('check-config prints the effective configuration with secrets masked', async () => {
    const io = captureIo(env);
    expect(await main(['check-config', '--config', GOOD], io)).toBe(0);
    expect(io.out()).toContain('frigate');
    expect(io.out()).toContain('********');
    expect(io.out()).not.toContain('sekr1t');
  });

  const bad = fs.readdirSync(BAD_DIR).filter((f) => f.endsWith('.yaml')).sort();
  it('has at least 30 malformed configuration files', () => {
    expect(bad.length).toBeGreaterThanOrEqual(30);
  });

  it.each(bad)('check-config %s: exit 2, names the field, no stack trace', async (file) => {
    const expected = /^# expect: (.+)$/.exec(fs.readFileSync(path.join(BAD_DIR, file), 'utf8').split('\n')[0]!)![1]!;
    const io = captureIo(env);
    expect(await main(['check-config', '--config', path.join(BAD_DIR, file)], io)).toBe(2);
    expect(io.err()).toMatch(/^config error: /);
    expect(io.err()).toContain(expected);
    expect(io.err()).not.toMatch(/\n\s+at /);
    expect(io.err()).not.toContain(SECRET);
    expect(io.out()).toBe('');
  });

  it('the real process exits 2 on a bad configuration before connecting anywhere', () => {
    const result = runCli(['run', '--config', path.join(BAD_DIR, fs.readdirSync(BAD_DIR).find((f) => f.startsWith('cron'))!)], { cwd: tmp, env });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^config error: schedule/);
    expect(result.stdout).toBe('');
  });

  it('migrate creates the database at the newest schema, and refuses a newer one with a clear message', async () => {
    const config = path.join(tmp, 'migrate.yaml');
    const db = path.join(tmp, 'data', 'sg.db');
    fs.writeFileSync(config, `database:\n  path: ${db}\ntargets: []\n`);
    const first = captureIo();
    expect(await main(['migrate', '--config', config], first)).toBe(0);
    expect(first.out()).toMatch(/migrated from version 0 to \d+/);
    const again = captureIo();
    expect(await main(['migrate', '--config', config], again)).toBe(0);
    expect(again.out()).toMatch(/is at schema version \d+/);

    const raw = new Sqlite(db);
    raw.pragma('user_version = 99');
    raw.close();
    const newer = captureIo();
    expect(await main(['migrate', '--config', config], newer)).toBe(1);
    expect(newer.err()).toMatch(/schema version 99 .*upgrade stormguard/);
    expect(newer.err()).not.toMatch(/\n\s+at /);
  });
});
