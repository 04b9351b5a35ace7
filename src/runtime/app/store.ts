/** Opening the database for the app: migrated, and its health changes said once per spell. */
import { sqliteDriver } from '../../adapters/sqlite/driver.js';
import { otherWriterFix } from '../../adapters/sqlite/health.js';
import { openDatabase } from '../../adapters/sqlite/open.js';
import { createStore, type Store } from '../../adapters/sqlite/store.js';
import type { Config } from '../../config/types.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../ports.js';

/** Opens (and migrates) the configured database as the app's store. */
export function openStore(config: Config, logger: Logger, clock: Clock): Store {
  const db = openDatabase(config.database.path, { onMigrated: (r) => logger.info({ from: r.from, to: r.to, driver: sqliteDriver }, 'database ready') });
  return createStore(db, {
    now: clock,
    // Said once per spell, not once per refused write: what is wrong, and that nothing is posted meanwhile.
    onHealthChange: (health, event) => {
      if (event === 'writable') logger.info('the database takes writes again; delivering what is owed');
      else if (event === 'unwritable') logger.error({ problem: health.problem }, `database cannot be written: ${health.fix}`);
      else logger.error({ problem: 'otherWriter' }, `second writer on the database: ${otherWriterFix(config.database.path)}`);
    },
  });
}
