/**
 * Reaction times on the homelab with a 10-second schedule and failureThreshold 2: how long from a
 * probe failure to the first Discord message (schedule time + the delivery latency measured here),
 * and the gate's command path on this small cluster.
 */
import { performance } from 'node:perf_hooks';
import { HOMELAB_DISCORD } from '../src/sim/homelab.js';
import { startHomelab } from './homelab.js';
import { PERIOD_MS, SCHEDULE, untilAllowed, untilRefused } from './scale.js';
import { summarize } from './stats.js';

/** What was measured, real milliseconds. */
export interface ReactionSample {
  /** From the start of the cycle that confirms the failure (tick: cycle + delivery) to the Discord simulator answering the POST of the incident message. */
  delivery_ms: { p50: number; max: number; samples: number };
  /** Node NotReady → `gateNow('frigate')` refusing, on the 2-node homelab. */
  gate_command_ms: { p50: number; max: number; samples: number; reason: string };
  /** Cycles from the first failed observation to the message (expected: failureThreshold = 2). */
  cycles_to_message: number[];
  /** The scheduler's next cycle after node-a went NotReady refused frigate's restart with this reason. */
  scheduler_refusal: string | null;
}

/** Measures `samples` separate incidents (one target each), then the gate paths. */
export async function runReaction(samples: number): Promise<ReactionSample> {
  const names = Array.from({ length: samples }, (_, i) => `svc-${i + 1}`);
  const lab = await startHomelab({ schedule: SCHEDULE, probedTargets: names, target: { failureThreshold: 2 } });
  try {
    const { app, discord, kube, probe } = lab;
    const cycle = async () => {
      lab.advance(PERIOD_MS);
      await lab.settle();
      return app.cycles.tick();
    };
    for (let i = 0; i < 2; i++) await cycle();

    const delivery: number[] = [];
    const cyclesToMessage: number[] = [];
    const postPath = `/channels/${HOMELAB_DISCORD.channel}/messages`;
    for (const name of names) {
      probe.setStatus(name, 503);
      let t0 = 0;
      let seenAt: number | null = null;
      const off = discord.onAnswered((r) => {
        if (seenAt === null && r.method === 'POST' && r.path === postPath && r.status < 300) seenAt = performance.now();
      });
      let n = 0;
      while (seenAt === null && n < 5) {
        n++;
        t0 = performance.now();
        await cycle();
      }
      off();
      if (seenAt !== null) {
        delivery.push(seenAt - t0);
        cyclesToMessage.push(n);
      }
    }

    // Command path on the small cluster.
    const gateMs: number[] = [];
    let reason = '';
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      kube.setNodeReady('node-a', 'False');
      reason = await untilRefused(app);
      gateMs.push(performance.now() - t0);
      kube.setNodeReady('node-a', 'True');
      await untilAllowed(app);
    }

    // Scheduler path: frigate failing and node-a NotReady; its automatic restart is refused in a cycle.
    probe.setStatus('frigate', 503);
    kube.setNodeReady('node-a', 'False');
    let refusal: string | null = null;
    for (let i = 0; i < 3 && refusal === null; i++) {
      await cycle();
      refusal = app.store.auditFor({ action: 'restartSkipped' }).find((a) => a.detail['target'] === 'frigate')?.reason ?? null;
    }

    const d = summarize(delivery);
    const g = summarize(gateMs);
    return {
      delivery_ms: { p50: d.p50, max: d.max, samples: delivery.length },
      gate_command_ms: { p50: g.p50, max: g.max, samples: gateMs.length, reason },
      cycles_to_message: cyclesToMessage,
      scheduler_refusal: refusal,
    };
  } finally {
    await lab.close();
  }
}
