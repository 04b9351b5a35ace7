/** The shell's side of planned maintenance (core/maintenance.ts): what the gate and the views read from the store. */
import type { Config } from '../config/types.js';
import type { MaintenanceGateInput } from '../core/maintenance.js';
import type { Store } from '../adapters/sqlite/store.js';

/** The maintenance records and the settle wait, as every caller of the gate outside the cycle passes them. */
export function gateMaintenance(store: Pick<Store, 'loadMaintenance'>, config: Pick<Config, 'maintenance'>): MaintenanceGateInput {
  return { records: store.loadMaintenance(), settleAfter: config.maintenance.settleAfter };
}
