/**
 * Configuration that forgives (issue 11): `interval` instead of cron, `${VAR:-default}`, values from
 * the environment converted to the number or boolean their field needs, "did you mean" only with keys
 * valid at that place. The malformed counterparts are fixtures in ../fixtures/config/bad/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../src/config/index.js';
import { intervalToCron } from '../../src/config/schema.js';
import { schedulePeriodMs } from '../../src/runtime/cycleRunner.js';

const GOOD = join(import.meta.dirname, '../fixtures/config/good/forgiving.yaml');

function problems(data: unknown): string {
  try {
    validateConfig(data, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('a forgiving configuration file', () => {
  it('loads: interval becomes a schedule, defaults fill unset variables, env text becomes numbers and booleans', () => {
    const config = loadConfig({ path: GOOD, env: { SMTP_PORT: '2525', SMTP_SECURE: 'true', FRIGATE_FAILURES: '3', DB_PATH: '' } });
    expect(config.schedule).toBe('0 * * * * *');
    expect(config.watchNodes).toBe(false);
    // `:-` covers a variable set but empty, as in a shell.
    expect(config.database.path).toBe('/data/stormguard.db');
    expect(config.targets[0]!.failureThreshold).toBe(3);
    expect(config.targets[0]!.links).toEqual([
      { label: 'Grafana', url: 'https://grafana.example.com/d/frigate' },
      { label: 'Runbook', url: 'https://wiki.example.com/runbooks/frigate' },
    ]);
    expect(config.notify.email!.smtp).toEqual({ host: 'smtp.example.com', port: 2525, secure: true });
    expect(config.http.port).toBe(9464);
  });

  it('uses the variable over its default when it is set', () => {
    const config = loadConfig({ path: GOOD, env: { SMTP_PORT: '25', SMTP_SECURE: 'FALSE', FRIGATE_FAILURES: '2', WATCH_NODES: 'true', SMTP_HOST: 'mail.lan', METRICS_PORT: '0' } });
    expect(config.watchNodes).toBe(true);
    expect(config.notify.email!.smtp).toEqual({ host: 'mail.lan', port: 25, secure: false });
    expect(config.http.port).toBe(0);
  });

  it('converts only values that came whole from the environment: a quoted "587" in the file stays an error', () => {
    expect(problems({ targets: [], http: { port: '9464' } })).toBe('config error: http.port: must be a port number');
  });

  it('still checks converted values against the field: a port from the environment must be a port', () => {
    expect(() => loadConfig({ path: GOOD, env: { SMTP_PORT: '70000', SMTP_SECURE: 'true', FRIGATE_FAILURES: '3' } })).toThrow(
      'config error: notify.email.smtp.port: must be a port number from 1 to 65535',
    );
  });
});

describe('interval', () => {
  it.each([
    ['1s', 1000, '* * * * * *'],
    ['30s', 30_000, '*/30 * * * * *'],
    ['1m', 60_000, '0 * * * * *'],
    ['5m', 300_000, '0 */5 * * * *'],
    ['1h', 3_600_000, '0 0 * * * *'],
    ['6h', 21_600_000, '0 0 */6 * * *'],
    ['1d', 86_400_000, '0 0 0 * * *'],
  ])('%s runs on a steady rhythm: %s', (_text, ms, expression) => {
    expect(intervalToCron(ms)).toBe(expression);
    // The schedule's period (readiness, the period metric) is exactly the interval.
    expect(schedulePeriodMs(expression)).toBe(ms);
  });

  it.each([45_000, 90_000, 7 * 60_000, 5 * 3_600_000, 2 * 86_400_000, 1500])('refuses %d ms, which has no steady rhythm on the clock', (ms) => {
    expect(intervalToCron(ms)).toBeNull();
  });

  it('defaults to every 30 seconds when neither schedule nor interval is set', () => {
    expect(validateConfig({ targets: [] }, 'test.yaml').schedule).toBe('*/30 * * * * *');
  });
});

describe('did you mean', () => {
  it('suggests a key valid at that place', () => {
    expect(problems({ targets: [{ name: 'a', namespace: 'b', workload: { kind: 'Deployment', name: 'c' }, failureTreshold: 2 }] })).toBe(
      'config error: targets[0].failureTreshold: unknown key; did you mean failureThreshold?',
    );
    expect(problems({ targets: [], notify: { email: { smtp: { hots: 'x' }, from: 'a@b.c', to: ['a@b.c'] } } })).toContain('notify.email.smtp.hots: unknown key; did you mean host?');
  });

  it('never suggests a key from another place', () => {
    // `timeout` is valid in a probe, not in a restart policy.
    const message = problems({ targets: [{ name: 'a', namespace: 'b', workload: { kind: 'Deployment', name: 'c' }, restart: { timeout: '5s' } }] });
    expect(message).toBe('config error: targets[0].restart.timeout: unknown key; valid here: maxPerHour, backoff, circuitBreakAfter, nodeRecoveryGrace, cooldown');
  });

  it('looks into the variant of a union: a Pods workload knows selector', () => {
    expect(problems({ targets: [{ name: 'a', namespace: 'b', workload: { kind: 'Pods', selectr: 'app=x' } }] })).toContain('did you mean selector?');
  });
});
