/** The database behind stormguard as one typed, synchronous repository (better-sqlite3). */
import type { Database } from 'better-sqlite3';
import { createAlertGroupRepo, type AlertGroupRepo } from './alertGroups.js';
import { createAuditRepo, type AuditRepo } from './audit.js';
import { createWriteHealth, watchWrites, type StoreHealth, type StoreHealthEvent } from './health.js';
import { createClockStepRepo, type ClockStepRepo } from './clockStep.js';
import { createIncidentRepo, type IncidentRepo } from './incidents.js';
import { createMaintenanceRepo, type MaintenanceRepo } from './maintenance.js';
import { createMetaRepo, type MetaRepo } from './meta.js';
import { createOutboxRepo, type OutboxRepo } from './outbox.js';
import { createRestartRepo, type RestartRepo } from './restarts.js';
import { createRetentionRepo, type RetentionRepo } from './retention.js';
import { createSilenceRepo, type SilenceRepo } from './silences.js';
import { createTargetStateRepo, type TargetStateRepo } from './targetState.js';
import { createWindowRepo, type WindowRepo } from './windows.js';

export type { AuditFilter } from './audit.js';
export type { ClockStepReport } from './clockStep.js';
export type { StoreHealth, StoreHealthEvent, StoreProblem } from './health.js';
export type { DiscordRefs } from './incidents.js';
export type { OutboxFilter, OutboxStatus, PendingEffect } from './outbox.js';
export type { FinishedRestartStatus, RestartQuery } from './restarts.js';
export type { PruneReport } from './retention.js';

/** Every repository of the database, plus atomic grouping and shutdown. */
export interface Store
  extends IncidentRepo, TargetStateRepo, SilenceRepo, RestartRepo, AuditRepo, OutboxRepo, MetaRepo, AlertGroupRepo, ClockStepRepo, RetentionRepo, WindowRepo, MaintenanceRepo {
  /**
   * Runs `fn` in one transaction: all its writes commit together or none do. `fn` must be
   * synchronous (persist, then act: never await inside); nested calls become savepoints.
   */
  transaction<T>(fn: () => T): T;
  /** Whether the database takes writes, as the last write found (a failed one marks it unwritable until one succeeds). */
  health(): StoreHealth;
  /**
   * Looks whether another connection (another process: a second stormguard on the same file, a tool)
   * committed to the database since the last look (`PRAGMA data_version`, no write); `health()` then
   * reports it as `otherWriterAt`.
   */
  checkOtherWriters(now: number): void;
  /** Checkpoints the WAL into the main file and closes the database; safe to call twice. */
  close(): void;
}

/** Options for `createStore`. */
export interface StoreOptions {
  /** Clock for bookkeeping columns (created_at, updated_at); domain times are always passed in. */
  now?: () => number;
  /** Told when the database stops taking writes (disk full, another writer's lock…) and when it takes them again. */
  onHealthChange?: (health: StoreHealth, event: StoreHealthEvent) => void;
}

/** Builds the store over an open, migrated database (see `openDatabase`). */
export function createStore(db: Database, options: StoreOptions = {}): Store {
  const now = options.now ?? Date.now;
  const writes = createWriteHealth({ file: db.name, now, ...(options.onHealthChange ? { onChange: options.onHealthChange } : {}) });
  // Every repository writes through the watched connection, so any failed write is seen, whoever made it.
  const watched = watchWrites(db, writes);
  let dataVersion = dataVersionOf(db);
  return {
    ...createIncidentRepo(watched, now),
    ...createTargetStateRepo(watched),
    ...createSilenceRepo(watched),
    ...createRestartRepo(watched),
    ...createAuditRepo(watched),
    ...createOutboxRepo(watched),
    ...createMetaRepo(watched),
    ...createAlertGroupRepo(watched),
    ...createClockStepRepo(watched),
    ...createWindowRepo(watched),
    ...createRetentionRepo(watched),
    ...createMaintenanceRepo(watched),
    transaction<T>(fn: () => T): T {
      return watched.transaction(fn)();
    },
    health: () => writes.state(),
    checkOtherWriters(at) {
      const version = dataVersionOf(db);
      if (version !== dataVersion) writes.otherWriter(at);
      dataVersion = version;
    },
    close() {
      if (!db.open) return;
      // Folding the WAL back leaves a single self-contained file for backups and the next start. Only
      // `main`: after a table rebuild (migration 003) the connection's temp schema refuses a checkpoint.
      try {
        if (!db.memory && !db.readonly) db.pragma('main.wal_checkpoint(TRUNCATE)');
      } catch {
        // A full disk or another process's lock: the WAL stays beside the file and is folded in at the next start.
      }
      db.close();
    },
  };
}

/** SQLite's count of commits by OTHER connections to this file as this connection saw them: our own writes never move it. */
function dataVersionOf(db: Database): number {
  return db.pragma('data_version', { simple: true }) as number;
}
