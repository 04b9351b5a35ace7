/**
 * The benchmark at a tiny scale: the JSON has the documented shape, and the invariants that are not
 * timings hold (Kubernetes requests per cycle do not grow with the target count, the per-target
 * baseline makes exactly 2 per target, an outage rings at most twice). Timings are never asserted.
 */
import { describe, expect, it } from 'vitest';
import { runBench, type BenchResult } from '../bench/bench.js';
import { renderReport } from '../bench/report.js';
import { runScale, type ScaleOptions } from '../bench/scale.js';
import { runRetention } from '../bench/retention.js';
import { runScopeSweep } from '../bench/scope.js';

const TINY: ScaleOptions = { targets: 20, nodes: 5, namespaces: 3, apiLatencyMs: 1, probeDelayMs: 1, warmupCycles: 1, cycles: 3, baselineCycles: 2, gateSamples: 2 };

const msSummary = { p50: expect.any(Number), p95: expect.any(Number), max: expect.any(Number) };

describe('npm run bench, at a tiny scale', () => {
  it('writes the documented JSON and keeps the non-timing invariants', async () => {
    const result: BenchResult = JSON.parse(JSON.stringify(await runBench({ scale: TINY, outageHours: [1], reactionSamples: 2 })));

    expect(result.machine).toMatchObject({ cores: expect.any(Number), node: process.version, date: expect.any(String) });
    expect(result.scale).toMatchObject({
      targets: 20,
      nodes: 5,
      cycle_ms: msSummary,
      baseline_cycle_ms: msSummary,
      k8s_requests_per_cycle: expect.any(Number),
      baseline_k8s_requests_per_cycle: expect.any(Number),
      rss_mb: expect.any(Number),
      cpu_s_per_cycle: expect.any(Number),
      request_ratio: expect.any(Number),
      rss_mb_tsx: expect.any(Number),
      k8s_requests_per_hour: expect.any(Number),
    });
    // Informers: the measured cycles read the caches, so no cycle made a request.
    expect(result.scale.k8s_requests_per_cycle).toBe(0);
    expect(result.watch).toBeNull();
    // Every target was really probed over HTTP, and a person's /restart is refused while the node is down.
    expect(result.scale.targets_probed_ok).toBe(20);
    expect(result.scale.gate_command_ms.reason).toBe('nodeNotReady');
    // The naive checker reads one node and lists pods once per target.
    expect(result.scale.baseline_k8s_requests_per_cycle).toBe(2 * 20);

    expect(result.outage).toEqual([
      expect.objectContaining({ hours: 1, mentions: expect.any(Number), discord_requests: expect.any(Number), emails: expect.any(Number), restarts: expect.any(Number) }),
    ]);
    const [outage] = result.outage;
    // One incident, one message; it rings when it opens and once more at the escalation 15 minutes
    // later (nobody acknowledges), which is also the one email; one restart, after the node is back.
    expect(outage!.mentions).toBe(2);
    expect(outage!.restarts).toBe(1);
    expect(outage).toMatchObject({ incidents: 1, top_level_messages: 1, emails: 1, resolved: true });
    expect(outage!.restarts_during_outage).toBe(0);
    expect(outage!.discord_violations).toBe(0);

    expect(result.reaction).toMatchObject({
      node_notready_to_gate_closed_ms: expect.any(Number),
      probe_failure_to_first_message_ms: expect.any(Number),
      gate_reason: 'nodeNotReady',
      scheduler_refusal_reason: 'nodeNotReady',
      cycles_to_message: [2, 2],
    });

    expect(result.goals).toHaveLength(6);
    const table = renderReport(result);
    expect(table.match(/^ {2}[✓✗] /gm)).toHaveLength(6);
  }, 180_000);

  it('makes the same number of Kubernetes requests per cycle for 10 targets as for 20', async () => {
    const small = await runScale({ ...TINY, targets: 10, baselineCycles: 1, gateSamples: 0 });
    const large = await runScale({ ...TINY, targets: 20, baselineCycles: 1, gateSamples: 0 });
    expect(small.k8s_requests_per_cycle).toBe(large.k8s_requests_per_cycle);
    expect(small.k8s_requests_by_route).toEqual(large.k8s_requests_by_route);
    expect(small.baseline_k8s_requests_per_cycle).toBe(2 * 10);
    expect(large.baseline_k8s_requests_per_cycle).toBe(2 * 20);
  }, 120_000);

  it('sweeps namespaces: per-namespace caches grow with them, cluster-wide ones stay at nodes + pods + Warning events + deployments, and cycles make no request', async () => {
    const rows = await runScopeSweep({ targets: 12, nodes: 2, namespaces: [1, 6], scopes: ['namespaces', 'cluster'], periodMs: 30_000, windowSeconds: 1, cyclesPerWindow: 3 });
    expect(rows.map((r) => [r.namespaces, r.scope, r.caches, r.watches_open, r.window_requests])).toEqual([
      [1, 'namespaces', 4, 4, 0],
      [1, 'cluster', 4, 4, 0],
      [6, 'namespaces', 19, 19, 0],
      [6, 'cluster', 4, 4, 0],
    ]);
    // Idle requests per hour are the watch renewals: caches × 3,600 / 2,700.
    expect(rows[2]!.requests_per_hour).toBeCloseTo((19 * 3600) / 2700, 1);
    expect(rows[2]!.polling_requests_per_hour).toBe(2 * 12 * 120);
  }, 120_000);

  it('prunes a database of expired incidents batch by batch down to almost nothing in use, and the file takes as many again without growing much', async () => {
    const r = await runRetention({ incidents: 120, auditPerIncident: 10, outboxPerIncident: 4, batch: 25 });
    // Per incident: itself, 10 audit rows, 4 outbox rows, 1 restart attempt.
    expect(r.rows).toBe(120 * 16);
    expect(r.batches).toBe(5);
    expect(r.used_mb_after_prune).toBeLessThan(r.file_mb_before);
    expect(r.file_mb_after_refill).toBeLessThanOrEqual(r.file_mb_before * 1.1);
    expect(r.batch_ms).toEqual(msSummary);
  }, 60_000);
});

describe('npm run bench: knowing why (issue 22), at a tiny scale', () => {
  it('measures reason → card, the idle hour with and without the Warning events watch, and a storm that edits the card at most once per diagnosis change', async () => {
    const { runDiagnosisBench, renderDiagnosis } = await import('../bench/diagnosis.js');
    const { diagnosisGoals } = await import('../bench/bench.js');
    const d = await runDiagnosisBench({ samples: 1, idleMinutes: 10, stormPerMinute: 200, stormMinutes: 2, reactionTimeoutMs: 5_000 });
    expect(d.reason_to_card).toHaveLength(2);
    for (const r of d.reason_to_card) expect(r.ms.length + r.missed).toBe(1);
    // The caches answer every cycle: no request in the window; the events watch is one more watch per namespace.
    const [on, off] = d.idle;
    expect(on).toMatchObject({ warning_events: true, requests_in_window: 0 });
    expect(off).toMatchObject({ warning_events: false, requests_in_window: 0 });
    expect(on!.caches - off!.caches).toBe(1);
    // The storm: 400 events, a tenth of them about frigate's own pod; the diagnosis does not change, so neither does the card.
    expect(d.storm.events).toBe(400);
    expect(d.storm.message_edits).toBeLessThanOrEqual(d.storm.diagnosis_changes);
    expect(d.storm.message_edits).toBe(0);
    expect(d.storm.thread_notes).toBe(0);
    expect(diagnosisGoals(d).map((g) => g.goal)).toHaveLength(2);
    expect(renderDiagnosis(d).join('\n')).toContain('event storm: 400 Warning events over 2 min');
  }, 120_000);
});
