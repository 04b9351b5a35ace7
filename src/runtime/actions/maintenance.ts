/**
 * `/maintenance`: declaring a window over a node or a target, ending it early, and listing those in
 * force. Each change is one transaction: the window, its audit record and a quiet note on every open
 * incident it covers are committed together; what the window does (mute, hold restarts, report at its
 * end) is the cycle's, derived from the stored window each time.
 */
import { windowCoversIncident, windowEnd, windowInForce, windowNodes, describeCovered, describeOrigin, type MaintenanceWindow } from '../../core/windows.js';
import { discordTime } from '../../core/text.js';
import type { ActionDeps, ActionResult } from './contract.js';
import { applyByPerson, auditAction } from './record.js';

/** What a window is declared over: one node or one target (a configured one: the command checks). */
export type WindowSubject = { kind: 'node'; name: string } | { kind: 'target'; name: string };

/** The maintenance part of the actions. */
export interface MaintenanceActions {
  /** Declares a window over `subject` from now for `durationMs`; a window of the same subject in force is replaced (its end is the new one). */
  declareMaintenance(subject: WindowSubject, durationMs: number, by: { id: string; name: string }, reason: string): Promise<ActionResult>;
  /** `duration:off`: ends now the windows in force over `subject` (every window in force when null); the next cycle reports each end. */
  endMaintenance(subject: WindowSubject | null, by: string): Promise<ActionResult>;
  /** The windows in force now, soonest to end first. */
  maintenanceWindows(): { now: number; windows: MaintenanceWindow[] };
}

function sameSubject(window: MaintenanceWindow, subject: WindowSubject): boolean {
  const names = subject.kind === 'node' ? window.nodes : window.targets;
  const others = subject.kind === 'node' ? window.targets : window.nodes;
  return others.length === 0 && names.length === 1 && names[0] === subject.name;
}

/** Builds the maintenance actions. */
export function createMaintenanceActions(deps: ActionDeps): MaintenanceActions {
  const { store } = deps;
  const inForce = (now: number) => store.unreportedWindows().filter((w) => windowInForce(w, now));

  /** A quiet note and an edit on every open incident the window covers, so its thread says why it is quiet. */
  function noteOnCovered(window: Pick<MaintenanceWindow, 'nodes' | 'targets'>, by: string, text: string): void {
    const nodesOf = windowNodes(deps.lastSnapshot?.() ?? { reachable: false, observedAt: 0, error: '' });
    for (const incident of store.openIncidents()) {
      if (windowCoversIncident(window, incident, nodesOf)) applyByPerson(deps, incident, { type: 'maintenanceChanged', text }, by);
    }
  }

  return {
    async declareMaintenance(subject, durationMs, person, reason) {
      const by = person.id;
      const now = deps.clock();
      const endsAt = now + durationMs;
      const window = store.transaction(() => {
        const previous = inForce(now).filter((w) => w.recurring === null && sameSubject(w, subject));
        const replaced = previous.map((w) => w.id!);
        store.endWindows(replaced, now, by);
        // A replaced window is over without its own report: the new one continues it (from its start) and reports at its end.
        store.markWindowsReported(replaced, now);
        const startsAt = Math.min(now, ...previous.map((w) => w.startsAt));
        const added = store.addWindow({
          nodes: subject.kind === 'node' ? [subject.name] : [],
          targets: subject.kind === 'target' ? [subject.name] : [],
          startsAt,
          endsAt,
          reason,
          createdBy: by,
          createdByName: person.name,
          recurring: null,
        });
        auditAction(deps, { actor: by, action: 'maintenanceDeclared', subject: `${subject.kind}:${subject.name}`, incidentId: null, reason: reason || null, detail: { windowId: added.id, from: now, until: endsAt, ...(replaced.length > 0 ? { replaced } : {}) } });
        noteOnCovered(added, by, `In maintenance until ${discordTime(endsAt, 'f')} (${describeOrigin(added)}): no mentions and no automatic restarts until then`);
        return added;
      });
      return {
        ok: true,
        message: `Maintenance window on ${describeCovered(window)} until ${discordTime(endsAt, 'f')} (${discordTime(endsAt)}): checks go on, nothing rings and nothing restarts automatically; at its end one summary, and what is still down rings once.`,
      };
    },

    async endMaintenance(subject, by) {
      const now = deps.clock();
      const ended = store.transaction(() => {
        const windows = inForce(now).filter((w) => subject === null || sameSubject(w, subject) || (subject.kind === 'node' ? w.nodes : w.targets).includes(subject.name));
        store.endWindows(windows.map((w) => w.id!), now, by);
        for (const w of windows) {
          auditAction(deps, { actor: by, action: 'maintenanceEndedEarly', subject: `maintenance:${w.id}`, incidentId: null, reason: null, detail: { windowId: w.id, plannedEnd: w.endsAt } });
        }
        return windows;
      });
      if (ended.length === 0) {
        const what = subject === null ? 'anything' : subject.kind === 'node' ? `node ${subject.name}` : subject.name;
        return { ok: false, message: `No maintenance window is in force over ${what}.` };
      }
      return { ok: true, message: `Ended the maintenance window on ${ended.map(describeCovered).join('; ')}; its summary follows in the incidents still open.` };
    },

    maintenanceWindows() {
      const now = deps.clock();
      return { now, windows: inForce(now).sort((a, b) => windowEnd(a) - windowEnd(b)) };
    },
  };
}
