/**
 * Schema migrations, Signal Desktop style: numbered SQL files, `PRAGMA user_version` written in the
 * same transaction as the schema change, and a database newer than the code refused outright.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import { timelineKind, timelineSource } from '../../core/timeline.js';

/** One numbered migration file. */
export interface Migration {
  version: number;
  name: string;
  file: string;
}

/** What `migrate` did: the schema version before and after. */
export interface MigrationResult {
  from: number;
  to: number;
}

const MIGRATION_FILE = /^(\d{3,})_([A-Za-z0-9_-]+)\.sql$/;

/** Lists the migrations in `dir` in order; throws on a misnamed `.sql` file, a duplicate or a gap. */
export function readMigrations(dir: string): Migration[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (cause) {
    throw new Error(`migrations: cannot read directory ${dir}`, { cause });
  }
  const migrations: Migration[] = [];
  for (const entry of entries) {
    if (!entry.endsWith('.sql')) continue;
    const match = MIGRATION_FILE.exec(entry);
    // A misnamed file would otherwise be skipped silently and its schema change never applied.
    if (!match) throw new Error(`migrations: ${entry} is not named NNN_name.sql`);
    migrations.push({ version: Number(match[1]), name: match[2] ?? '', file: path.join(dir, entry) });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (previous && previous.version === migration.version) {
      const names = `${path.basename(previous.file)} and ${path.basename(migration.file)}`;
      throw new Error(`migrations: ${names} share version ${migration.version}`);
    }
    if (migration.version !== index + 1) {
      throw new Error(`migrations: expected version ${index + 1} but found ${path.basename(migration.file)}`);
    }
  });
  return migrations;
}

/** Reads the schema version stored in the database header. */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` to the newest migration in `dir`; all pending migrations run in one transaction, so a
 * failure leaves the database exactly as it was. A database newer than the code is refused untouched.
 */
export function migrate(db: Database, dir: string = migrationsDir()): MigrationResult {
  const migrations = readMigrations(dir);
  const head = migrations.length;
  const from = schemaVersion(db);
  if (from > head) {
    throw new Error(
      `database ${db.name} is at schema version ${from} but this stormguard only knows up to ${head}; ` +
        'upgrade stormguard or restore a backup',
    );
  }
  const pending = migrations.slice(from);
  if (pending.length === 0) return { from, to: from };

  // Migration 008 re-keys Alertmanager subjects by the SHA-256 of their groupKey; SQLite has no hash.
  db.function('sha256_hex', { deterministic: true }, (text: unknown) => createHash('sha256').update(String(text), 'utf8').digest('hex'));
  // Migration 011 classifies the audit log's records with the core's one mapping (the store uses it for new ones).
  db.function('timeline_kind', { deterministic: true }, (action: unknown, reason: unknown, detail: unknown) =>
    timelineKind(String(action), reason === null ? null : String(reason), JSON.parse(String(detail)) as Record<string, unknown>),
  );
  db.function('timeline_source', { deterministic: true }, (actor: unknown, action: unknown, reason: unknown, detail: unknown) =>
    timelineSource(String(actor), String(action), reason === null ? null : String(reason), JSON.parse(String(detail)) as Record<string, unknown>),
  );
  // Foreign keys are switched off around the transaction (a no-op inside one) so a future migration
  // can rebuild a referenced table; foreign_key_check then proves nothing was left dangling.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (const migration of pending) {
        const sql = fs.readFileSync(migration.file, 'utf8');
        try {
          db.exec(sql);
        } catch (cause) {
          throw new Error(`migration ${path.basename(migration.file)} failed`, { cause });
        }
        db.pragma(`user_version = ${migration.version}`);
      }
      const violations = db.pragma('foreign_key_check') as unknown[];
      if (violations.length > 0) {
        throw new Error(`migrations left ${violations.length} foreign key violation(s); rolled back`);
      }
    })();
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
  return { from, to: head };
}

/**
 * Locates the repository's `migrations/` folder by walking up from this module to the directory that
 * holds `package.json`, so it works from `src/` (vitest, tsx) and from `dist/src/` (after `tsc`).
 */
export function migrationsDir(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      const candidate = path.join(dir, 'migrations');
      if (!fs.existsSync(candidate)) throw new Error(`migrations: no migrations/ folder next to ${dir}/package.json`);
      return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`migrations: no package.json above ${start}`);
    dir = parent;
  }
}
