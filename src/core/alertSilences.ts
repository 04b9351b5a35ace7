/**
 * What stormguard asks Alertmanager to hold for one alert group, decided without I/O: one silence per
 * alert stormguard was told about, matching every one of its labels, all ending when stormguard's own
 * silence of the group ends; the silences it already holds are updated, never stacked.
 */
import { firingAlerts, type AlertNotification } from './alertmanager.js';

/** One of Alertmanager's matchers (`isEqual` true: the label must equal the value). */
export interface AlertmanagerMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

/** A silence Alertmanager holds for the group (not expired), as far as the plan needs it. */
export interface HeldSilence {
  id: string;
  matchers: AlertmanagerMatcher[];
  startsAt: number;
}

/** One call to make: update a held silence (same matchers and start, new end), create one, or expire one. */
export type SilenceCall =
  | { kind: 'update'; id: string; matchers: AlertmanagerMatcher[]; startsAt: number }
  | { kind: 'create'; matchers: AlertmanagerMatcher[] }
  | { kind: 'expire'; id: string };

/**
 * The matchers that mute exactly one alert: an equality on each of its labels. Alertmanager cannot
 * say "no other label", so an alert carrying all of these labels and more is muted too; another
 * team's alert differs in a label value (its `team`, its workload), and so is not.
 */
export function matchersOfAlert(labels: Record<string, string>): AlertmanagerMatcher[] {
  return Object.keys(labels)
    .sort()
    .map((name) => ({ name, value: labels[name]!, isRegex: false, isEqual: true }));
}

/** The label sets a group's silence covers: the alerts firing in its last notification, or all it names when none fires. */
export function alertsToSilence(notification: AlertNotification): Array<Record<string, string>> {
  const firing = firingAlerts(notification);
  const alerts = firing.length > 0 ? firing : notification.alerts;
  const seen = new Set<string>();
  return alerts
    .map((a) => a.labels)
    .filter((labels) => {
      const key = matcherKey(matchersOfAlert(labels));
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * The calls that bring Alertmanager to what stormguard holds for the group: with no silence in force,
 * expire all it holds; otherwise keep each alert's silence (updated to the new end) or create it, and
 * update the others it holds too (they cover alerts of the group stormguard was told about before).
 */
export function planGroupSilences(alerts: Array<Record<string, string>>, held: HeldSilence[], silenced: boolean): SilenceCall[] {
  if (!silenced) return held.map((h) => ({ kind: 'expire', id: h.id }));
  const unused = [...held];
  const calls: SilenceCall[] = alerts.map((labels) => {
    const matchers = matchersOfAlert(labels);
    const index = unused.findIndex((h) => matcherKey(h.matchers) === matcherKey(matchers));
    if (index < 0) return { kind: 'create', matchers };
    const [h] = unused.splice(index, 1);
    return { kind: 'update', id: h!.id, matchers: h!.matchers, startsAt: h!.startsAt };
  });
  return [...calls, ...unused.map((h): SilenceCall => ({ kind: 'update', id: h.id, matchers: h.matchers, startsAt: h.startsAt }))];
}

/** The tag at the end of a silence's comment naming the group's subject: how stormguard finds its silences again, after a crash too. */
export function silenceMarker(subject: string): string {
  return `[stormguard ${subject}]`;
}

/** The subject a silence's comment is tagged with, or null for a silence stormguard did not make. */
export function markedSubject(comment: string): string | null {
  return /\[stormguard (alert:[^\]\s]+)\]$/.exec(comment)?.[1] ?? null;
}

/** Matchers compared as a set: Alertmanager may list them in another order. */
function matcherKey(matchers: AlertmanagerMatcher[]): string {
  return JSON.stringify(matchers.map((m) => JSON.stringify([m.name, m.value, m.isRegex, m.isEqual])).sort());
}
