/** The `meta` table: small facts the bot must remember across restarts (e.g. Discord last reachable). */
import type { Database } from 'better-sqlite3';

/** Typed access to key/value metadata; synchronous. */
export interface MetaRepo {
  /** The value stored under `key`, or null. */
  getMeta(key: string): string | null;
  /** Stores `value` under `key`, replacing any previous value. */
  setMeta(key: string, value: string): void;
}

/** Builds the metadata repository over `db`. */
export function createMetaRepo(db: Database): MetaRepo {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const set = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    getMeta(key) {
      return get.get(key)?.value ?? null;
    },
    setMeta(key, value) {
      set.run(key, value);
    },
  };
}
