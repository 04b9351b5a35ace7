/**
 * Knowing why, measured (issue 22 item 6) on the homelab, in this process, on a controllable clock:
 * - how long from the API reporting a reason (the simulator's `failPods`) to the incident card showing
 *   it, on an incident already open — with the bot started, so reactions to the watches run as they do
 *   in production (the schedule is set far away: only a reaction can be measured);
 * - Kubernetes requests and bytes over one idle simulated hour (120 cycles) with and without the Warning
 *   events watch (watch renewals are real-time, so they are added as computed);
 * - an event storm: 1,000 Warning events a minute in the watched namespaces for 5 simulated minutes
 *   while an incident with a diagnosis is open: peak RSS, CPU per simulated minute, and how many times
 *   the card was edited against how many times the diagnosis changed (at most one edit per change).
 * Figures are printed, never asserted as timings; the edit count is an invariant the bench test checks.
 */
import { performance } from 'node:perf_hooks';
import { HOMELAB_DISCORD } from '../src/sim/homelab.js';
import type { SimFailure } from '../src/sim/kube/diagnostics.js';
import type { DiscordRequestRecord } from '../src/sim/discord/server.js';
import { startHomelab, type Homelab } from './homelab.js';
import { cpuSecondsSince, mb, round, sampleRss } from './stats.js';

/** What to run. */
export interface DiagnosisBenchOptions {
  /** Reason → card samples per scenario. */
  samples: number;
  /** Simulated minutes of idle measured (default 60: one hour of 30 s cycles). */
  idleMinutes: number;
  /** Warning events per simulated minute, and for how many minutes. */
  stormPerMinute: number;
  stormMinutes: number;
  /** How long to wait for a reaction before calling it missed (real ms). */
  reactionTimeoutMs: number;
}

/** The sizes the issue asks for. */
export const DIAGNOSIS_FULL: DiagnosisBenchOptions = { samples: 5, idleMinutes: 60, stormPerMinute: 1000, stormMinutes: 5, reactionTimeoutMs: 5_000 };

/** Reason → card, real milliseconds; `missed` samples did not show within the timeout (they wait for the next scheduled cycle). */
export interface ReasonLatency {
  scenario: string;
  ms: number[];
  missed: number;
}

/** Traffic of one idle simulated hour. */
export interface IdleTraffic {
  warning_events: boolean;
  caches: number;
  /** Requests the cycles made in the simulated hour (the caches answer: 0 expected). */
  requests_in_window: number;
  /** Body bytes the simulator sent in the window (watch events and bookmarks). */
  bytes_in_window: number;
  /** Window + watch renewals (caches × 3,600 / 2,700 mean watch timeout). */
  requests_per_hour: number;
}

/** What the storm did. */
export interface StormResult {
  events: number;
  minutes: number;
  peak_rss_mb: number;
  rss_before_mb: number;
  cpu_s_per_minute: number;
  wall_s: number;
  /** PATCHes of the incident message during the storm. */
  message_edits: number;
  /** `diagnosisChanged` audit records during the storm. */
  diagnosis_changes: number;
  /** Thread notes posted during the storm. */
  thread_notes: number;
}

/** The whole diagnosis benchmark. */
export interface DiagnosisBenchResult {
  reason_to_card: ReasonLatency[];
  idle: IdleTraffic[];
  storm: StormResult;
}

const FRIGATE = { kind: 'Deployment', name: 'frigate' } as const;
const NEVER = '0 0 0 1 1 *';
const PERIOD_MS = 30_000;
const MEAN_WATCH_TIMEOUT_S = 2_700;

/** Runs the three parts one after the other. */
export async function runDiagnosisBench(o: DiagnosisBenchOptions): Promise<DiagnosisBenchResult> {
  const reason_to_card = [
    await reasonToCard(o, 'pods were ready (app answered 503), then ImagePullBackOff', { kind: 'imagePull', reason: 'ImagePullBackOff', message: 'Back-off pulling image "frigate:0.99"' }, null),
    await reasonToCard(o, 'pods already not ready (readiness), then OOMKilled again and again', { kind: 'crashLoop', exitCode: 137, reason: 'OOMKilled' }, { kind: 'readiness' }),
  ];
  const idle = [await idleHour(o, true), await idleHour(o, false)];
  const storm = await eventStorm(o);
  return { reason_to_card, idle, storm };
}

async function cycles(lab: Homelab, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    lab.advance(PERIOD_MS);
    await lab.settle();
    await lab.app.cycles.tick();
  }
}

function isCardEdit(r: DiscordRequestRecord): boolean {
  return r.method === 'PATCH' && r.path.startsWith(`/channels/${HOMELAB_DISCORD.channel}/messages/`) && r.status < 300;
}

function cardTitle(r: DiscordRequestRecord): string {
  return (r.body as { embeds?: Array<{ title?: string }> } | null)?.embeds?.[0]?.title ?? '';
}

/**
 * One sample per fresh homelab: frigate's incident open (the probe answers 503), then the API reports
 * the reason; the clock stops when Discord answers the card's edit that names it.
 */
async function reasonToCard(o: DiagnosisBenchOptions, scenario: string, failure: SimFailure, before: SimFailure | null): Promise<ReasonLatency> {
  const ms: number[] = [];
  let missed = 0;
  for (let i = 0; i < o.samples; i++) {
    // No automatic restart: a rollout would replace the pods whose reason is being measured.
    const lab = await startHomelab({ schedule: NEVER, notify: { escalateAfter: '3h' }, target: { autoRestart: false } });
    try {
      lab.probe.setStatus('frigate', 503);
      if (before) lab.kube.failPods('nvr', FRIGATE, before);
      await cycles(lab, 2);
      lab.app.cycles.start();
      const summary = failure.kind === 'imagePull' ? 'cannot pull its image' : 'runs out of memory';
      let t0 = 0;
      const shown = new Promise<number>((resolve) => {
        const off = lab.discord.onAnswered((r) => {
          if (isCardEdit(r) && cardTitle(r).includes(summary)) {
            off();
            resolve(performance.now() - t0);
          }
        });
      });
      if (failure.kind === 'crashLoop') {
        // The kubelet's restarts take time: they happen on the simulator's clock, and the API reports
        // them (a watch event) when the simulator publishes the pods' state — that is when the clock starts.
        lab.kube.failPods('nvr', FRIGATE, failure);
        lab.advance(5 * 60_000);
        t0 = performance.now();
        lab.kube.pods('nvr');
      } else {
        t0 = performance.now();
        lab.kube.failPods('nvr', FRIGATE, failure);
      }
      const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), o.reactionTimeoutMs).unref());
      const took = await Promise.race([shown, timeout]);
      if (took === null) missed++;
      else ms.push(round(took));
    } finally {
      await lab.close();
    }
  }
  return { scenario, ms, missed };
}

/** One simulated idle hour of 30 s cycles, frigate healthy, with or without the Warning events watch. */
async function idleHour(o: DiagnosisBenchOptions, warningEvents: boolean): Promise<IdleTraffic> {
  const lab = await startHomelab({ schedule: NEVER, warningEvents });
  try {
    await cycles(lab, 2);
    const caches = lab.kube.watches().length;
    lab.kube.resetRequests();
    const bytes0 = lab.kube.bytesSent();
    await cycles(lab, (o.idleMinutes * 60_000) / PERIOD_MS);
    const requests = lab.kube.countRequests();
    const perHour = 60 / o.idleMinutes;
    return {
      warning_events: warningEvents,
      caches,
      requests_in_window: requests,
      bytes_in_window: lab.kube.bytesSent() - bytes0,
      requests_per_hour: round(requests * perHour + (caches * 3600) / MEAN_WATCH_TIMEOUT_S),
    };
  } finally {
    await lab.close();
  }
}

/** The storm, with frigate's image-pull incident open and diagnosed before it starts. */
async function eventStorm(o: DiagnosisBenchOptions): Promise<StormResult> {
  const lab = await startHomelab({ schedule: NEVER, notify: { escalateAfter: '3h' } });
  try {
    lab.probe.setStatus('frigate', 503);
    lab.kube.failPods('nvr', FRIGATE, { kind: 'imagePull', reason: 'ImagePullBackOff', message: 'Back-off pulling image "frigate:0.99"' });
    await cycles(lab, 3);
    const edits0 = lab.discord.requests.filter(isCardEdit).length;
    const changes0 = lab.app.store.auditFor({ action: 'diagnosisChanged' }).length;
    const notes0 = lab.discord.countRequests({ method: 'POST', path: '/channels/' }) - lab.discord.countRequests({ method: 'POST', path: `/channels/${HOMELAB_DISCORD.channel}/` });
    // In-process: the simulators and tsx are in these figures; the growth is what the storm costs.
    const rssBefore = process.memoryUsage().rss;
    const sampler = sampleRss();
    const cpu = process.cpuUsage();
    const started = performance.now();
    // Both watched namespaces share the storm; each minute is two 30 s cycles.
    const namespaces = ['nvr', 'home'];
    for (let minute = 0; minute < o.stormMinutes; minute++) {
      for (let half = 0; half < 2; half++) {
        // A tenth is about frigate's own pod, each event new (another message): evidence that changes, a diagnosis that does not.
        const own = Math.round(o.stormPerMinute / 2 / 10);
        for (const ns of namespaces) lab.kube.eventStorm(ns, (o.stormPerMinute / 2 - own) / namespaces.length, { objects: 200 });
        const pod = lab.kube.pods('nvr').find((p) => p.name.startsWith('frigate-'));
        for (let i = 0; pod && i < own; i++) {
          lab.kube.emitEvent({
            namespace: 'nvr',
            involvedObject: { kind: 'Pod', namespace: 'nvr', name: pod.name, uid: pod.uid, apiVersion: 'v1' },
            reason: 'Failed',
            message: `Error: ImagePullBackOff (attempt ${minute}-${half}-${i})`,
            type: 'Warning',
            source: { component: 'kubelet', host: 'node-a' },
          });
        }
        await cycles(lab, 1);
      }
    }
    const wall = (performance.now() - started) / 1000;
    const cpuS = cpuSecondsSince(cpu);
    const peak = sampler.stop();
    const notes1 = lab.discord.countRequests({ method: 'POST', path: '/channels/' }) - lab.discord.countRequests({ method: 'POST', path: `/channels/${HOMELAB_DISCORD.channel}/` });
    return {
      events: o.stormPerMinute * o.stormMinutes,
      minutes: o.stormMinutes,
      peak_rss_mb: mb(peak.rss),
      rss_before_mb: mb(rssBefore),
      cpu_s_per_minute: round(cpuS / o.stormMinutes, 3),
      wall_s: round(wall),
      message_edits: lab.discord.requests.filter(isCardEdit).length - edits0,
      diagnosis_changes: lab.app.store.auditFor({ action: 'diagnosisChanged' }).length - changes0,
      thread_notes: notes1 - notes0,
    };
  } finally {
    await lab.close();
  }
}

/** The figures as lines for the report. */
export function renderDiagnosis(d: DiagnosisBenchResult): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`  ${label.padEnd(52)} ${value}`);
  lines.push('', 'knowing why (issue 22): the homelab in this process, simulators included in RSS and CPU');
  for (const r of d.reason_to_card) {
    const sorted = [...r.ms].sort((a, b) => a - b);
    const p50 = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
    lines.push(`  reason → card: ${r.scenario}`);
    row('', `${sorted.length ? `${p50} ms p50, ${sorted.at(-1)} max` : 'never'} (${r.ms.length} shown, ${r.missed} waited for the next cycle)`);
  }
  for (const i of d.idle) {
    row(`idle simulated hour, Warning events ${i.warning_events ? 'on' : 'off'} (${i.caches} watches)`, `${i.requests_per_hour} requests/h (${i.requests_in_window} by cycles), ${i.bytes_in_window} bytes`);
  }
  const s = d.storm;
  row(`event storm: ${s.events} Warning events over ${s.minutes} min`, `peak RSS ${s.peak_rss_mb} MB (before ${s.rss_before_mb}), CPU ${s.cpu_s_per_minute} s per minute, ${s.wall_s} s wall`);
  row('  card edits / diagnosis changes / thread notes', `${s.message_edits} / ${s.diagnosis_changes} / ${s.thread_notes}`);
  return lines;
}
