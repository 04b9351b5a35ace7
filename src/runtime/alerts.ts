/**
 * The shell around `planAlertNotification`: loads what one Alertmanager notification is decided from,
 * commits the incident's new state, its audit records, its effects and the group's record in ONE
 * transaction, then wakes delivery — the same outbox, Discord sink, email and ntfy as the checks use.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';
import { planAlertNotification, type AlertNotification, type AlertPlan } from '../core/alertmanager.js';
import { alertSubjectNamed } from '../core/subject.js';
import { splitWatchdog } from '../core/watchdog.js';
import type { ClusterSnapshot } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import { persistStep } from './step.js';
import { recordWatchdog } from './watchdog.js';
import type { Clock } from './ports.js';

/** What taking Alertmanager notifications needs. */
export interface AlertIntakeDeps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The last check cycle's snapshot: which nodes and pods exist, for joining their incidents. */
  lastSnapshot: () => ClusterSnapshot | null;
  /** Delivers pending effects (not awaited by the webhook: Alertmanager is answered after commit). */
  deliver: () => Promise<unknown>;
}

/** Takes Alertmanager notifications into incidents. */
export interface AlertIntake {
  /** Commits what the notification changes and returns the plan's outcome. */
  receive(notification: AlertNotification): AlertPlan['outcome'] | 'watchdog';
}

/**
 * The subject of a group's own incident: `alert:` and the SHA-256 of its `groupKey` in hex. Collision
 * resistant — two groups sharing a subject would share one incident row, and the second's every
 * notification would fail; migration 008 re-keyed the 64-bit FNV-1a subjects used before.
 */
export function alertGroupSubject(groupKey: string): string {
  return alertSubjectNamed(createHash('sha256').update(groupKey, 'utf8').digest('hex'));
}

/** Builds the intake; each notification is one transaction, then one delivery pass in the background. */
export function createAlertIntake(deps: AlertIntakeDeps): AlertIntake {
  const { config, store } = deps;
  const titleLabels = config.alertmanager?.titleLabels ?? ['alertname'];
  return {
    receive(received) {
      const now = deps.clock();
      // Alertmanager's Watchdog is a heartbeat, never a card: it is recorded, and the rest (if any) goes on.
      const watchdog = config.alertmanager?.watchdog;
      const split = watchdog ? splitWatchdog(received, watchdog.alertname) : { seen: false, rest: received };
      if (split.seen) recordWatchdog(store, now);
      const notification = split.rest;
      if (notification === null) {
        deps.logger.debug({ groupKey: received.groupKey, status: received.status, seen: split.seen }, 'alertmanager watchdog');
        return 'watchdog';
      }
      const outcome = store.transaction(() => {
        const group = store.alertGroup(notification.groupKey);
        const subject = group?.subject ?? alertGroupSubject(notification.groupKey);
        const plan = planAlertNotification({
          now,
          notification,
          subject,
          group,
          groupIncident: group?.incidentId != null ? store.getIncident(group.incidentId) : null,
          ownIncident: store.latestIncidentFor(subject),
          openIncidents: store.openIncidents(),
          config: { targets: config.targets, watchNodes: config.watchNodes, reopenWindow: config.reopenWindow, notify: config.notify, titleLabels },
          snapshot: deps.lastSnapshot(),
          silences: store.activeSilences(now),
        });
        let incidentId = plan.group.incidentId;
        if (plan.incident) incidentId = persistStep(store, plan.incident, now).incident?.id ?? incidentId;
        store.saveAlertGroup({ ...plan.group, incidentId });
        return { outcome: plan.outcome, incidentId };
      });
      deps.logger.info({ groupKey: notification.groupKey, status: notification.status, alerts: notification.alerts.length, outcome: outcome.outcome, incident: outcome.incidentId }, 'alertmanager notification');
      if (outcome.outcome !== 'repeat' && outcome.outcome !== 'ignored') {
        void deps.deliver().catch((err: unknown) => deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'delivery after an alertmanager notification failed'));
      }
      return outcome.outcome;
    },
  };
}
