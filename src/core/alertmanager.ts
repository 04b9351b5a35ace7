/**
 * Alertmanager groups as incidents (SPEC §10), pure: one Alertmanager group (its `groupKey`) is one
 * incident, unless its labels name a configured target with an open incident covering it
 * (`coveringIncident`) or a watched node whose incident is open, which it then joins. A notification is
 * folded into what the group is known to be, alert by alert in the alerts' own time (`startsAt`, then the
 * end), so repeats and notifications older than what is known produce nothing; alerts joining or
 * resolving become quiet notes.
 */
import type { TargetConfig } from '../config/types.js';
import { isOpen, transition, type IncidentEvent, type TransitionContext } from './lifecycle.js';
import type { IncidentPlan } from './plan.js';
import { activeSilenceFor } from './silence.js';
import { coveringIncident } from './cover.js';
import { nodeSubject } from './subject.js';
import { clip, escapeMarkdown, listWithCount, plural } from './text.js';
import type { ClusterSnapshot, Incident, Silence } from './types.js';

/** One alert of a notification, as Alertmanager's webhook (version 4) sends it; times in epoch ms. */
export interface AlertFacts {
  fingerprint: string;
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  /** Null when Alertmanager sent its zero time (still firing, no end known). */
  endsAt: number | null;
  generatorURL: string;
}

/** One webhook notification: the state of one alert group at the time Alertmanager sent it. */
export interface AlertNotification {
  receiver: string;
  status: 'firing' | 'resolved';
  groupKey: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertFacts[];
  /** Alerts Alertmanager left out because of the receiver's `max_alerts`. */
  truncatedAlerts: number;
}

/** An Alertmanager silence stormguard created for a group, shown on the message. */
export interface AlertmanagerSilence {
  id: string;
  endsAt: number;
  createdBy: string;
}

/** What stormguard remembers about one Alertmanager group: its last notification and its incident. */
export interface AlertGroup {
  groupKey: string;
  /** `alert:<SHA-256 of the groupKey>`: the subject of the group's own incident. */
  subject: string;
  /** The incident the group belongs to (its own, or the target's or node's it joined); null before it has one. */
  incidentId: number | null;
  /**
   * The group as known: the newest notification's group fields, and every alert's latest known state
   * (see {@link foldAlerts}), ended ones kept a while so a late, older notification cannot revive them.
   */
  notification: AlertNotification;
  /** The incident title derived from it (title labels and the common summary). */
  title: string;
  silence: AlertmanagerSilence | null;
  updatedAt: number;
}

/** The labels Alertmanager's kube-state-metrics alerts use to name a workload, by target workload kind. */
const WORKLOAD_LABELS = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset' } as const;

/** The alerts of a notification that are firing, by fingerprint. */
export function firingAlerts(notification: AlertNotification): AlertFacts[] {
  return notification.alerts.filter((a) => a.status === 'firing');
}

/** The incident's title words: the title labels' values (default `alertname`) and the common summary. */
export function alertTitle(notification: AlertNotification, titleLabels: string[]): string {
  const first = notification.alerts[0]?.labels ?? {};
  const words = titleLabels.map((l) => notification.commonLabels[l] ?? notification.groupLabels[l] ?? first[l]).filter((v): v is string => !!v);
  const name = words.length > 0 ? words.join(' ') : 'Alertmanager alert';
  const summary = notification.commonAnnotations.summary;
  return summary ? `${name}: ${summary}` : name;
}

/**
 * The configured targets the labels name: `namespace` plus `deployment`/`statefulset`/`daemonset`
 * matching the target's workload, or `pod` naming one of its pods in the last snapshot.
 */
export function targetsNamedBy(labels: Record<string, string>, targets: TargetConfig[], snapshot: ClusterSnapshot | null): string[] {
  // Every configured target has a namespace: labels without one name nothing.
  return targets
    .filter((t) => t.namespace === labels.namespace)
    .filter((t) => {
      if (t.workload.kind !== 'Pods' && labels[WORKLOAD_LABELS[t.workload.kind]] === t.workload.name) return true;
      // Every pod has a name: without a `pod` label nothing matches.
      return snapshot?.reachable === true && snapshot.workloads[t.name]?.pods.some((p) => p.name === labels.pod) === true;
    })
    .map((t) => t.name)
    .sort();
}

/** The watched node the labels name (`node`, or `instance` without its port), if the cluster has it. */
export function nodeNamedBy(labels: Record<string, string>, snapshot: ClusterSnapshot | null): string | null {
  if (snapshot?.reachable !== true) return null;
  const candidates = [labels.node, labels.kubernetes_node, labels.instance?.replace(/:\d+$/, '')];
  // No node is called '': a missing label finds none (and `find` would hand back the missing value anyway).
  return candidates.find((n): n is string => snapshot.nodes[n ?? ''] !== undefined) ?? null;
}

/** Everything one notification is decided from; the shell loads it, the plan does no I/O. */
export interface AlertPlanInput {
  now: number;
  notification: AlertNotification;
  /** The subject of the group's own incident when the group is new (the shell hashes its groupKey). */
  subject: string;
  /** What the group looked like before, or null for a group never seen. */
  group: AlertGroup | null;
  /** The incident the group pointed at (any state), or null. */
  groupIncident: Incident | null;
  /** The latest incident of the group's own subject (any state), for the reopen window. */
  ownIncident: Incident | null;
  /** Every open incident, to find the target's or node's incident an alert joins. */
  openIncidents: Incident[];
  config: { targets: TargetConfig[]; watchNodes: boolean; reopenWindow: number; escalateAfter: number; titleLabels: string[] };
  /** The last check cycle's view of the cluster, to know its nodes and pods (null before the first cycle). */
  snapshot: ClusterSnapshot | null;
  silences: Silence[];
}

/** The group's new record and, when something changed, its incident's new state and effects. */
export interface AlertPlan {
  /** `incidentId` null with a plan whose incident is new: the shell fills it in after inserting. */
  group: AlertGroup;
  incident: IncidentPlan | null;
  /**
   * Why, in one word, for the audit log and metrics: `opened`, `joined`, `changed`, `resolved`, `repeat`,
   * `ignored`, or `stale` (older than what is known about its alerts: it changed nothing).
   */
  outcome: 'opened' | 'joined' | 'changed' | 'resolved' | 'repeat' | 'ignored' | 'stale';
}

/**
 * How long an ended alert is remembered after its end: far longer than Alertmanager retries a
 * notification (at most its group_interval), so a retried older "firing" still finds it ended.
 */
export const ENDED_MEMORY = 24 * 60 * 60 * 1000;
/** At most this many ended alerts are remembered per group (the latest ends), so a flapping group stays small. */
export const ENDED_LIMIT = 500;

/**
 * Orders two reports of one alert (same fingerprint) by the alert's own times: a later `startsAt` is
 * a later firing; with the same `startsAt`, resolved comes after firing, and a later end after an
 * earlier one. Positive when `a` is newer, 0 when they say the same.
 */
export function compareAlertReports(a: AlertFacts, b: AlertFacts): number {
  if (a.startsAt !== b.startsAt) return a.startsAt - b.startsAt;
  const rank = (x: AlertFacts) => (x.status === 'resolved' ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return (a.endsAt ?? 0) - (b.endsAt ?? 0);
}

/** The group's alerts after a notification, and whether it carried any report older than what was known. */
export interface AlertFold {
  alerts: AlertFacts[];
  /** Some alert of the notification was older than its known state (a late retry): that report changed nothing. */
  stale: boolean;
}

/**
 * Folds a notification's alerts into the known ones, per fingerprint: a report replaces the known
 * state only when it is newer ({@link compareAlertReports}) or says the same (fresher labels and
 * annotations). An alert missing from a notification keeps its state: a notification does not say
 * when it was sent, so only an alert's own report can end it (Alertmanager sends it with
 * `send_resolved`, its default). Ended alerts are forgotten after {@link ENDED_MEMORY}.
 */
export function foldAlerts(known: AlertFacts[], incoming: AlertFacts[], now: number): AlertFold {
  const byFingerprint = new Map(known.map((a) => [a.fingerprint, a]));
  let stale = false;
  for (const report of incoming) {
    const before = byFingerprint.get(report.fingerprint);
    if (before && compareAlertReports(report, before) < 0) {
      stale = true;
      continue;
    }
    byFingerprint.set(report.fingerprint, report);
  }
  const all = [...byFingerprint.values()];
  const ended = new Set(
    all
      .filter((a) => a.status === 'resolved' && (a.endsAt ?? now) >= now - ENDED_MEMORY)
      .sort((a, b) => (b.endsAt ?? now) - (a.endsAt ?? now))
      .slice(0, ENDED_LIMIT),
  );
  // In the order they were first reported: the firing ones and the ended ones still remembered.
  return { alerts: all.filter((a) => a.status === 'firing' || ended.has(a)), stale };
}

const ALERTMANAGER = 'alertmanager';

/**
 * Decides what one notification changes. Level-triggered: the notification is folded into the group's
 * known alerts ({@link foldAlerts}) and the alerts firing then are compared with those firing before,
 * so a repeat changes nothing, a lost notification is caught up by the next, and one that arrives
 * late (an older "firing" after the "resolved", a "resolved" before its "firing") changes nothing.
 */
export function planAlertNotification(input: AlertPlanInput): AlertPlan {
  const { group, now } = input;
  const subject = group?.subject ?? input.subject;
  // Alertmanager calls a group resolved when all its alerts are: each report in it is an end (now, if it names none).
  const reports = input.notification.status === 'resolved' ? input.notification.alerts.map((a) => ({ ...a, status: 'resolved' as const, endsAt: a.endsAt ?? now })) : input.notification.alerts;
  const fold = foldAlerts(group?.notification.alerts ?? [], reports, now);
  // The group's own fields (common labels, status) are taken from a notification only when none of its
  // alerts is older than what is known: a late one's fields describe the group as it was.
  const fields = fold.stale && group ? group.notification : input.notification;
  const n: AlertNotification = { ...fields, status: fold.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved', alerts: fold.alerts };
  const before = group ? firingAlerts(group.notification) : [];
  const firing = firingAlerts(n);
  const joined = firing.filter((a) => !before.some((b) => b.fingerprint === a.fingerprint));
  const resolved = before.filter((b) => !firing.some((a) => a.fingerprint === b.fingerprint));
  const title = fold.stale && group ? group.title : alertTitle(n, input.config.titleLabels);
  const record = (incidentId: number | null): AlertGroup => ({ groupKey: n.groupKey, subject, incidentId, notification: n, title, silence: group?.silence ?? null, updatedAt: now });
  const unchanged = joined.length === 0 && resolved.length === 0;
  if (fold.stale && unchanged) return { group: record(group?.incidentId ?? null), incident: null, outcome: 'stale' };

  const host = isOpen(input.groupIncident) ? input.groupIncident : null;
  if (host && host.kind !== 'alert') {
    // Joined a target's or node's incident: notes only; stormguard's own checks decide when it is over.
    // A repeat of a resolved notification resolves nothing more: no note (its alerts were named when they resolved).
    const text = changeNote(title, n.groupLabels, joined, resolved);
    if (!text) return { group: record(host.id), incident: null, outcome: 'repeat' };
    return { group: record(host.id), incident: step(input, host, { type: 'alertsChanged', text }), outcome: 'changed' };
  }

  // `firing` is empty once Alertmanager says the group is resolved.
  if (firing.length === 0) {
    if (!host) return { group: record(group?.incidentId ?? null), incident: null, outcome: 'ignored' };
    return { group: record(host.id), incident: step(input, host, { type: 'recover', cause: `Alertmanager reports ${title} resolved` }), outcome: 'resolved' };
  }

  if (!host) {
    const join = joinable(input, n);
    if (join) {
      const text = `Alertmanager alert joined: ${noteTitle(title)} (${plural(firing.length, 'alert')} firing)`;
      return { group: record(join.id), incident: step(input, join, { type: 'alertsChanged', text }), outcome: 'joined' };
    }
  }

  // The group's own incident: open it, reopen it within the window, or keep it current.
  const own = host ?? input.ownIncident;
  const targets = targetsNamedBy(n.commonLabels, input.config.targets, input.snapshot);
  const fail = { type: 'fail' as const, subject, kind: 'alert' as const, cause: title, targets };
  const opening = open(input, own, fail);
  if (!host) return { group: record(opening.incident.id), incident: opening, outcome: 'opened' };
  const text = changeNote(title, n.groupLabels, joined, resolved);
  const changed = text ? step(input, opening.incident, { type: 'alertsChanged', text }, opening) : opening;
  // Every change the lifecycle makes to an open incident comes with an effect (an edit at least).
  const quiet = changed.effects.length === 0;
  return { group: record(host.id), incident: quiet ? null : changed, outcome: quiet ? 'repeat' : 'changed' };
}

/** The open incident covering a target this group's common labels name (`coveringIncident`), else the named node's, if any. */
function joinable(input: AlertPlanInput, n: AlertNotification): Incident | null {
  const open = input.openIncidents.filter((i) => isOpen(i));
  for (const target of targetsNamedBy(n.commonLabels, input.config.targets, input.snapshot)) {
    const found = coveringIncident(target, open);
    if (found) return found;
  }
  const node = input.config.watchNodes ? nodeNamedBy(n.commonLabels, input.snapshot) : null;
  return node ? (open.find((i) => i.subject === nodeSubject(node)) ?? null) : null;
}

/** A quiet thread note naming the alerts that joined or resolved, or null when nothing did. */
function changeNote(title: string, groupLabels: Record<string, string>, joined: AlertFacts[], resolved: AlertFacts[]): string | null {
  const parts: string[] = [];
  const list = (alerts: AlertFacts[]) => listWithCount(alerts.map((a) => escapeMarkdown(alertLabel(a, groupLabels))), NOTE_LIST, '; ');
  if (joined.length > 0) parts.push(`firing: ${list(joined)}`);
  if (resolved.length > 0) parts.push(`resolved: ${list(resolved)}`);
  if (parts.length === 0) return null;
  return `Alertmanager ${noteTitle(title)} — ${parts.join(' — ')}`;
}

/**
 * Alertmanager's words in a thread note: made literal (labels are text we did not write) and short —
 * the title and two lists of {@link NOTE_LIST} stay within Discord's 2,000 characters of content.
 */
function noteTitle(title: string): string {
  return escapeMarkdown(clip(title, NOTE_TITLE));
}
const NOTE_TITLE = 200;
const NOTE_LIST = 700;

/** One alert in a few words: its labels other than `alertname`, or its fingerprint when it has none. */
export function alertLabel(alert: AlertFacts, common: Record<string, string> = {}): string {
  const own = Object.entries(alert.labels)
    .filter(([k, v]) => k !== 'alertname' && common[k] !== v)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  return own.length > 0 ? own.join(', ') : (alert.labels.alertname ?? alert.fingerprint);
}

/**
 * Opens, reopens or updates the group's own incident. A group without an incident yet is silenced like
 * the incident it opens: by its subject and the targets it names (both on the fail event), as the
 * message and the escalation will judge it.
 */
function open(input: AlertPlanInput, own: Incident | null, fail: Extract<IncidentEvent, { type: 'fail' }>): IncidentPlan {
  const next = transition(own, fail, context(input, own ?? fail));
  // Stryker disable next-line all: unreachable — a fail event always leaves an incident.
  if (!next.incident) throw new Error(`alertmanager: opening group ${input.notification.groupKey} left no incident`);
  return { incident: next.incident, effects: next.effects, audit: next.audit, restarts: [] };
}

/** Applies one lifecycle event to an incident as Alertmanager (the actor), after an earlier step's effects. */
function step(input: AlertPlanInput, incident: Incident, event: IncidentEvent, sofar?: IncidentPlan): IncidentPlan {
  const next = transition(incident, event, context(input, incident));
  // Alertmanager's events never ask for a restart (people's restarts go through the actions).
  return { incident: next.incident ?? incident, effects: [...(sofar?.effects ?? []), ...next.effects], audit: [...(sofar?.audit ?? []), ...next.audit], restarts: [] };
}

function context(input: AlertPlanInput, about: Pick<Incident, 'subject' | 'targets'>): TransitionContext {
  return {
    now: input.now,
    reopenWindow: input.config.reopenWindow,
    escalateAfter: input.config.escalateAfter,
    silenced: activeSilenceFor({ incident: about }, input.silences, input.now) !== null,
    actor: ALERTMANAGER,
  };
}
