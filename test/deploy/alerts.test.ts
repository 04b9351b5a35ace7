/**
 * The chart's PrometheusRule, as helm renders it, checked by the real `promtool check rules` and each
 * alert unit-tested with `promtool test rules` on synthetic series (Debian package `prometheus`;
 * .ci/run and ci.yml install it). No promtool means a failing test with the reason, never a skip.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { helm, kubectlUnavailableReason } from '../helpers/kubectl.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
// The release the series below come from: job = the Service's name, as a ServiceMonitor scrapes it.
const TARGET = { job: 'stormguard', namespace: 'stormguard', pod: 'stormguard-7d9f-abcde', instance: '10.42.0.17:9464' };
const ALERT_LABELS = { team: 'homelab' }; // prometheusRule.alertLabels in monitoring.yaml

/** promtool's path, or a failure that says how to get it. */
function promtool(): string {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'pipe' });
    return 'promtool';
  } catch {
    throw new Error('promtool is not installed: apt-get install -y prometheus (.ci/run and ci.yml install it when missing)');
  }
}

function runPromtool(args: string[], cwd: string): string {
  try {
    return execFileSync(promtool(), args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: error });
  }
}

type Rule = { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

/** A series in promtool's notation (`metric{labels}` and an expanding values string). */
const series = (metric: string, labels: Record<string, string>, values: string) => ({
  series: `${metric}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`,
  values,
});

const unavailable = kubectlUnavailableReason();
const skip = unavailable !== undefined && !process.env.CI;

describe.skipIf(skip)('PrometheusRule (promtool)', () => {
  let dir: string;
  let rules: Map<string, Rule>;

  beforeAll(() => {
    const rendered = helm(['template', 'stormguard', 'charts/stormguard', '--namespace', 'stormguard', '-f', 'test/deploy/chart-values/monitoring.yaml']);
    const rule = parseAllDocuments(rendered)
      .map((d) => d.toJS() as { kind?: string } | null)
      .find((o) => o?.kind === 'PrometheusRule') as unknown as PrometheusRule;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-promtool-'));
    // A Prometheus rule file is the PrometheusRule's spec.
    fs.writeFileSync(path.join(dir, 'rules.yaml'), stringify(rule.spec));
    rules = new Map(rule.spec!.groups!.flatMap((g) => g.rules as Rule[]).map((r) => [r.alert, r]));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The alert as it fires: its rule's labels and annotations with `$labels`/`$value` filled in. */
  function firing(alert: string, labels: Record<string, string>, value?: number) {
    const rule = rules.get(alert)!;
    const fill = (text: string) =>
      text.replace(/\{\{ *\$labels\.(\w+) *\}\}/g, (_, name: string) => labels[name] ?? '').replace(/\{\{ *\$value *\}\}/g, () => String(value));
    return {
      exp_labels: { ...labels, ...rule.labels },
      exp_annotations: Object.fromEntries(Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, fill(v)])),
    };
  }

  /** Runs one `promtool test rules` file with one test case; returns promtool's output. */
  function testRules(name: string, testCase: unknown): string {
    const file = `${name}.test.yaml`;
    fs.writeFileSync(path.join(dir, file), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: [testCase] }));
    return runPromtool(['test', 'rules', file], dir);
  }

  it('promtool check rules accepts every expression', () => {
    expect(runPromtool(['check', 'rules', 'rules.yaml'], dir)).toMatch(/SUCCESS: 5 rules found/);
    expect([...rules.keys()]).toEqual(['StormguardDown', 'StormguardNoCheckCycle', 'StormguardDiscordBlocked', 'StormguardOutboxBacklogGrowing', 'StormguardLeaseNotHeld']);
    for (const rule of rules.values()) expect(rule.labels, rule.alert).toMatchObject(ALERT_LABELS);
  });

  it('promtool fails a wrong expectation (the unit tests can fail)', () => {
    expect(() =>
      testRules('wrong', {
        interval: '1m',
        input_series: [series('up', TARGET, '1x30')],
        alert_rule_test: [{ eval_time: '20m', alertname: 'StormguardDown', exp_alerts: [firing('StormguardDown', { job: TARGET.job, namespace: TARGET.namespace })] }],
      }),
    ).toThrow(/FAILED/);
  });

  it('StormguardDown: no successful scrape for 5 minutes', () => {
    const labels = { job: TARGET.job, namespace: TARGET.namespace };
    testRules('down', {
      interval: '1m',
      // Scraped fine for 10 minutes, then every scrape fails.
      input_series: [series('up', TARGET, '1x10 0x20')],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'StormguardDown', exp_alerts: [] },
        { eval_time: '14m', alertname: 'StormguardDown', exp_alerts: [] },
        { eval_time: '20m', alertname: 'StormguardDown', exp_alerts: [firing('StormguardDown', labels)] },
      ],
    });
    // Never scraped at all (no ServiceMonitor match, pod never started): absent, so it fires too.
    testRules('never-scraped', {
      interval: '1m',
      input_series: [series('up', { ...TARGET, job: 'something-else' }, '1x30')],
      alert_rule_test: [{ eval_time: '10m', alertname: 'StormguardDown', exp_alerts: [firing('StormguardDown', labels)] }],
    });
  });

  it('StormguardNoCheckCycle: the leader completed no cycle for 3 periods; a waiting standby never fires', () => {
    const standby = { ...TARGET, pod: 'stormguard-7d9f-standby', instance: '10.42.0.18:9464' };
    testRules('no-cycle', {
      interval: '1m',
      input_series: [
        // Cycles complete every minute (time() in seconds) until minute 10, then stop; period 30s.
        series('stormguard_last_cycle_completed_timestamp_seconds', TARGET, '0+60x10 600x20'),
        series('stormguard_cycle_period_seconds', TARGET, '30x30'),
        series('stormguard_leader', TARGET, '1x30'),
        // The standby has never run a cycle (0) and does not lead.
        series('stormguard_last_cycle_completed_timestamp_seconds', standby, '0x30'),
        series('stormguard_cycle_period_seconds', standby, '30x30'),
        series('stormguard_leader', standby, '0x30'),
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'StormguardNoCheckCycle', exp_alerts: [] },
        // 90s after the last cycle the condition holds; `for: 1m` later it fires.
        { eval_time: '12m', alertname: 'StormguardNoCheckCycle', exp_alerts: [] },
        { eval_time: '14m', alertname: 'StormguardNoCheckCycle', exp_alerts: [firing('StormguardNoCheckCycle', TARGET)] },
      ],
    });
  });

  it('StormguardDiscordBlocked: updates owed and nothing delivered to Discord for 15 minutes', () => {
    const discord = { ...TARGET, channel: 'discord' };
    testRules('discord-blocked', {
      interval: '1m',
      input_series: [
        // Deliveries until minute 10, then Discord accepts nothing while 3 updates wait.
        series('stormguard_notifications_total', { ...discord, outcome: 'delivered' }, '5+1x10 15x50'),
        series('stormguard_outbox_pending', discord, '0x10 3x50'),
        series('stormguard_leader', TARGET, '1x60'),
      ],
      alert_rule_test: [
        { eval_time: '20m', alertname: 'StormguardDiscordBlocked', exp_alerts: [] },
        { eval_time: '40m', alertname: 'StormguardDiscordBlocked', exp_alerts: [firing('StormguardDiscordBlocked', { namespace: TARGET.namespace, pod: TARGET.pod })] },
      ],
    });
    // Refused for good (e.g. 403 Missing Access) with nothing left pending: still blocked.
    testRules('discord-refusing', {
      interval: '1m',
      input_series: [
        series('stormguard_notifications_total', { ...discord, outcome: 'failed' }, '0+1x60'),
        series('stormguard_outbox_pending', discord, '0x60'),
        series('stormguard_leader', TARGET, '1x60'),
      ],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'StormguardDiscordBlocked', exp_alerts: [] },
        { eval_time: '30m', alertname: 'StormguardDiscordBlocked', exp_alerts: [firing('StormguardDiscordBlocked', { namespace: TARGET.namespace, pod: TARGET.pod })] },
      ],
    });
    // A setup problem reported (the bot lacks Send Messages), nothing owed yet: blocked all the same.
    testRules('discord-setup-problem', {
      interval: '1m',
      input_series: [
        series('stormguard_discord_setup_problem', { ...TARGET, problem: 'missingPermissions' }, '_x5 1x55'),
        series('stormguard_outbox_pending', discord, '0x60'),
        series('stormguard_leader', TARGET, '1x60'),
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'StormguardDiscordBlocked', exp_alerts: [] },
        { eval_time: '20m', alertname: 'StormguardDiscordBlocked', exp_alerts: [firing('StormguardDiscordBlocked', { namespace: TARGET.namespace, pod: TARGET.pod })] },
      ],
    });
    // Busy but healthy: updates pending now and then, and delivered.
    testRules('discord-healthy', {
      interval: '1m',
      input_series: [
        series('stormguard_notifications_total', { ...discord, outcome: 'delivered' }, '0+2x60'),
        series('stormguard_outbox_pending', discord, '1 0 2 0 1 0 3 0 1 0 1 0 2 0 1 0 3 0 1 0 1 0 2 0 1 0 3 0 1 0 1 0 2 0 1 0 3 0 1 0 1'),
        series('stormguard_leader', TARGET, '1x60'),
      ],
      alert_rule_test: [{ eval_time: '40m', alertname: 'StormguardDiscordBlocked', exp_alerts: [] }],
    });
  });

  it('StormguardOutboxBacklogGrowing: one channel keeps growing for 15 minutes; a steady backlog does not fire', () => {
    const email = { ...TARGET, channel: 'email' };
    testRules('backlog', {
      interval: '1m',
      input_series: [
        // Email backlog: nothing for 10 minutes, then one more every minute (20 at minute 30).
        series('stormguard_outbox_pending', email, '0x10 1+1x40'),
        // Discord: two waiting all along, not growing.
        series('stormguard_outbox_pending', { ...TARGET, channel: 'discord' }, '2x50'),
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'StormguardOutboxBacklogGrowing', exp_alerts: [] },
        { eval_time: '20m', alertname: 'StormguardOutboxBacklogGrowing', exp_alerts: [] },
        {
          eval_time: '30m',
          alertname: 'StormguardOutboxBacklogGrowing',
          exp_alerts: [firing('StormguardOutboxBacklogGrowing', { namespace: TARGET.namespace, pod: TARGET.pod, channel: 'email' }, 20)],
        },
      ],
    });
  });

  it('StormguardLeaseNotHeld: instances run but none leads for 2 minutes', () => {
    testRules('no-leader', {
      interval: '1m',
      input_series: [
        series('stormguard_leader', TARGET, '1x10 0x20'),
        series('stormguard_leader', { ...TARGET, pod: 'stormguard-7d9f-standby' }, '0x30'),
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'StormguardLeaseNotHeld', exp_alerts: [] },
        { eval_time: '12m', alertname: 'StormguardLeaseNotHeld', exp_alerts: [] },
        { eval_time: '15m', alertname: 'StormguardLeaseNotHeld', exp_alerts: [firing('StormguardLeaseNotHeld', { namespace: TARGET.namespace })] },
      ],
    });
  });
});
