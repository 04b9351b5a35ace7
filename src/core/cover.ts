/**
 * Which incident covers a target (SPEC §2 and §10) — the one owner of the rule. The incident that
 * covers a target answers for the failures stormguard's own checks find in it: they ring through it,
 * its acknowledgement and silence apply to them, its backoff and breaker hold their automatic restarts,
 * and people's restarts of the target are noted in its thread. The check cycle, the Alertmanager
 * receiver (an alert naming a target joins the incident that covers it) and people's actions ask here.
 */
import { isOpen } from './lifecycle.js';
import { targetSubject } from './subject.js';
import type { Incident, IncidentKind } from './types.js';

/**
 * What an incident of each kind covers. An Alertmanager incident speaks for its alerts, never for a
 * target's checks: its acknowledgement or silence must not swallow a later check failure, which gets
 * an incident of its own. A setup incident says stormguard cannot see the targets it lists — those are
 * unknown, never down — so it answers for no check failure either. The observer incident covers the
 * targets the mass-failure brake holds (that is its purpose: no incident, ring or restart of their own).
 */
const COVERS: Readonly<Record<IncidentKind, 'itsTarget' | 'listedTargets' | 'nothing'>> = {
  target: 'itsTarget',
  node: 'listedTargets',
  observer: 'listedTargets',
  alert: 'nothing',
  setup: 'nothing',
  cluster: 'nothing',
};

/** The order in which open incidents are asked: the target's own first, then a node's, then the brake's. */
const PRECEDENCE: readonly IncidentKind[] = ['target', 'node', 'observer'];

/** Whether `incident`, whatever its state, is of a kind that answers for `target`'s check failures and names it. */
export function covers(incident: Pick<Incident, 'kind' | 'subject' | 'targets'>, target: string): boolean {
  const rule = COVERS[incident.kind];
  if (rule === 'itsTarget') return incident.subject === targetSubject(target);
  return rule === 'listedTargets' && incident.targets.includes(target);
}

/**
 * The open incident that covers `target` among `incidents` (any states; resolved ones are skipped): its
 * own, else a node incident listing it, else the observer incident listing it; null when none does —
 * never an Alertmanager or setup incident, whatever they list.
 */
export function coveringIncident(target: string, incidents: readonly Incident[]): Incident | null {
  const open = incidents.filter((i) => isOpen(i) && covers(i, target));
  for (const kind of PRECEDENCE) {
    const found = open.find((i) => i.kind === kind);
    if (found) return found;
  }
  return null;
}

/**
 * The open incident people are shown for `target` (`/status`, the thread where their restart is noted):
 * the one covering it, else an Alertmanager or setup incident that names it without covering it.
 */
export function incidentAbout(target: string, incidents: readonly Incident[]): Incident | null {
  return coveringIncident(target, incidents) ?? incidents.find((i) => isOpen(i) && i.targets.includes(target)) ?? null;
}
