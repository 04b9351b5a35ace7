/** How a person's action is written down: an audit entry, or a lifecycle event through the shell's one step. */
import type { IncidentEvent } from '../../core/lifecycle.js';
import type { AuditEntry, Incident } from '../../core/types.js';
import { applyEvent } from '../step.js';
import type { ActionDeps } from './contract.js';

/** An audit entry as an action writes it: at the clock's now, with no detail unless given. */
export type ActionAudit = Omit<AuditEntry, 'at' | 'detail'> & { detail?: Record<string, unknown> };

/** Appends one audit entry stamped with the clock's now. */
export function auditAction(deps: Pick<ActionDeps, 'store' | 'clock'>, entry: ActionAudit): void {
  deps.store.appendAudit({ at: deps.clock(), detail: {}, ...entry });
}

/** Applies one lifecycle event by a person through the shell's one step (the cycle's own path). */
export function applyByPerson(deps: ActionDeps, incident: Incident | null, event: IncidentEvent, actor: string) {
  return applyEvent(deps, incident, event, { actor, now: deps.clock() });
}
