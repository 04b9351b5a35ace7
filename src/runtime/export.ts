/**
 * An incident's export read from the database (SPEC §13): the same bytes for `stormguard export` and
 * `/incident export`, since both read only what the database holds (never the live cluster).
 */
import type { DiscordChannelRef } from '../core/text.js';
import { renderExport, type ExportFormat } from '../core/export.js';
import { incidentTitle } from '../core/render.js';
import type { Store } from '../adapters/sqlite/store.js';
import { incidentMessageLink } from './view.js';

/** The export of incident `id` in `format`, or null when there is no such incident. */
export function exportIncident(store: Store, config: { discord?: DiscordChannelRef | undefined; timeZone: string }, id: number, format: ExportFormat): string | null {
  const incident = store.getIncident(id);
  if (!incident) return null;
  // The title as the card gives it, from stored state alone: the export does not depend on the cluster now.
  const alertGroups = store.alertGroupsForIncident(id);
  const title = incidentTitle({ incident, silence: null, targets: [], nodes: [], nextRestart: null, alertGroups });
  // Alertmanager knows when its alerts began firing: the outage started then, maybe before stormguard saw it.
  const starts = alertGroups.flatMap((g) => g.notification.alerts.map((a) => a.startsAt)).filter((at) => Number.isFinite(at) && at > 0);
  const startedAt = starts.length > 0 ? Math.min(...starts) : null;
  return renderExport(
    { incident, title, records: store.timelineRecords(id), messageLink: incidentMessageLink(store, config.discord, id), timeZone: config.timeZone, startedAt },
    format,
  );
}
