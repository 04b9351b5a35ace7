/** The read model behind `/incidents`: what is open, and what was resolved lately, each with its Discord message. */
import type { Store } from '../../adapters/sqlite/store.js';
import { isOpen } from '../../core/lifecycle.js';
import type { Incident } from '../../core/types.js';

const DAY_MS = 24 * 60 * 60_000;

/** One incident as `/incidents` lists it. */
export interface ListedIncident {
  incident: Incident;
  /** Its Discord message, or null when it was never posted. */
  messageId: string | null;
}

/** What `/incidents [days]` shows. */
export interface IncidentListing {
  now: number;
  /** Open and acknowledged incidents, newest first. */
  incidents: ListedIncident[];
  /** With `days`: incidents resolved in the last `days` days, most recently resolved first; else empty. */
  resolved: ListedIncident[];
}

/**
 * Lists the open incidents and, when `days` is given, those resolved in the last `days` days (what
 * the retention has kept of them); reads only, in one pass over the incidents table.
 */
export function listIncidents(store: Pick<Store, 'recentIncidents' | 'openIncidents' | 'getDiscordRefs'>, now: number, days?: number): IncidentListing {
  const all = days === undefined ? store.openIncidents() : store.recentIncidents(now - days * DAY_MS);
  const listed = (incident: Incident): ListedIncident => ({ incident, messageId: incident.id === null ? null : (store.getDiscordRefs(incident.id)?.messageId ?? null) });
  const incidents = all
    .filter((i) => isOpen(i))
    .sort((a, b) => b.openedAt - a.openedAt || (b.id ?? 0) - (a.id ?? 0))
    .map(listed);
  const resolved = days === undefined ? [] : all
    .filter((i) => i.state === 'resolved' && i.resolvedAt !== null)
    .sort((a, b) => b.resolvedAt! - a.resolvedAt! || (b.id ?? 0) - (a.id ?? 0))
    .map(listed);
  return { now, incidents, resolved };
}
