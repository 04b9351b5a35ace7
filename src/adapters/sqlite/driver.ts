import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/**
 * Picks the better-sqlite3 build for this Node.js. better-sqlite3 12 (the one that runs on Node 20)
 * wraps its objects in `node::ObjectWrap`, whose destructor in Node 24's headers aborts the process
 * when the garbage collector frees a statement (`RemoveEnvironmentCleanupHook: (env) != nullptr`, seen
 * in our crash test on Node 24.21); better-sqlite3 13 uses N-API and is safe there, but needs Node 22.
 * npm installs the optional `better-sqlite3-napi` (better-sqlite3 13) only where its engine allows.
 */
function loadDriver(): { name: string; Sqlite: typeof BetterSqlite3 } {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) {
    try {
      return { name: 'better-sqlite3-napi', Sqlite: require('better-sqlite3-napi') as typeof BetterSqlite3 };
    } catch {
      // Not installed (npm skips an optional package whose build failed): version 12 still works.
    }
  }
  return { name: 'better-sqlite3', Sqlite: require('better-sqlite3') as typeof BetterSqlite3 };
}

const driver = loadDriver();

/** The better-sqlite3 `Database` constructor to use everywhere. */
export const Sqlite: typeof BetterSqlite3 = driver.Sqlite;

/** Which package `Sqlite` came from, for the start-up log. */
export const sqliteDriver: string = driver.name;
