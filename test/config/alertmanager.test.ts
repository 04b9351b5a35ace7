import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatConfig, interpolateEnv, validateConfig } from '../../src/config/index.js';
import { alertmanagerBinary } from '../helpers/alertmanager.js';

/**
 * The YAML blocks of the README's Alertmanager section: stormguard's, then Alertmanager's; then the
 * Watchdog's (stormguard's, then Alertmanager's route for it).
 */
function readmeBlocks(): [string, string, string, string] {
  const readme = fs.readFileSync(path.join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Alertmanager'), readme.indexOf('## Operating it'));
  const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks).toHaveLength(4);
  return [blocks[0]!, blocks[1]!, blocks[2]!, blocks[3]!];
}

/** Runs the real `amtool check-config` on `yaml`. */
function amtoolCheck(yaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-amtool-'));
  try {
    const file = path.join(dir, 'alertmanager.yml');
    fs.writeFileSync(file, yaml);
    const amtool = path.join(path.dirname(alertmanagerBinary()), 'amtool');
    return execFileSync(amtool, ['check-config', file], { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ENV = { ALERTMANAGER_WEBHOOK_TOKEN: 'tok-123', AM_PASS: 'p' };

describe('the alertmanager configuration section', () => {
  it('the README example is valid for stormguard, and check-config masks its secrets', () => {
    const [ours] = readmeBlocks();
    const config = validateConfig(interpolateEnv({ ...(parse(ours) as object), targets: [] }, ENV), 'README.md');
    expect(config.alertmanager).toEqual({ receiver: { bearerToken: 'tok-123' }, url: 'http://alertmanager.monitoring.svc:9093', titleLabels: ['alertname'] });
    const shown = formatConfig(config);
    expect(shown).not.toContain('tok-123');
    expect(shown).toContain('bearerToken: "********"');
  });

  it('the README’s Alertmanager configuration passes amtool check-config (the real one)', () => {
    const [, theirs] = readmeBlocks();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-amtool-'));
    try {
      const file = path.join(dir, 'alertmanager.yml');
      fs.writeFileSync(file, theirs);
      const amtool = path.join(path.dirname(alertmanagerBinary()), 'amtool');
      expect(execFileSync(amtool, ['check-config', file], { encoding: 'utf8' })).toMatch(/SUCCESS/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the README's Watchdog: stormguard takes its section, amtool its route, and the route repeats inside `within`", () => {
    const [, , ours, theirs] = readmeBlocks();
    const config = validateConfig(interpolateEnv({ ...(parse(ours) as object), targets: [] }, ENV), 'README.md');
    expect(config.alertmanager?.watchdog).toEqual({ alertname: 'Watchdog', within: 10 * 60_000 });
    expect(amtoolCheck(theirs)).toMatch(/SUCCESS/);
    const route = (parse(theirs) as { route: { routes: Array<{ matchers: string[]; repeat_interval: string }> } }).route.routes[0]!;
    expect(route.matchers).toEqual(['alertname="Watchdog"']);
    expect(route.repeat_interval).toBe('2m');
  });

  it('refuses an endpoint without credentials, half credentials, and the webhook without the HTTP server', () => {
    const base = { targets: [] };
    expect(() => validateConfig({ ...base, alertmanager: {} }, 'x.yaml')).toThrow(/alertmanager\.receiver/);
    expect(() => validateConfig({ ...base, alertmanager: { receiver: { username: 'am' } } }, 'x.yaml')).toThrow(/set either bearerToken, or username and password/);
    expect(() => validateConfig({ ...base, alertmanager: { receiver: { bearerToken: 't', username: 'am', password: 'p' } } }, 'x.yaml')).toThrow(/set either bearerToken/);
    expect(() => validateConfig({ ...base, http: { port: 0 }, alertmanager: { receiver: { bearerToken: 't' } } }, 'x.yaml')).toThrow(/http\.port: must not be 0/);
    expect(() => validateConfig({ ...base, alertmanager: { receiver: { bearerToken: 't' }, url: 'ftp://am' } }, 'x.yaml')).toThrow(/alertmanager\.url/);
  });
});
