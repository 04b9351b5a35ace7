/**
 * Alertmanager's Watchdog as a dead man's switch for the alerting pipeline (SPEC §14, issue 24 item 2):
 * its notifications never make a card; their absence for `within` is ONE incident that rings once and
 * resolves when they return. The one owner of which alerts are the Watchdog, of when silence becomes
 * an incident, and of the sentence people read.
 */
import type { AlertNotification } from './alertmanager.js';
import type { IncidentEvent } from './lifecycle.js';
import { setupSubject } from './subject.js';

/** The subject of the Watchdog's incident: stormguard's setup, one incident however long the silence. */
export const WATCHDOG_SUBJECT = setupSubject('watchdog');

/** A notification split into the Watchdog's part and the rest. */
export interface WatchdogSplit {
  /** A firing Watchdog alert was in it: the pipeline is alive. */
  seen: boolean;
  /** What is left for an incident, or null when the notification was the Watchdog's alone. */
  rest: AlertNotification | null;
}

/**
 * Takes the Watchdog's alerts (label `alertname`) out of a notification: only a *firing* one says the
 * pipeline is alive (a resolved Watchdog means Prometheus stopped sending it). A notification left with
 * no alerts is the Watchdog's alone and makes no card.
 */
export function splitWatchdog(notification: AlertNotification, alertname: string): WatchdogSplit {
  const isWatchdog = (labels: Record<string, string>) => labels['alertname'] === alertname;
  const watchdog = notification.alerts.filter((a) => isWatchdog(a.labels));
  if (watchdog.length === 0) return { seen: false, rest: notification };
  const seen = watchdog.some((a) => a.status === 'firing');
  const others = notification.alerts.filter((a) => !isWatchdog(a.labels));
  if (others.length === 0) return { seen, rest: null };
  return { seen, rest: { ...notification, alerts: others } };
}

/** What the Watchdog's absence is judged from: when it was last seen, and since when stormguard has been waiting for it. */
export interface WatchdogInput {
  now: number;
  within: number;
  /** The last firing Watchdog notification (epoch ms), or null: none since stormguard began watching. */
  lastSeenAt: number | null;
  /** When stormguard began watching for it (the first cycle with `alertmanager.watchdog` set). */
  watchingSince: number;
  /** Whether the Watchdog's incident is open now. */
  open: boolean;
}

/**
 * The event for the Watchdog's incident this cycle, or null for none: silent for `within` or more
 * opens it (or keeps it open, same cause: nothing changes); heard within `within` resolves an open one.
 * A time after `now` (the wall clock stepped back) counts as now, so no wait outlasts `within` from now.
 */
export function watchdogEvent(input: WatchdogInput): IncidentEvent | null {
  const since = Math.min(input.lastSeenAt ?? input.watchingSince, input.now);
  if (input.now - since >= input.within) {
    return { type: 'fail', subject: WATCHDOG_SUBJECT, kind: 'setup', cause: watchdogSilentSentence(since), targets: [] };
  }
  return input.open ? { type: 'recover', cause: 'Alertmanager\'s Watchdog arrives again — the alerting pipeline works' } : null;
}

/** `no Watchdog from Alertmanager since 02:14 — the alerting pipeline is silent` (the time in UTC, as the logs are). */
export function watchdogSilentSentence(since: number): string {
  return `no Watchdog from Alertmanager since ${new Date(since).toISOString().slice(11, 16)} — the alerting pipeline is silent`;
}
