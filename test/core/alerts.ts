import { planAlertNotification, type AlertFacts, type AlertGroup, type AlertNotification, type AlertPlanInput } from '../../src/core/alertmanager.js';
import type { IncidentView } from '../../src/core/render.js';
import { alertSubjectNamed } from '../../src/core/subject.js';
import type { Incident } from '../../src/core/types.js';
import { MIN, node, snapshot, T0, target, workload } from './fixtures.js';

/** The groupKey of the DiskFull group the Alertmanager tests use. */
export const KEY = '{}:{alertname="DiskFull"}';

/** The subject of the DiskFull group's own incident (the shell hashes the key; any name will do here). */
export const SUBJECT = alertSubjectNamed('d15cf011'.repeat(8));

/** One firing (or resolved) DiskFull alert with the common summary and a Prometheus source link. */
export function alertFacts(fingerprint: string, labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing'): AlertFacts {
  return { fingerprint, status, labels: { alertname: 'DiskFull', ...labels }, annotations: { summary: 'disk almost full' }, startsAt: T0, endsAt: null, generatorURL: 'http://prom:9090/graph' };
}

/** A notification of the DiskFull group: firing while any of its alerts fires. */
export function notification(alerts: AlertFacts[], overrides: Partial<AlertNotification> = {}): AlertNotification {
  const firing = alerts.some((a) => a.status === 'firing');
  return {
    receiver: 'stormguard',
    status: firing ? 'firing' : 'resolved',
    groupKey: KEY,
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull' },
    commonAnnotations: { summary: 'disk almost full' },
    externalURL: 'http://am:9093',
    alerts,
    truncatedAlerts: 0,
    ...overrides,
  };
}

/** The plan's input for a group never seen: frigate (nvr) on node-a and hass (home), nodes watched. */
export function input(n: AlertNotification, overrides: Partial<AlertPlanInput> = {}): AlertPlanInput {
  return {
    now: T0,
    notification: n,
    subject: SUBJECT,
    group: null,
    groupIncident: null,
    ownIncident: null,
    openIncidents: [],
    config: { targets: [target('frigate'), target('hass', { namespace: 'home' })], watchNodes: true, reopenWindow: 10 * MIN, escalateAfter: 15 * MIN, titleLabels: ['alertname'] },
    snapshot: snapshot([node('node-a')], [workload('frigate', ['node-a'])]),
    silences: [],
    ...overrides,
  };
}

/** Runs a notification against the state the previous plan left, as the shell would persist it. */
export function after(previous: { group: AlertGroup; incident: Incident }, n: AlertNotification, now = T0 + MIN, extra: Partial<AlertPlanInput> = {}) {
  return planAlertNotification(input(n, { now, group: previous.group, groupIncident: previous.incident, ownIncident: previous.incident, openIncidents: [previous.incident], ...extra }));
}

/** A group's first notification, planned and stored as incident 7. */
export function opened(n: AlertNotification) {
  const plan = planAlertNotification(input(n));
  const stored = { ...plan.incident!.incident, id: 7 };
  return { plan, state: { group: { ...plan.group, incidentId: 7 }, incident: stored } };
}

/** The message view of an alert incident with its own group, nothing else on it. */
export function alertView(incident: Incident, group: AlertGroup, overrides: Partial<IncidentView> = {}): IncidentView {
  return { incident, silence: null, targets: [], nodes: [], nextRestart: null, alertGroups: [group], ...overrides };
}
