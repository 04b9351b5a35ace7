/** The table `npm run bench` prints: every figure, then the goals with ✓/✗. */
import type { BenchResult } from './bench.js';

/** Renders the result as plain-text tables. */
export function renderReport(r: BenchResult): string {
  const s = r.scale;
  const x = r.reaction;
  const lines: string[] = [];
  const row = (label: string, value: string | number) => lines.push(`  ${label.padEnd(52)} ${value}`);
  lines.push(
    `stormguard bench — ${r.machine.date} — node ${r.machine.node}, ${r.machine.cores} cores (${r.machine.cpu}), load at start ${r.machine.loadavg_at_start.join(' ')}`,
  );
  lines.push('', `scale: ${s.targets} targets (HTTP probes, ${s.probe_latency_ms} ms) over ${s.nodes} nodes in ${s.namespaces} namespaces, API latency ${s.api_latency_ms} ms, schedule ${s.schedule}`);
  lines.push(`  (${s.cycles} cycles back to back after ${s.warmup_cycles} warm-up; timed: ${s.cycle_timed})`);
  lines.push(`  ${''.padEnd(52)} ${'stormguard'.padStart(12)} ${'per-target'.padStart(12)} ${'ratio'.padStart(8)}`);
  const cmp = (label: string, a: number, b: number, ratio?: string) =>
    lines.push(`  ${label.padEnd(52)} ${String(a).padStart(12)} ${String(b).padStart(12)} ${(ratio ?? '').padStart(8)}`);
  cmp('cycle ms p50', s.cycle_ms.p50, s.baseline_cycle_ms.p50, `${s.wall_time_ratio}×`);
  cmp('cycle ms p95', s.cycle_ms.p95, s.baseline_cycle_ms.p95);
  cmp('cycle ms max', s.cycle_ms.max, s.baseline_cycle_ms.max);
  cmp('Kubernetes requests per cycle', s.k8s_requests_per_cycle, s.baseline_k8s_requests_per_cycle, `${s.request_ratio}×`);
  cmp('CPU s per cycle (this process)', s.cpu_s_per_cycle, s.baseline_cpu_s_per_cycle);
  row('CPU s per cycle (simulator + probe endpoint, child)', s.sim_cpu_s_per_cycle);
  row('peak RSS MB (bot cycles; sampled every 50 ms)', `${s.rss_mb} (before start ${s.rss_mb_before_start}; peak heap used ${s.heap_used_mb})`);
  row('targets probed healthy in the last cycle', `${s.targets_probed_ok} / ${s.targets}`);

  lines.push('', 'outage: node-a NotReady with frigate failing, 30 s cycles, Discord + email; then node back, frigate restarted');
  lines.push(`  ${'hours'.padStart(5)} ${'cycles'.padStart(7)} ${'mentions'.padStart(9)} ${'discord req'.padStart(12)} ${'(in outage)'.padStart(12)} ${'emails'.padStart(7)} ${'restarts'.padStart(9)} ${'incidents'.padStart(10)} ${'resolved'.padStart(9)} ${'wall s'.padStart(7)}`);
  for (const o of r.outage) {
    lines.push(
      `  ${String(o.hours).padStart(5)} ${String(o.cycles).padStart(7)} ${String(o.mentions).padStart(9)} ${String(o.discord_requests).padStart(12)} ${String(o.discord_requests_during_outage).padStart(12)} ${String(o.emails).padStart(7)} ${String(o.restarts).padStart(9)} ${String(o.incidents).padStart(10)} ${(o.resolved ? `yes (+${o.cycles_to_resolve})` : 'NO').padStart(9)} ${String(o.wall_s).padStart(7)}`,
    );
  }

  lines.push('', `reaction (schedule period ${x.schedule_period_ms / 1000} s)`);
  row('node NotReady → gate closed, command path (measured)', `${x.node_notready_to_gate_closed_ms} ms p50, ${x.node_notready_to_gate_closed_max_ms} max (${x.gate_reason}; ${s.targets} targets)`);
  row('  same on the 2-node homelab', `${x.gate_command_small_ms.p50} ms p50, ${x.gate_command_small_ms.max} max`);
  row('node NotReady → refusal, scheduler path (computed)', `${x.scheduler_node_notready_to_refusal_ms} ms avg = period/2 + cycle p50; worst ${x.scheduler_node_notready_to_refusal_worst_ms} ms (seen: ${x.scheduler_refusal_reason ?? 'none'})`);
  row('probe failure → first Discord message', `${x.probe_failure_to_first_message_ms} ms = 2 periods + delivery ${x.delivery_ms.p50} ms p50 (max ${x.delivery_ms.max}; cycles ${x.cycles_to_message.join(',')})`);

  lines.push('', 'goals');
  for (const g of r.goals) lines.push(`  ${g.ok ? '✓' : '✗'} ${g.goal.padEnd(58)} ${g.value}`);
  lines.push('', `total ${r.duration_s} s`);
  return lines.join('\n');
}
