/**
 * People's actions, shared by slash commands and buttons so both behave the same: composed here from one
 * module per job (restart, silence, read models), over the contract in `contract.ts`.
 */
import type { ActionDeps, Actions } from './contract.js';
import { createNaming } from './naming.js';
import { createReadModels } from './readModels.js';
import { applyByPerson, auditAction } from './record.js';
import { createRestartActions } from './restart.js';
import { createSilenceActions } from './silence.js';

export type { ActionDeps, ActionResult, Actions, StatusFacts } from './contract.js';

/**
 * Builds the {@link Actions} over the store, the cluster and the restarter. Every refusal is audited with
 * the person's id; every change goes through the pure lifecycle and is persisted with its effects in one
 * transaction before anything else happens.
 */
export function createActions(deps: ActionDeps): Actions {
  const naming = createNaming(deps);
  const restarts = createRestartActions(deps);
  return {
    ...restarts,
    ...createSilenceActions(deps, naming),
    ...createReadModels(deps, naming, restarts),
    named: naming.named,
    alreadyResolved: naming.alreadyResolved,

    refuse(actor, action, reason, detail = {}) {
      auditAction(deps, { actor, action: `${action}Refused`, subject: String(detail.target ?? detail.incident ?? action), incidentId: null, reason, detail });
    },

    async acknowledge(incident, by) {
      if (incident.state === 'resolved') return { ok: false, message: naming.alreadyResolved(incident) };
      if (incident.state === 'acknowledged') {
        return { ok: false, message: `Incident ${naming.named(incident)} was already acknowledged by <@${incident.acknowledgedBy}>.` };
      }
      applyByPerson(deps, incident, { type: 'acknowledge', by }, by);
      return { ok: true, message: `Acknowledged incident ${naming.named(incident)}.` };
    },

    deliver: () => deps.deliver(),
  };
}
