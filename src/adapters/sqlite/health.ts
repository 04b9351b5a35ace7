/**
 * Whether the database takes writes: a full disk, a second writer holding the lock, a read-only or
 * failing file. Learnt from the writes themselves — a failed write marks the store unhealthy until a
 * write succeeds — so /readyz, the heartbeat and delivery see what the last write saw.
 */
import type { Database, Statement } from 'better-sqlite3';

/** Why the database cannot be written, as a stable id for logs, metrics and /readyz. */
export type StoreProblem = 'diskFull' | 'locked' | 'readOnly' | 'ioError' | 'corrupt';

/** What the last write saw. */
export interface StoreHealth {
  writable: boolean;
  problem: StoreProblem | null;
  /** What a person should do, in words; null while writable. */
  fix: string | null;
  /** When the first failed write of this spell happened (epoch ms), null while writable. */
  since: number | null;
  /** When another connection was last seen committing to the file (epoch ms), or null: a second writer. */
  otherWriterAt: number | null;
}

/** How long after another connection's last commit the store still reports a second writer. */
export const OTHER_WRITER_WINDOW_MS = 5 * 60_000;

/** What changed in the store's health, for the one log line per change. */
export type StoreHealthEvent = 'unwritable' | 'writable' | 'otherWriter';

/** Tracks write health and is told of every write's outcome by `watchWrites`. */
export interface WriteHealth {
  state(): StoreHealth;
  /** A write committed. */
  succeeded(): void;
  /** A statement failed; only storage failures (not constraint violations or bugs) change the health. */
  failed(err: unknown): void;
  /** Another connection committed to the file, seen at `at`. */
  otherWriter(at: number): void;
}

/** Options for `createWriteHealth`. */
export interface WriteHealthOptions {
  file: string;
  now?: () => number;
  /**
   * Told once when the store turns unwritable (or changes problem), once when it is writable again, and
   * when a second writer shows up after a quiet `OTHER_WRITER_WINDOW_MS`.
   */
  onChange?: (health: StoreHealth, event: StoreHealthEvent) => void;
}

/** Creates the tracker for the database at `file` (the path goes into the sentences people read). */
export function createWriteHealth(options: WriteHealthOptions): WriteHealth {
  const now = options.now ?? Date.now;
  let health: StoreHealth = { writable: true, problem: null, fix: null, since: null, otherWriterAt: null };
  return {
    state: () => health,
    succeeded() {
      if (health.writable) return;
      health = { ...health, writable: true, problem: null, fix: null, since: null };
      options.onChange?.(health, 'writable');
    },
    failed(err) {
      const problem = storeProblem(err);
      if (problem === null || health.problem === problem) return;
      health = { ...health, writable: false, problem, fix: fixFor(problem, options.file), since: health.since ?? now() };
      options.onChange?.(health, 'unwritable');
    },
    otherWriter(at) {
      const quiet = health.otherWriterAt === null || at - health.otherWriterAt >= OTHER_WRITER_WINDOW_MS;
      health = { ...health, otherWriterAt: at };
      if (quiet) options.onChange?.(health, 'otherWriter');
    },
  };
}

/** The storage problem behind a better-sqlite3 error (its `code`), or null for anything else. */
export function storeProblem(err: unknown): StoreProblem | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  // SQLite's unix VFS turns ENOSPC into SQLITE_FULL.
  if (code === 'SQLITE_FULL') return 'diskFull';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'locked';
  if (code.startsWith('SQLITE_READONLY')) return 'readOnly';
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return 'ioError';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  return null;
}

/** The problem in a few words for a person's reply (`stormguard cannot write its database: …`). */
export function describeStoreProblem(problem: StoreProblem): string {
  switch (problem) {
    case 'diskFull':
      return 'its disk is full';
    case 'locked':
      return 'another process holds its write lock';
    case 'readOnly':
      return 'it is read-only';
    case 'ioError':
      return 'its volume answers with I/O errors';
    case 'corrupt':
      return 'the file is damaged';
  }
}

/** The sentence for a second writer on `file`: what it means and what to do. */
export function otherWriterFix(file: string): string {
  return `another process writes to ${file} (a second stormguard on the same file posts every incident twice — without the Lease, or another deployment; or a tool): stop it`;
}

function fixFor(problem: StoreProblem, file: string): string {
  switch (problem) {
    case 'diskFull':
      return `the disk holding ${file} is full: free space or grow the volume; nothing is posted until stormguard can record it`;
    case 'locked':
      return `another process holds the write lock of ${file} (a second stormguard on the same file, or a tool such as sqlite3): stop it; nothing is posted until stormguard can record it`;
    case 'readOnly':
      return `${file} is read-only for stormguard: check the volume's mount and the file's owner`;
    case 'ioError':
      return `reading or writing ${file} fails (I/O error): check the volume and the kernel log`;
    case 'corrupt':
      return `${file} is damaged: restore it from a backup`;
  }
}

/**
 * Returns `db` with every statement reporting to `health`: a storage error marks it unhealthy, a
 * commit that wrote something marks it healthy (a write that changed nothing proves nothing: with a
 * full disk it still succeeds). Reads and writes otherwise behave exactly as better-sqlite3's.
 */
export function watchWrites(db: Database, health: WriteHealth): Database {
  // Rows changed inside the outermost open transaction: its commit is the write that counts.
  let dirty = false;
  const settle = (changed: boolean) => {
    if (db.inTransaction) {
      dirty ||= changed;
      return;
    }
    if (changed || dirty) health.succeeded();
    dirty = false;
  };
  const guard = <T>(fn: () => T, changed: (result: T) => boolean): T => {
    let result: T;
    try {
      result = fn();
    } catch (err) {
      health.failed(err);
      if (!db.inTransaction) dirty = false;
      throw err;
    }
    settle(changed(result));
    return result;
  };
  const watchStatement = (statement: Statement): Statement =>
    new Proxy(statement, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        if (key === 'run') return (...args: unknown[]) => guard(() => target.run(...args), (info) => info.changes > 0);
        if (key === 'get' || key === 'all' || key === 'iterate') return (...args: unknown[]) => guard(() => (value as (...a: unknown[]) => unknown).apply(target, args), () => false);
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  return new Proxy(db, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (key === 'prepare') return (source: string) => watchStatement(target.prepare(source));
      if (key === 'transaction')
        return (fn: (...args: unknown[]) => unknown) => {
          const tx = target.transaction(fn);
          // The commit (or the savepoint's release, which settles nothing) is what this wraps.
          return (...args: unknown[]) => guard(() => tx(...args), () => false);
        };
      if (key === 'exec') return (source: string) => guard(() => target.exec(source), () => false);
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}
