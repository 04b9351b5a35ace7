/**
 * The outage-length scenario: node-a goes NotReady while frigate on it fails, for 1 h, 6 h or 24 h
 * of 30-second cycles (the full bot with Discord and email); then the node returns, frigate stays
 * broken until it is restarted, and recovers once restarted. What people get must not grow with
 * the outage's length.
 */
import { startHomelab } from './homelab.js';

const CYCLE_MS = 30_000;
/** Cycles after the node returns before giving up on recovery (20 simulated minutes). */
const RECOVERY_CYCLES = 40;

/** What one incident cost, whatever its length. */
export interface OutageResult {
  hours: number;
  cycles: number;
  /** Role mentions that rang (not suppressed), anywhere. */
  mentions: number;
  /** Every Discord REST request, login and command sync included. */
  discord_requests: number;
  /** Discord REST requests made while the node was down. */
  discord_requests_during_outage: number;
  emails: number;
  /** Restarts (workload PATCH / pod DELETE) in total, and while the node was down. */
  restarts: number;
  restarts_during_outage: number;
  incidents: number;
  top_level_messages: number;
  /** Whether the incident resolved after the node returned, and how many cycles that took. */
  resolved: boolean;
  cycles_to_resolve: number | null;
  /** Request bodies the Discord simulator found invalid against Discord's schema. */
  discord_violations: number;
  /** Real seconds the scenario took. */
  wall_s: number;
}

/** Runs one outage of `hours` and reports per-incident counts. */
export async function runOutage(hours: number): Promise<OutageResult> {
  const started = performance.now();
  const lab = await startHomelab({ schedule: '*/30 * * * * *' });
  try {
    const { kube, discord, smtp, probe, app } = lab;
    const cycle = async () => {
      lab.advance(CYCLE_MS);
      await lab.settle();
      await app.cycles.tick();
    };
    // A restart is what fixes frigate (the motivating story): it answers again once patched.
    kube.onAnswered((a) => {
      if (a.method === 'PATCH' && a.path.endsWith('/deployments/frigate') && a.code === 200) probe.setStatus('frigate', 200);
    });

    for (let i = 0; i < 2; i++) await cycle();
    kube.setNodeReady('node-a', 'False');
    probe.setStatus('frigate', 503);
    const discordBefore = discord.requests.length;
    const cycles = Math.round((hours * 3_600_000) / CYCLE_MS);
    for (let i = 0; i < cycles; i++) await cycle();
    const discordDuring = discord.requests.length - discordBefore;
    const restartsDuring = kube.restarts.length;

    kube.setNodeReady('node-a', 'True');
    let toResolve: number | null = null;
    for (let i = 1; i <= RECOVERY_CYCLES; i++) {
      await cycle();
      if (app.store.openIncidents().length === 0) {
        toResolve = i;
        break;
      }
    }
    // A few quiet cycles more: nothing further may happen once it is over.
    for (let i = 0; i < 4; i++) await cycle();
    await app.cycles.deliver();

    return {
      hours,
      cycles,
      mentions: discord.allMentions().filter((r) => r.kind === 'role' && !r.suppressed).length,
      discord_requests: discord.requests.length,
      discord_requests_during_outage: discordDuring,
      emails: smtp.mails.length,
      restarts: kube.restarts.length,
      restarts_during_outage: restartsDuring,
      incidents: app.store.recentIncidents(0).length,
      top_level_messages: discord.channel().messages.length,
      resolved: toResolve !== null,
      cycles_to_resolve: toResolve,
      discord_violations: discord.violations.length,
      wall_s: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await lab.close();
  }
}
