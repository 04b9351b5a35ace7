import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateConfig } from '../config/index.js';
import { silentLogger } from '../log.js';
import { startApp, type App } from '../runtime/app/index.js';
import { createKubeAdapter } from '../adapters/kube/index.js';
import { HOMELAB, HOMELAB_DISCORD, homelabConfig, startHomelabSimulators } from '../sim/homelab.js';
import { SIM_RESYNC_BACKOFF, waitForCaches } from '../sim/kube/index.js';
import { channelPage, type Snapshot } from './html.js';
import { asSeen } from './markup.js';
import { narrateBot } from './narrate.js';
import { startServiceStub } from './serviceStub.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Also write the channel, at the story's key moments, as a Discord-like web page to this file. */
  html?: string;
  /** Time zone for the times shown (default: this machine's), so tests can pin it. */
  timeZone?: string;
}

/** The homelab's Discord ids, and the person of the story (any snowflake does). */
const IDS = { ...HOMELAB_DISCORD, alice: '900000000000000005' };
const CYCLE_MS = 30_000;

/** The counts the demo ends with; the test suite checks them. */
export interface DemoSummary {
  messages: number;
  edits: number;
  threadNotes: number;
  mentions: number;
  restartsAttempted: number;
  futileRestarts: number;
  restartsRefused: Record<string, number>;
  violations: number;
}

/**
 * `stormguard demo`: the real bot, unchanged, against the Kubernetes and Discord simulators on
 * loopback, playing the outage that motivated it — node-a goes down for maintenance while Frigate
 * on it is unhealthy, a person asks for a restart and is told why not, the node returns, Frigate is
 * restarted once and recovers. Time is simulated (each check cycle is 30 s), so two hours take seconds.
 */
export async function runDemo(out: NodeJS.WritableStream, options: DemoOptions = {}): Promise<DemoSummary> {
  let now = Date.parse('2026-11-25T22:00:00Z');
  const clock = () => now;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-demo-'));
  const frigate = await startServiceStub();
  const { kube, discord, apiUrl } = await startHomelabSimulators({ dir, kube: { now: clock, rolloutDelayMs: 20_000 }, discord: { now: clock } });
  const config = validateConfig({ ...homelabConfig({ dir, apiUrl, frigateProbe: frigate.url }), http: { port: 0 } }, 'demo');

  const names: { roles: Record<string, string>; users: Record<string, string> } = { roles: { [IDS.oncall]: 'oncall', [IDS.operators]: 'operators' }, users: { [IDS.alice]: 'alice' } };
  const seenAt = (text: string, at: number) => asSeen(text, { now: at, ...names, ...(options.timeZone ? { timeZone: options.timeZone } : {}) });
  const seen = (text: string) => seenAt(text, now);
  const say = (text: string) => out.write(`${text}\n`);
  const stamp = () => new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', ...(options.timeZone ? { timeZone: options.timeZone } : {}) }).format(now);
  // What the bot did since the last look, told from the requests the simulators received.
  let seenRequests = 0;
  let seenRestarts = 0;
  let narration: string[] = [];
  const narrate = () => {
    const lines = narrateBot(discord.requests.slice(seenRequests), kube.restarts.slice(seenRestarts), IDS.channel, (id) => names.roles[id] ?? id);
    seenRequests = discord.requests.length;
    seenRestarts = kube.restarts.length;
    for (const line of lines) say(`  → ${line}`);
    narration.push(...lines);
  };
  const person = (line: string) => {
    say(`  ${line}`);
    narration.push(line);
  };
  const snapshots: Snapshot[] = [];
  let lastView = '';
  const show = (caption?: string) => {
    narrate();
    const view = seen(discord.render());
    if (caption) {
      snapshots.push({ at: stamp(), now, caption, view: discord.channel(), narration });
      narration = [];
    }
    if (view === lastView) return;
    lastView = view;
    say(view.replace(/^/gm, '    '));
  };

  let app: App | null = null;
  try {
    const adapter = createKubeAdapter({ ...config.kubernetes, env: {}, backoff: SIM_RESYNC_BACKOFF });
    app = await startApp({ config, logger: silentLogger(), clock, env: {}, kube: adapter });
    const bot = app.cycles;
    const cycles = async (n: number) => {
      for (let i = 0; i < n; i++) {
        now += CYCLE_MS;
        // Simulated time jumps 30 s at once: let the watches deliver what happened before the cycle reads.
        await waitForCaches(kube, () => adapter.caches());
        await bot.tick();
      }
    };

    say('stormguard demo — simulated Kubernetes and Discord on loopback; each check cycle is 30 simulated seconds.\n');
    say(`[${stamp()}] All is well: ${HOMELAB.workloads.map((w) => `${w.name} on ${w.node}`).join(', ')}.`);
    await cycles(2);
    show();

    say(`\n[${stamp()}] node-a goes down for maintenance while frigate on it is unhealthy.`);
    kube.setNodeReady('node-a', 'False');
    frigate.setHealthy(false);
    await cycles(2);
    show('node-a goes down for maintenance while frigate on it is unhealthy');

    say(`\n[${stamp()}] Alice's phone rang. She opens Discord.`);
    person('alice types /restart target:frigate reason:it is stuck');
    const refused = await discord.slashCommand({ name: 'restart', options: { target: 'frigate', reason: 'it is stuck' }, user: { id: IDS.alice, roles: [IDS.operators] } });
    person(`stormguard answers (only alice sees it): ${seen(refused.reply?.content ?? '—')}`);
    person('alice types /ack');
    const ack = await discord.slashCommand({ name: 'ack', user: { id: IDS.alice, roles: [IDS.operators] } });
    person(`stormguard answers (only alice sees it): ${seen(ack.reply?.content ?? '—')}`);
    await bot.deliver();
    show('alice is told why not to restart, and acknowledges');

    say(`\n[${stamp()}] The maintenance takes two hours. The old CronJob would have sent 24 alerts and 24 futile restarts.`);
    const quietBefore = discord.requests.length;
    await cycles(240);
    say(`    … 240 check cycles later: ${discord.requests.length - quietBefore} Discord requests, no new message, no new mention.`);
    show();

    say(`\n[${stamp()}] node-a is back (Ready). frigate is still unhealthy.`);
    kube.setNodeReady('node-a', 'True');
    const restartsBefore = kube.restarts.length;
    await cycles(3);
    show();

    say(`\n[${stamp()}] The restart helped: frigate answers again.`);
    frigate.setHealthy(true);
    await cycles(3);
    show('node-a is back, frigate was restarted once and recovers: resolved');
    if (options.html) {
      fs.writeFileSync(options.html, channelPage(snapshots, seenAt, (id) => names.roles[id] ?? id));
      say(`\n(the channel at ${snapshots.length} moments, as a web page: ${options.html})`);
    }

    const mentions = discord.allMentions().filter((r) => r.kind === 'role' && !r.suppressed).length;
    const channel = discord.channel();
    const refusals: Record<string, number> = {};
    for (const a of app.store.auditFor({})) {
      if ((a.action === 'restartSkipped' || a.action === 'restartRefused') && a.reason) refusals[a.reason] = (refusals[a.reason] ?? 0) + 1;
    }
    const summary: DemoSummary = {
      messages: channel.messages.length,
      edits: channel.messages.reduce((n, m) => n + m.editCount, 0),
      threadNotes: channel.messages.reduce((n, m) => n + (m.thread?.messages.length ?? 0), 0),
      mentions,
      restartsAttempted: kube.restarts.length,
      futileRestarts: restartsBefore,
      restartsRefused: refusals,
      violations: discord.violations.length,
    };
    const refusedText = Object.entries(refusals).map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none';
    say(
      `\nsummary: ${summary.messages} message posted, ${summary.edits} edits, ${summary.threadNotes} thread notes, ${summary.mentions} mention, ` +
        `${summary.restartsAttempted} restart attempted, ${summary.futileRestarts} futile restarts, restarts refused: ${refusedText}`,
    );
    return summary;
  } finally {
    await app?.close();
    await discord.stop();
    await kube.stop();
    await frigate.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
