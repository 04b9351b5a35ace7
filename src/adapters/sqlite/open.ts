/** Opens stormguard's SQLite database, configured for a long-running single writer and migrated. */
import fs from 'node:fs';
import path from 'node:path';
import { Sqlite } from './driver.js';
import type { Database } from 'better-sqlite3';
import { migrate, migrationsDir, type MigrationResult } from './migrate.js';

/** Options for `openDatabase`; the defaults are what the bot uses. */
export interface OpenOptions {
  /** Where the numbered migration files live; defaults to the repository's `migrations/`. */
  migrationsDir?: string;
  /** How long a statement waits for a lock held by another connection before failing (default `BUSY_TIMEOUT_MS`). */
  busyTimeoutMs?: number;
  /** Told what the start-up migration did, for the log line. */
  onMigrated?: (result: MigrationResult) => void;
}

/**
 * How long a statement waits for another process's write lock. better-sqlite3 waits synchronously, so
 * this stalls the whole bot (gateway, interactions, /readyz): short, so a foreign lock costs a quarter
 * second per refused write and is reported, instead of freezing the bot 5 s per statement.
 */
export const BUSY_TIMEOUT_MS = 250;

/**
 * Opens (creating if needed) the database at `file`, migrates it to the newest schema and switches it
 * to WAL; a database newer than the code is refused before anything is written to it.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  const inMemory = file === ':memory:' || file === '';
  if (!inMemory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Sqlite(file);
  try {
    // Connection settings only: nothing here writes to the file.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    // Migrate before switching to WAL, so a refused (newer) database is left byte for byte as found.
    const result = migrate(db, options.migrationsDir ?? migrationsDir());
    // WAL lets readers (/status, metrics) run beside the writer; NORMAL is durable enough in WAL mode
    // (a power cut may lose the last commits, never corrupt the file).
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    options.onMigrated?.(result);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
