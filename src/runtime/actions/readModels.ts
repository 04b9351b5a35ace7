/** What `/status`, `/incidents` and `/silence` (listing) read: answers only, nothing written. */
import { windowInForce } from '../../core/windows.js';
import { activeMaintenance } from '../../core/maintenance.js';
import { incidentAbout } from '../../core/cover.js';
import { isOpen } from '../../core/lifecycle.js';
import { scopeOfSubject } from '../../core/silence.js';
import type { Incident } from '../../core/types.js';
import type { ActionDeps, Actions } from './contract.js';
import { listIncidents } from './incidentList.js';
import type { Naming } from './naming.js';
import type { RestartActions } from './restart.js';

/** The read part of {@link Actions}. */
export type ReadModels = Pick<Actions, 'incident' | 'statusFacts' | 'incidentByThread' | 'openIncidents' | 'incidentList' | 'activeSilences'>;

/** Builds the read models; `/status` shows the gate's answer per target, so it takes the restart actions' gate. */
export function createReadModels(deps: ActionDeps, naming: Naming, gate: Pick<RestartActions, 'gateAll'>): ReadModels {
  const { store, config } = deps;

  function openIncidents(): Incident[] {
    return store.openIncidents().filter((i) => isOpen(i));
  }

  return {
    incident: (id) => store.getIncident(id),

    incidentByThread: (threadId) => store.incidentByThread(threadId),

    openIncidents,

    async statusFacts(targetNames) {
      const snapshot = await deps.cluster.snapshot(config.targets, deps.clock());
      const now = deps.clock();
      const open = store.openIncidents();
      const covering = new Map(targetNames.map((name) => [name, incidentAbout(name, open)]));
      const shown = [...covering.values()].filter((i): i is Incident & { id: number } => i !== null && i.id !== null);
      return {
        snapshot,
        now,
        states: store.loadTargetStates(),
        covering,
        names: new Map(shown.map((i) => [i.id, i.kind === 'alert' ? naming.scopeInWords(scopeOfSubject(i.subject)) : i.subject])),
        silences: store.activeSilences(now),
        gate: gate.gateAll(targetNames, snapshot),
        windows: store.unreportedWindows().filter((w) => windowInForce(w, now)),
        maintenance: activeMaintenance(store.loadMaintenance()),
      };
    },

    incidentList: (days) => ({ ...listIncidents(store, deps.clock(), days), maintenance: activeMaintenance(store.loadMaintenance()) }),

    activeSilences() {
      const now = deps.clock();
      return { now, silences: [...store.activeSilences(now)].sort((a, b) => a.endsAt - b.endsAt).map((s) => ({ ...s, what: naming.scopeInWords(s.scope) })) };
    },
  };
}
