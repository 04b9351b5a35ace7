/**
 * Silences of Alertmanager incidents, both ways: a silence set from Discord on an `alert:` incident
 * is also created in Alertmanager (matchers = the group's common labels), so Alertmanager stops
 * notifying; lifting it expires it there. stormguard keeps its own silence too, which mutes its rings.
 */
import { matcherText } from '../core/renderAlerts.js';
import type { AlertGroup, AlertmanagerSilence } from '../core/alertmanager.js';
import type { Incident } from '../core/types.js';
import type { AlertmanagerApi } from '../adapters/alertmanager/api.js';
import type { Store } from '../adapters/sqlite/store.js';

/** What silencing in Alertmanager needs. */
export interface AlertSilenceDeps {
  store: Store;
  api: AlertmanagerApi | null;
  /** Where the incident's Discord message is, for the silence's comment (null without Discord). */
  messageLink: (incident: Incident) => string | null;
}

/** Created: the silences to remember; refused: a sentence for the person. */
export type AlertSilenceResult = { ok: true; created: Array<{ group: AlertGroup; silence: AlertmanagerSilence }> } | { ok: false; message: string };

/** The open Alertmanager incident with this subject, if any. */
export function openAlertIncident(store: Store, subject: string): Incident | null {
  return store.openIncidents().find((i) => i.subject === subject && i.kind === 'alert') ?? null;
}

/** Creates an Alertmanager silence for each group of the incident (nothing is stored here). */
export async function createAlertSilences(deps: AlertSilenceDeps, incident: Incident, window: { startsAt: number; endsAt: number }, by: string, reason: string): Promise<AlertSilenceResult> {
  if (!deps.api) return { ok: true, created: [] };
  const groups = deps.store.alertGroupsForIncident(incident.id!).filter((g) => g.subject === incident.subject);
  const created: Array<{ group: AlertGroup; silence: AlertmanagerSilence }> = [];
  for (const group of groups) {
    const labels = group.notification.commonLabels;
    if (Object.keys(labels).length === 0) return { ok: false, message: `The Alertmanager group of incident #${incident.id} has no common labels to silence it by.` };
    const link = deps.messageLink(incident);
    const comment = [`stormguard incident #${incident.id}: ${group.title}`, reason ? `(${reason})` : '', link ?? ''].filter(Boolean).join(' ');
    try {
      const id = await deps.api.createSilence({
        matchers: Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: window.startsAt,
        endsAt: window.endsAt,
        createdBy: `discord:${by}`,
        comment,
      });
      created.push({ group, silence: { id, endsAt: window.endsAt, createdBy: by } });
    } catch (err) {
      // Already created ones stay: they are real silences and will be shown; the person is told the rest failed.
      for (const done of created) deps.store.setAlertGroupSilence(done.group.groupKey, done.silence);
      return { ok: false, message: `Alertmanager did not take the silence ${matcherText(labels)}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return { ok: true, created };
}

/** Expires the Alertmanager silences of the incident's groups; returns the problems, if any. */
export async function expireAlertSilences(deps: AlertSilenceDeps, incident: Incident): Promise<{ expired: number; errors: string[] }> {
  const groups = deps.store.alertGroupsForIncident(incident.id!).filter((g) => g.silence !== null);
  const errors: string[] = [];
  let expired = 0;
  for (const group of groups) {
    if (!deps.api) break;
    try {
      await deps.api.expireSilence(group.silence!.id);
      deps.store.setAlertGroupSilence(group.groupKey, null);
      expired++;
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { expired, errors };
}
