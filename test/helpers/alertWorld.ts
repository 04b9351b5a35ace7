import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log.js';
import { runApp, type Service } from '../../src/runtime/app/index.js';
import type { DiscordSimulator } from '../../src/sim/discord/index.js';
import { homelabConfig, startHomelabSimulators } from '../../src/sim/homelab.js';
import type { KubeSimulator } from '../../src/sim/kube/index.js';
import { expect } from 'vitest';
import { freePort, startAlertmanager, startRecorder, type AlertmanagerOptions, type AlertmanagerProcess, type NotificationRecorder } from './alertmanager.js';

export const WEBHOOK_TOKEN = 'am-webhook-token-0123456789';

/** stormguard as `stormguard run` runs it (HTTP server included), a real Alertmanager calling it, and the simulators. */
export interface AlertWorld {
  am: AlertmanagerProcess;
  /** Receives every notification stormguard receives: what Alertmanager's own chat integration would post. */
  recorder: NotificationRecorder;
  kube: KubeSimulator;
  discord: DiscordSimulator;
  service: Service;
  /** `http://127.0.0.1:port`: stormguard's HTTP server (the same port across restarts). */
  url: string;
  dir: string;
  /** Stops stormguard (as a redeploy would) and starts it again on the same database and port. */
  restartBot(): Promise<void>;
  close(): Promise<void>;
}

/** Starts everything on loopback, on the real clock (Alertmanager keeps real time). */
export async function startAlertWorld(
  options: {
    repeatInterval?: string;
    config?: Record<string, unknown>;
    routes?: AlertmanagerOptions['routes'];
    /** How the configuration names Alertmanager's URL (e.g. with `user:password@`). */
    alertmanagerUrl?: (url: string) => string;
    /** stormguard's clock (default real time; Alertmanager keeps real time regardless). */
    clock?: () => number;
  } = {},
): Promise<AlertWorld> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-amworld-'));
  const { kube, discord, apiUrl } = await startHomelabSimulators({ dir, kube: { rolloutDelayMs: 2_000 } });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const recorder = await startRecorder();
  const amOptions: AlertmanagerOptions = { webhookUrl: `${url}/alertmanager`, bearerToken: WEBHOOK_TOKEN, repeatInterval: options.repeatInterval, alsoTo: recorder.url, routes: options.routes };
  const am = await startAlertmanager(amOptions);
  const config = validateConfig(
    {
      ...homelabConfig({ dir, apiUrl }),
      // Cycles are not what these tests are about; one at start-up gives the bot its view of nodes and pods.
      schedule: '0 0 0 1 1 *',
      http: { port },
      alertmanager: { receiver: { bearerToken: WEBHOOK_TOKEN }, url: options.alertmanagerUrl?.(am.url) ?? am.url },
      ...options.config,
    },
    'alert-world.yaml',
  );
  const start = () => runApp({ config, logger: silentLogger(), env: {}, listen: { host: '127.0.0.1', port }, lease: false, ...(options.clock ? { clock: options.clock } : {}) });
  const world: AlertWorld = {
    am,
    recorder,
    kube,
    discord,
    service: await start(),
    url,
    dir,
    async restartBot() {
      await world.service.close();
      world.service = await start();
    },
    async close() {
      await world.service.close();
      await world.am.stop();
      await recorder.close();
      await discord.stop();
      await kube.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** How long the Alertmanager tests wait for a notification to travel through a real Alertmanager. */
export const ALERT_POLL = { timeout: 20_000, interval: 100 };

/** An afterEach body: closes the world if a test started one, and fails the test if Discord saw a body it would refuse. */
export async function closeAlertWorldChecked(w: AlertWorld | undefined): Promise<void> {
  if (!w) return;
  const violations = w.discord.violations;
  await w.close();
  expect(violations).toEqual([]);
}
