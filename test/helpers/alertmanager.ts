/**
 * A real Prometheus Alertmanager (Debian package `prometheus-alertmanager`) on loopback, with a
 * generated configuration: one route grouping by `alertname` with second-long timings, and one
 * webhook receiver pointing at stormguard with a bearer token. Missing binary = a failing test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const CANDIDATES = ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager', '/usr/local/bin/alertmanager'];

/** The Alertmanager binary, or an error saying how to install it (tests fail, they do not skip). */
export function alertmanagerBinary(): string {
  const found = CANDIDATES.find((file) => fs.existsSync(file));
  if (!found) {
    throw new Error('Alertmanager is not installed: `apt-get install -y prometheus-alertmanager` (.ci/run installs it when missing)');
  }
  return found;
}

/** A free loopback TCP port (taken, read, released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One alert as posted to `POST /api/v2/alerts`. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/** A silence as `GET /api/v2/silences` returns it. */
export interface GettableSilence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** A running Alertmanager and the calls tests make to it. */
export interface AlertmanagerProcess {
  url: string;
  version: string;
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  silences(): Promise<GettableSilence[]>;
  /** Alertmanager's state of the (first) alert with this alertname: `active`, `suppressed`, or null when it has none. */
  alertState(alertname: string): Promise<string | null>;
  /** Alertmanager's state of each alert matching all of `labels`, sorted: `active` or `suppressed`. */
  alertStates(labels: Record<string, string>): Promise<string[]>;
  /** Creates a silence as any API client would (`POST /api/v2/silences`) and returns its id. */
  createSilence(silence: { matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>; startsAt: string; endsAt: string; createdBy: string; comment: string }): Promise<string>;
  /** Notifications Alertmanager sent to the webhook so far (its own counter), successful or not. */
  notificationsSent(): Promise<number>;
  /** Stops the process (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

/** Options for the generated configuration. */
export interface AlertmanagerOptions {
  webhookUrl: string;
  bearerToken: string;
  /** Default 1h: only the tests about repeats make it short. */
  repeatInterval?: string;
  /** Keeps the notification log and silences across a restart of Alertmanager. */
  storageDir?: string;
  /** A second webhook in the same receiver (a test's recorder): it gets every notification stormguard gets. */
  alsoTo?: string;
  /** Other teams' routes: alerts with all of `labels` go to their own webhook (`url`) instead of stormguard. */
  routes?: Array<{ labels: Record<string, string>; url: string }>;
  /** Read the bearer token from this file (`credentials_file`, as the README sets it up) instead of `bearerToken`. */
  credentialsFile?: string;
}

/** Starts Alertmanager and waits until `/-/ready` answers. */
export async function startAlertmanager(options: AlertmanagerOptions): Promise<AlertmanagerProcess> {
  const binary = alertmanagerBinary();
  const dir = options.storageDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-am-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(
    configFile,
    [
      'route:',
      '  receiver: stormguard',
      '  group_by: [alertname]',
      '  group_wait: 1s',
      '  group_interval: 1s',
      `  repeat_interval: ${options.repeatInterval ?? '1h'}`,
      ...(options.routes?.length ? ['  routes:'] : []),
      ...(options.routes ?? []).flatMap((r, i) => [
        `    - receiver: team-${i}`,
        `      matchers: ${JSON.stringify(Object.entries(r.labels).map(([name, value]) => `${name}=${JSON.stringify(value)}`))}`,
      ]),
      'receivers:',
      '  - name: stormguard',
      '    webhook_configs:',
      `      - url: ${JSON.stringify(options.webhookUrl)}`,
      '        send_resolved: true',
      '        http_config:',
      options.credentialsFile
        ? `          authorization: { type: Bearer, credentials_file: ${JSON.stringify(options.credentialsFile)} }`
        : `          authorization: { type: Bearer, credentials: ${JSON.stringify(options.bearerToken)} }`,
      ...(options.alsoTo ? [`      - url: ${JSON.stringify(options.alsoTo)}`, '        send_resolved: true'] : []),
      ...(options.routes ?? []).flatMap((r, i) => [`  - name: team-${i}`, '    webhook_configs:', `      - url: ${JSON.stringify(r.url)}`, '        send_resolved: true']),
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      '--cluster.listen-address=',
      '--log.level=debug',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited at start:\n${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`alertmanager did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const status = (await (await fetch(`${url}/api/v2/status`)).json()) as { versionInfo: { version: string } };

  return {
    url,
    version: status.versionInfo.version,
    async postAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
      if (!res.ok) throw new Error(`POST /api/v2/alerts: ${res.status} ${await res.text()}`);
    },
    async silences() {
      return (await (await fetch(`${url}/api/v2/silences`)).json()) as GettableSilence[];
    },
    async alertState(alertname) {
      const alerts = (await (await fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`)).json()) as Array<{ status: { state: string } }>;
      return alerts[0]?.status.state ?? null;
    },
    async alertStates(labels) {
      const query = Object.entries(labels).map(([name, value]) => `filter=${encodeURIComponent(`${name}=${JSON.stringify(value)}`)}`).join('&');
      const alerts = (await (await fetch(`${url}/api/v2/alerts?${query}`)).json()) as Array<{ status: { state: string } }>;
      return alerts.map((a) => a.status.state).sort();
    },
    async createSilence(silence) {
      const res = await fetch(`${url}/api/v2/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(silence) });
      if (!res.ok) throw new Error(`POST /api/v2/silences: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { silenceID: string }).silenceID;
    },
    async notificationsSent() {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('alertmanager_notifications_total{integration="webhook"}'));
      return line ? Number(line.split(' ')[1]) : 0;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      if (!options.storageDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Counts the notifications a webhook receives, per alert name of the group. */
export interface NotificationRecorder {
  url: string;
  /** Notifications received for groups whose `groupLabels.alertname` is `alertname`. */
  count(alertname: string): number;
  close(): Promise<void>;
}

/** A loopback webhook that records what Alertmanager sends (stands in for "what a chat integration would post"). */
export async function startRecorder(): Promise<NotificationRecorder> {
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const name = (JSON.parse(body) as { groupLabels: Record<string, string> }).groupLabels.alertname ?? '';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    count: (alertname) => counts.get(alertname) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
