/** The doctor's look at Alertmanager's Watchdog: when stormguard last heard it (SPEC §14). */
import fs from 'node:fs';
import type { Config } from '../config/types.js';
import { formatDuration } from '../core/duration.js';
import { Sqlite } from '../adapters/sqlite/driver.js';
import { createMetaRepo } from '../adapters/sqlite/meta.js';
import { WATCHDOG_LAST_SEEN } from '../runtime/watchdog.js';
import { fail, ok, warn, type Check } from './checklist.js';

/** What a person does when the Watchdog never reaches stormguard. */
const ROUTE_FIX = 'route the Watchdog alert to stormguard with its own repeat_interval shorter than alertmanager.watchdog.within (README, "Alertmanager\'s Watchdog")';

/**
 * When the last Watchdog notification arrived, read from the database (read-only; nothing is written):
 * ok within `within`, a failure beyond it, a warning when none was ever recorded.
 */
export function checkWatchdog(config: Config, now: number): Check | null {
  const watchdog = config.alertmanager?.watchdog;
  if (!watchdog) return null;
  const file = config.database.path;
  if (!fs.existsSync(file)) return warn(`no Watchdog notification recorded: the database ${file} does not exist yet`, ROUTE_FIX);
  let raw: string | null;
  try {
    const db = new Sqlite(file, { readonly: true, fileMustExist: true });
    try {
      raw = createMetaRepo(db).getMeta(WATCHDOG_LAST_SEEN);
    } finally {
      db.close();
    }
  } catch (err) {
    return warn(`cannot read when the Watchdog was last heard from ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const at = Number(raw ?? '');
  if (!Number.isFinite(at) || at <= 0) return warn(`no ${watchdog.alertname} notification from Alertmanager recorded yet`, ROUTE_FIX);
  const ago = Math.max(0, now - at);
  const when = `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${formatDuration(Math.floor(ago / 1000) * 1000)} ago`;
  if (ago >= watchdog.within) return fail(`the last ${watchdog.alertname} notification from Alertmanager arrived ${when} — longer than ${formatDuration(watchdog.within)}`, `check that Alertmanager runs and reaches stormguard; ${ROUTE_FIX}`);
  return ok(`the last ${watchdog.alertname} notification from Alertmanager arrived ${when}`);
}
