/**
 * The retention scenario: a real database file with many resolved incidents past `retention`, each
 * with a realistic record (audit rows, outbox rows, a restart attempt), pruned by the cycle's batch
 * until none is left. Reports the file before and after, the pages still in use, the file after as
 * many incidents again (SQLite reuses the freed pages: the file stays bounded), and each batch's time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { openDatabase } from '../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../src/adapters/sqlite/store.js';
import { newIncident } from '../src/core/lifecycle.js';
import type { Effect } from '../src/core/types.js';
import { mb, round, summarize } from './stats.js';

/** Sizes of the scenario. */
export interface RetentionOptions {
  incidents: number;
  auditPerIncident: number;
  /** Outbox rows per incident, all delivered (post, edits, thread notes, archive). */
  outboxPerIncident: number;
  /** Incidents per pruning batch (the cycle's INCIDENT_PRUNE_BATCH). */
  batch: number;
  /**
   * Adds an index on outbox (incident_id) to this database first. The schema has none (only a partial
   * one on pending rows), so each deleted incident's foreign-key check scans the outbox.
   */
  outboxIndex?: boolean;
}

/** What the scenario measured. */
export interface RetentionResult {
  incidents: number;
  audit_per_incident: number;
  outbox_per_incident: number;
  /** Rows in incidents and every table that references them, before pruning. */
  rows: number;
  file_mb_before: number;
  /** SQLite does not shrink a file by itself; the freed pages are reused by what comes next. */
  file_mb_after_prune: number;
  /** Pages in use after pruning (page_count − freelist_count), in MiB. */
  used_mb_after_prune: number;
  /** The file after as many incidents again were written into the pruned database. */
  file_mb_after_refill: number;
  batch_size: number;
  batches: number;
  /** One pruning batch (in its own transaction, as in the cycle), real milliseconds. */
  batch_ms: { p50: number; p95: number; max: number };
  rows_per_batch: number;
  /** Whole prune, real seconds. */
  prune_s: number;
}

const DAY = 24 * 60 * 60_000;
const T0 = 1_750_000_000_000;
const ACTIONS = ['detected', 'opened', 'rung', 'restartRefused', 'acknowledged', 'silenced', 'restartRequested', 'restartSucceeded', 'noteAdded', 'resolved'];
const OUTBOX: Effect[] = [
  { type: 'postMessage', mention: true },
  { type: 'threadNote', text: 'Restart of frigate refused: node k3s-2 is NotReady (kubelet stopped posting node status).' },
  { type: 'editMessage' },
  { type: 'archiveThread' },
];

/** Runs the scenario on a fresh file in the temporary directory and removes it afterwards. */
export async function runRetention(o: RetentionOptions): Promise<RetentionResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-retention-bench-'));
  const file = path.join(dir, 'stormguard.db');
  const db = openDatabase(file);
  // Not a schema change of stormguard: this bench-only database measures what the index would buy.
  if (o.outboxIndex) db.exec('CREATE INDEX outbox_by_incident_id ON outbox (incident_id)');
  const store = createStore(db, { now: () => T0 });
  try {
    fill(store, o, 0);
    const rows = countRows(db);
    const before = fileBytes(db, file);
    const cut = T0;
    const times: number[] = [];
    const started = performance.now();
    for (;;) {
      const t = performance.now();
      const pruned = store.transaction(() => store.pruneIncidents(cut, o.batch));
      if (pruned.incidents === 0) break;
      times.push(performance.now() - t);
    }
    const pruneS = (performance.now() - started) / 1000;
    const afterPrune = fileBytes(db, file);
    const used = usedBytes(db);
    fill(store, o, o.incidents);
    const afterRefill = fileBytes(db, file);
    return {
      incidents: o.incidents,
      audit_per_incident: o.auditPerIncident,
      outbox_per_incident: o.outboxPerIncident,
      rows,
      file_mb_before: mb(before),
      file_mb_after_prune: mb(afterPrune),
      used_mb_after_prune: mb(used),
      file_mb_after_refill: mb(afterRefill),
      batch_size: o.batch,
      batches: times.length,
      batch_ms: summarize(times),
      rows_per_batch: round(rows / Math.max(times.length, 1), 0),
      prune_s: round(pruneS, 2),
    };
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes `o.incidents` resolved incidents, all resolved more than 180 days before T0, in transactions of 500. */
function fill(store: Store, o: RetentionOptions, offset: number): void {
  for (let start = 0; start < o.incidents; start += 500) {
    store.transaction(() => {
      for (let i = start; i < Math.min(o.incidents, start + 500); i++) {
        const n = offset + i;
        const openedAt = T0 - 400 * DAY + n * 60_000;
        const subject = `target:service-${n % 40}`;
        const incident = store.insertIncident({
          ...newIncident(subject, 'target', 'HTTP probe: 503 Service Unavailable from http://service.apps.svc:8080/healthz', openedAt),
          targets: [`service-${n % 40}`],
          state: 'resolved',
          resolvedAt: openedAt + 20 * 60_000,
          acknowledgedBy: '500000000000000001',
          acknowledgedAt: openedAt + 5 * 60_000,
          notifiedAt: openedAt,
        });
        const id = incident.id!;
        for (let a = 0; a < o.auditPerIncident; a++) {
          const action = ACTIONS[a % ACTIONS.length]!;
          store.appendAudit({ at: openedAt + a * 60_000, actor: a % 3 === 0 ? '500000000000000001' : 'scheduler', action, subject, incidentId: id, reason: a % 4 === 3 ? 'nodeNotReady' : null, detail: { node: 'k3s-2', cycle: n * 10 + a, message: 'node k3s-2 is NotReady' } });
        }
        for (let b = 0; b < o.outboxPerIncident; b++) {
          const effect = OUTBOX[b % OUTBOX.length]!;
          store.markEffectDone(store.enqueueEffect(id, effect, openedAt + b * 1000), openedAt + b * 1000 + 300);
        }
        const attempt = store.insertRestartAttempt({ target: `service-${n % 40}`, incidentId: id, requestedBy: 'scheduler', automatic: true, requestedAt: openedAt + 10 * 60_000 });
        store.finishRestartAttempt(attempt.id, 'succeeded', null, openedAt + 11 * 60_000);
      }
    });
  }
}

function countRows(db: Database): number {
  const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return ['incidents', 'audit_log', 'outbox', 'restart_attempts', 'alert_groups'].reduce((sum, t) => sum + count(t), 0);
}

/** The file's size once the WAL is folded in. */
function fileBytes(db: Database, file: string): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  return fs.statSync(file).size;
}

function usedBytes(db: Database): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
}
