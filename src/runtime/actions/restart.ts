/** `/restart` and the Restart button: the one gate asked for people, then the restart carried out. */
import { evaluateGate, restartHistorySince, type GateDecision } from '../../core/gate.js';
import { coveringIncident, incidentAbout } from '../../core/cover.js';
import { openIncidentIds } from '../../core/lifecycle.js';
import { targetSubject } from '../../core/subject.js';
import { escapeMarkdown } from '../../core/text.js';
import type { ClusterSnapshot, Incident } from '../../core/types.js';
import { gateMaintenance } from '../maintenance.js';
import { carryOutRestarts } from '../restarts.js';
import type { ActionDeps, Actions } from './contract.js';
import { applyByPerson, auditAction } from './record.js';

/** The restart part of {@link Actions}. */
export type RestartActions = Pick<Actions, 'gateNow' | 'gateAll' | 'restart' | 'targetsToRestart'>;

/** Builds the restart actions: every decision is the scheduler's gate in `manual` mode. */
export function createRestartActions(deps: ActionDeps): RestartActions {
  const { store, config } = deps;

  function gateAll(targetNames: string[], snapshot: ClusterSnapshot): Map<string, GateDecision> {
    const now = deps.clock();
    const open = store.openIncidents();
    const restarts = store.restartsFor({ incidentIds: openIncidentIds(open), since: restartHistorySince(config.targets, now) });
    const silences = store.activeSilences(now);
    const input = { mode: 'manual' as const, targets: config.targets, snapshot, restarts, silences, maintenance: gateMaintenance(store, config), now };
    return new Map(targetNames.map((targetName) => [targetName, evaluateGate({ ...input, targetName, incident: coveringIncident(targetName, open) })]));
  }

  return {
    gateAll,

    async gateNow(targetName, snapshot) {
      const snap = snapshot ?? (await deps.cluster.snapshot(config.targets, deps.clock()));
      return gateAll([targetName], snap).get(targetName)!;
    },

    async restart(targetName, by, reason) {
      const snapshot = await deps.cluster.snapshot(config.targets, deps.clock());
      const decided = store.transaction(() => {
        const decision = gateAll([targetName], snapshot).get(targetName)!;
        // The note goes where people look for this target: the incident covering it, else an alert's naming it.
        const incident = incidentAbout(targetName, store.openIncidents());
        if (!decision.allowed) {
          auditAction(deps, { actor: by, action: 'restartRefused', subject: targetSubject(targetName), incidentId: incident?.id ?? null, reason: decision.reason, detail: { message: decision.message } });
          return { decision, restartJobs: [] };
        }
        // With or without an incident, the attempt row and its audit entry commit before the API call.
        return { decision, restartJobs: applyByPerson(deps, incident, { type: 'restartRequested', target: targetName, automatic: false, by, reason }, by).restartJobs };
      });
      const { decision } = decided;
      if (!decision.allowed) {
        deps.metrics?.gateRefusals.inc({ reason: decision.reason, trigger: 'manual' });
        // The gate's sentence may quote the cluster (a container's name, the API's message): made literal.
        return { ok: false, message: `Not restarting ${targetName}: ${escapeMarkdown(decision.message)}.` };
      }
      const [outcome] = await carryOutRestarts(decided.restartJobs, deps);
      return outcome?.ok
        ? { ok: true, message: `Restarting ${targetName} (rollout restart requested).${decision.warning ? `\n⚠️ ${escapeMarkdown(decision.warning)}` : ''}` }
        : { ok: false, message: `The restart of ${targetName} failed: ${outcome?.error ?? 'unknown error'}.` };
    },

    targetsToRestart(incident: Incident): string[] {
      const states = store.loadTargetStates();
      const down = incident.targets.filter((t) => states[t]?.health === 'down');
      return down.length > 0 ? down : incident.targets;
    },
  };
}
