/** The table `npm run bench` prints: every figure, then the goals with ✓/✗. */
import type { BenchResult } from './bench.js';
import { renderScopeSweep } from './scope.js';
import { renderDiagnosis } from './diagnosis.js';

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

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
  row('peak RSS MB under tsx (bot cycles; sampled every 50 ms)', `${s.rss_mb_tsx} (before start ${s.rss_mb_before_start}; peak heap used ${s.heap_used_mb})`);
  row('Kubernetes requests per hour, idle (informers)', `${s.k8s_requests_per_hour} (${s.request_ratio}× fewer than per-target polling)`);
  row('targets probed healthy in the last cycle', `${s.targets_probed_ok} / ${s.targets}`);

  const w = r.watch;
  if (w) {
    lines.push('', `production build: ${w.command} (${w.node}), ${w.targets} targets / ${w.nodes} nodes / ${w.namespaces} namespaces, ${w.caches} caches, schedule ${w.schedule}`);
    lines.push(`  ${''.padEnd(52)} ${'requests/h'.padStart(12)} ${'bytes/h'.padStart(14)}`);
    const traffic = (label: string, req: number, bytes: number) => lines.push(`  ${label.padEnd(52)} ${String(req).padStart(12)} ${String(bytes).padStart(14)}`);
    traffic(`informers idle (${w.idle.seconds} s measured + renewals)`, round1(w.idle.requests_per_hour + w.watch_renewals_per_hour), w.idle.bytes_per_hour);
    traffic(`informers, node outage (${w.outage.seconds} s)`, w.outage.requests_per_hour, w.outage.bytes_per_hour);
    traffic('per-cycle lists (before: 1 + 2 × namespaces a cycle)', w.per_cycle_lists.requests_per_hour, w.per_cycle_lists.bytes_per_hour);
    traffic('per-target polling', w.per_target_polling.requests_per_hour, NaN);
    row('node NotReady → incident message', `${w.node_notready_to_message_ms.p50} ms p50, ${w.node_notready_to_message_ms.max} max (${w.node_notready_to_message_ms.samples.length} nodes)`);
    row('cycle ms (production, real time)', `${w.cycle_ms.p50} p50, ${w.cycle_ms.p95} p95, ${w.cycle_ms.max} max (${w.cycle_ms.cycles} cycles)`);
    row('peak RSS MB (VmHWM), idle RSS MB', `${w.rss_mb}, ${w.rss_mb_idle} (start-up ${w.startup_ms} ms)`);
    if (w.namespace_sweep) {
      lines.push('', `namespace sweep (kubernetes.watchScope): ${w.targets} targets, the real adapter's caches against the simulator; requests/h = window + caches × 3,600 / mean watch timeout`);
      lines.push(...renderScopeSweep(w.namespace_sweep));
    }
    if (w.heap) {
      row('heap snapshot after the outage', `${w.heap.total_mb} MB; largest:`);
      for (const h of w.heap.top.slice(0, 8)) row(`  ${h.type} ${h.name}`, `${h.self_mb} MB (${h.count})`);
    }
  }

  lines.push('', 'outage: node-a NotReady with frigate failing, 30 s cycles, Discord + email; then node back, frigate restarted');
  lines.push(`  ${'hours'.padStart(5)} ${'cycles'.padStart(7)} ${'mentions'.padStart(9)} ${'discord req'.padStart(12)} ${'(in outage)'.padStart(12)} ${'emails'.padStart(7)} ${'restarts'.padStart(9)} ${'incidents'.padStart(10)} ${'resolved'.padStart(9)} ${'wall s'.padStart(7)}`);
  for (const o of r.outage) {
    lines.push(
      `  ${String(o.hours).padStart(5)} ${String(o.cycles).padStart(7)} ${String(o.mentions).padStart(9)} ${String(o.discord_requests).padStart(12)} ${String(o.discord_requests_during_outage).padStart(12)} ${String(o.emails).padStart(7)} ${String(o.restarts).padStart(9)} ${String(o.incidents).padStart(10)} ${(o.resolved ? `yes (+${o.cycles_to_resolve})` : 'NO').padStart(9)} ${String(o.wall_s).padStart(7)}`,
    );
  }

  const t = r.retention;
  if (t) {
    lines.push('', `retention: ${t.incidents} resolved incidents past retention, each with ${t.audit_per_incident} audit rows, ${t.outbox_per_incident} outbox rows and a restart attempt (${t.rows} rows)`);
    row('database file before pruning', `${t.file_mb_before} MB`);
    row('after pruning: file (SQLite keeps freed pages), pages in use', `${t.file_mb_after_prune} MB, ${t.used_mb_after_prune} MB`);
    row(`after ${t.incidents} more incidents written into it`, `${t.file_mb_after_refill} MB (freed pages reused)`);
    row(`one pruning batch (${t.batch_size} incidents, ~${t.rows_per_batch} rows)`, `${t.batch_ms.p50} ms p50, ${t.batch_ms.p95} p95, ${t.batch_ms.max} max (${t.batches} batches, ${t.prune_s} s)`);
    row('  same with an index on outbox (incident_id)', `${t.batch_ms_with_outbox_index.p50} ms p50, ${t.batch_ms_with_outbox_index.p95} p95, ${t.batch_ms_with_outbox_index.max} max`);
  }

  lines.push('', `reaction (schedule period ${x.schedule_period_ms / 1000} s)`);
  row('node NotReady → gate closed, command path (measured)', `${x.node_notready_to_gate_closed_ms} ms p50, ${x.node_notready_to_gate_closed_max_ms} max (${x.gate_reason}; ${s.targets} targets)`);
  row('  same on the 2-node homelab', `${x.gate_command_small_ms.p50} ms p50, ${x.gate_command_small_ms.max} max`);
  row('node NotReady → refusal, scheduler path (computed)', `${x.scheduler_node_notready_to_refusal_ms} ms avg = period/2 + cycle p50; worst ${x.scheduler_node_notready_to_refusal_worst_ms} ms (seen: ${x.scheduler_refusal_reason ?? 'none'})`);
  row('probe failure → first Discord message', `${x.probe_failure_to_first_message_ms} ms = 2 periods + delivery ${x.delivery_ms.p50} ms p50 (max ${x.delivery_ms.max}; cycles ${x.cycles_to_message.join(',')})`);

  if (r.diagnosis) lines.push(...renderDiagnosis(r.diagnosis));

  lines.push('', 'goals');
  for (const g of r.goals) lines.push(`  ${g.ok ? '✓' : '✗'} ${g.goal.padEnd(58)} ${g.value}`);
  lines.push('', `total ${r.duration_s} s`);
  return lines.join('\n');
}
