/**
 * Maintenance windows declared by people (`/maintenance`) or by the configuration
 * (`maintenance.windows`): what they cover, whether they are in force, the gate's sentence, and the
 * report when one ends. Pure: `now` and every fact come in; a window's state is derived from its
 * times, never stored (like a silence).
 */
import { formatDuration } from './duration.js';
import { nodeOfSubject, targetOfSubject } from './subject.js';
import { clip, escapeMarkdown, listWithCount, oneLine } from './text.js';
import type { IncidentEvent } from './lifecycle.js';
import type { ClusterSnapshot, Incident } from './types.js';

/** One maintenance window: a span of time in which its nodes' and targets' outages ring nobody. */
export interface MaintenanceWindow {
  /** Null until the store has inserted it. */
  id: number | null;
  /** The nodes it covers: every target whose pods run (or are pinned) there, and the node's own incident. */
  nodes: string[];
  /** The targets it covers by name. */
  targets: string[];
  startsAt: number;
  endsAt: number;
  reason: string;
  /** A Discord user id, or `config` for a recurring window of the configuration. */
  createdBy: string;
  /** The person's name as Discord showed it when they declared the window (for plain text such as the gate's); '' for the configuration. */
  createdByName: string;
  /** The name of the recurring window (`maintenance.windows[].name`) it is an occurrence of; null when declared by hand. */
  recurring: string | null;
  /** When `duration:off` ended it early, else null. */
  endedAt: number | null;
  /** When its end report was written (once per window), else null. */
  reportedAt: number | null;
}

/** Who creates the occurrences of the configuration's recurring windows. */
export const CONFIG_AUTHOR = 'config';

/** When a window stops covering its subjects: its planned end, or when it was ended early. */
export function windowEnd(window: Pick<MaintenanceWindow, 'endsAt' | 'endedAt'>): number {
  return window.endedAt === null ? window.endsAt : Math.min(window.endedAt, window.endsAt);
}

/**
 * Whether a window is in force at `now`. Like a silence, a start after `now` only means the wall clock
 * stepped back: a window once begun stays in force until its end.
 */
export function windowInForce(window: Pick<MaintenanceWindow, 'endsAt' | 'endedAt'>, now: number): boolean {
  return now < windowEnd(window);
}

/** Where each target's pods are bound (or pinned): the snapshot's `relevantNodes`, by target. */
export type NodesOfTargets = Readonly<Record<string, readonly string[]>>;

/** Whether `window` covers `target`: named, or running on one of its nodes. */
export function windowCoversTarget(window: Pick<MaintenanceWindow, 'nodes' | 'targets'>, target: string, nodesOf: NodesOfTargets): boolean {
  if (window.targets.includes(target)) return true;
  return (nodesOf[target] ?? []).some((node) => window.nodes.includes(node));
}

/**
 * Whether `window` covers an incident: the incident of one of its nodes, or of one of its targets, or
 * one whose every target it covers (a node incident on a node outside the window is quiet only when all
 * it affects is in maintenance).
 */
export function windowCoversIncident(
  window: Pick<MaintenanceWindow, 'nodes' | 'targets'>,
  incident: Pick<Incident, 'subject' | 'targets'>,
  nodesOf: NodesOfTargets,
): boolean {
  const node = nodeOfSubject(incident.subject);
  if (node !== null && window.nodes.includes(node)) return true;
  const target = targetOfSubject(incident.subject);
  if (target !== null && windowCoversTarget(window, target, nodesOf)) return true;
  return incident.targets.length > 0 && incident.targets.every((t) => windowCoversTarget(window, t, nodesOf));
}

/** The window in force at `now` that covers `target`, the last to end; null when none does. */
export function windowForTarget(target: string, windows: readonly MaintenanceWindow[], nodesOf: NodesOfTargets, now: number): MaintenanceWindow | null {
  return lastToEnd(windows.filter((w) => windowInForce(w, now) && windowCoversTarget(w, target, nodesOf)));
}

/** The window in force at `now` that covers an incident, the last to end; null when none does. */
export function windowForIncident(
  incident: Pick<Incident, 'subject' | 'targets'>,
  windows: readonly MaintenanceWindow[],
  nodesOf: NodesOfTargets,
  now: number,
): MaintenanceWindow | null {
  return lastToEnd(windows.filter((w) => windowInForce(w, now) && windowCoversIncident(w, incident, nodesOf)));
}

function lastToEnd(windows: MaintenanceWindow[]): MaintenanceWindow | null {
  return windows.reduce<MaintenanceWindow | null>((best, w) => (best === null || windowEnd(w) > windowEnd(best) ? w : best), null);
}

/** What a window covers in words: `node nas-1`, `frigate`, `nodes a, b and targets c`. */
export function describeCovered(window: Pick<MaintenanceWindow, 'nodes' | 'targets'>): string {
  const nodes = window.nodes.length === 0 ? null : `${window.nodes.length === 1 ? 'node' : 'nodes'} ${listWithCount(window.nodes, 200)}`;
  const targets = window.targets.length === 0 ? null : listWithCount(window.targets, 200);
  return [nodes, targets].filter((part): part is string => part !== null).join(' and ');
}

/**
 * Why and by whom, for people: `NAS firmware, by <@123>` in Discord markup, or `NAS firmware, by alice`
 * as plain text (for sentences the caller escapes, such as the gate's); a recurring window by its name
 * from the configuration.
 */
export function describeOrigin(window: Pick<MaintenanceWindow, 'reason' | 'createdBy' | 'createdByName' | 'recurring'>, style: 'markup' | 'plain' = 'markup'): string {
  const text = (value: string, max: number) => (style === 'markup' ? escapeMarkdown(clip(oneLine(value), max)) : clip(oneLine(value), max));
  const reason = text(window.reason, 120);
  if (window.recurring !== null) {
    const name = text(window.recurring, 100);
    return reason && reason !== name ? `${name}: ${reason}, scheduled` : `${name}, scheduled`;
  }
  const who = style === 'markup' ? `<@${window.createdBy}>` : text(window.createdByName, 64) || 'a person';
  return reason ? `${reason}, by ${who}` : `by ${who}`;
}

/**
 * A time as plain text in UTC, short when it is on the same UTC day as `now` (`04:00 UTC`), else with
 * its date (`2026-11-26 04:00 UTC`): the gate's sentence is plain text, where Discord's timestamps do not render.
 */
export function plainTime(ms: number, now: number): string {
  const iso = new Date(ms).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? '' : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC`;
}

/** The gate's sentence, plain text: "frigate is in a maintenance window until 04:00 UTC (NAS firmware, by alice)". */
export function windowRefusal(target: string, window: MaintenanceWindow, now: number): string {
  return `${target} is in a maintenance window until ${plainTime(windowEnd(window), now)} (${describeOrigin(window, 'plain')})`;
}

/** Which windows' end reports are owed at `now`: ended (expired or ended early) and not yet reported. */
export function windowsToReport(windows: readonly MaintenanceWindow[], now: number): MaintenanceWindow[] {
  return windows.filter((w) => w.reportedAt === null && !windowInForce(w, now));
}

/** What a window's end says and does: one summary, and for each incident still open, whether it rings. */
export interface WindowEndReport {
  window: MaintenanceWindow;
  /** The summary: what came back during the window and what is still down. */
  text: string;
  /** Incidents still open that the window covered, by subject: `ring` true when the role is rung for it now. */
  stillOpen: Array<{ subject: string; ring: boolean }>;
  /** The incident that came back last during the window: where the summary goes when nothing is still open. */
  lastBack: Incident | null;
}

/** What the end report of a window looks at. */
export interface WindowEndInput {
  window: MaintenanceWindow;
  /** Incidents as the cycle has left them: the open ones, and those resolved since the window began. */
  incidents: readonly Incident[];
  /** Every window known now (the ended one among them): one still in force over an incident keeps it quiet. */
  windows: readonly MaintenanceWindow[];
  nodesOf: NodesOfTargets;
  now: number;
}

/**
 * The report of a window that ended: "Maintenance window (node nas-1 — NAS firmware, by @alice) over
 * after 1h — back: mqtt; still down: frigate". Each incident it covered that is still open rings once
 * — unless it is acknowledged (someone already owns it: no re-page) or another window still in force
 * covers it (that window's end will speak).
 */
export function reportWindowEnd(input: WindowEndInput): WindowEndReport {
  const { window, nodesOf, now } = input;
  const end = windowEnd(window);
  const covered = input.incidents.filter((i) => windowCoversIncident(window, i, nodesOf));
  const open = covered.filter((i) => i.state !== 'resolved').sort(bySubject);
  const back = covered.filter((i) => i.state === 'resolved' && i.resolvedAt !== null && i.resolvedAt >= window.startsAt);
  const down = new Set(open.flatMap(namesOf));
  const recovered = [...new Set(back.flatMap(namesOf))].filter((name) => !down.has(name)).sort();
  const parts = [
    recovered.length > 0 ? `back: ${listWithCount(recovered, 600)}` : null,
    down.size > 0 ? `still down: ${listWithCount([...down].sort(), 600)}` : null,
  ].filter((p): p is string => p !== null);
  const outcome = parts.length > 0 ? parts.join('; ') : 'nothing went down';
  const how = window.endedAt !== null && window.endedAt < window.endsAt ? 'ended early' : 'over';
  const text = `Maintenance window (${describeCovered(window)} — ${describeOrigin(window)}) ${how} after ${formatDuration(roundToMinute(end - window.startsAt))} — ${outcome}`;
  // The ended window is not in force itself: what is left are the others still covering.
  const others = input.windows.filter((w) => windowInForce(w, now));
  const stillOpen = open.map((incident) => ({
    subject: incident.subject,
    ring: incident.state === 'open' && !others.some((w) => windowCoversIncident(w, incident, nodesOf)),
  }));
  const lastBack = back.reduce<Incident | null>((latest, i) => (latest === null || i.resolvedAt! > latest.resolvedAt! ? i : latest), null);
  return { window, text, stillOpen, lastBack };
}

/** What an incident is about, in names: its targets, or the node or target its subject names. */
function namesOf(incident: Incident): string[] {
  if (incident.targets.length > 0) return incident.targets;
  const node = nodeOfSubject(incident.subject);
  if (node !== null) return [`node ${node}`];
  return [targetOfSubject(incident.subject) ?? incident.subject];
}

function bySubject(a: Incident, b: Incident): number {
  return a.subject.localeCompare(b.subject);
}

/** Whole minutes, at least one: a report says "1h", not "59m58s" for a window a cycle ended late or early. */
function roundToMinute(ms: number): number {
  return Math.max(60_000, Math.round(ms / 60_000) * 60_000);
}

/** Where each target's pods are, as a snapshot says (nothing when the API did not answer). */
export function windowNodes(snapshot: ClusterSnapshot): NodesOfTargets {
  if (!snapshot.reachable) return {};
  return Object.fromEntries(Object.entries(snapshot.workloads).map(([target, w]) => [target, w.relevantNodes]));
}

/** The part of a cycle's plan the end reports work through: the incidents as left so far, and a way to change one. */
export interface IncidentLedger {
  all(): Incident[];
  apply(subject: string, event: IncidentEvent): void;
  /** Makes a resolved incident the ledger did not load (it resolved before the reopen window) the one its subject's events apply to. */
  adopt(incident: Incident): void;
}

/** What `planWindowEnds` looks at besides the ledger. */
export interface WindowEndsInput {
  windows: readonly MaintenanceWindow[];
  /** Incidents resolved since the earliest window to report began. */
  resolved: readonly Incident[];
  nodesOf: NodesOfTargets;
  now: number;
}

/**
 * Reports every window whose end is owed, first ended first: its summary goes to each incident it
 * covered that is still open, as the one ring that incident gets for it (an incident rings once even
 * when several windows over it end together) or as a quiet note.
 */
export function planWindowEnds(ledger: IncidentLedger, input: WindowEndsInput): WindowEndReport[] {
  const due = windowsToReport(input.windows, input.now).sort((a, b) => windowEnd(a) - windowEnd(b) || (a.id ?? 0) - (b.id ?? 0));
  const rung = new Set<string>();
  return due.map((window) => {
    const current = ledger.all();
    const known = new Set(current.map((i) => i.id));
    const incidents = [...current, ...input.resolved.filter((i) => !known.has(i.id))];
    const report = reportWindowEnd({ window, incidents, windows: input.windows, nodesOf: input.nodesOf, now: input.now });
    for (const { subject, ring } of report.stillOpen) {
      const once = ring && !rung.has(subject);
      if (once) rung.add(subject);
      ledger.apply(subject, { type: 'maintenanceEnded', text: report.text, ring: once });
    }
    if (report.stillOpen.length === 0 && report.lastBack !== null) {
      ledger.adopt(report.lastBack);
      ledger.apply(report.lastBack.subject, { type: 'maintenanceEnded', text: report.text, ring: false });
    }
    return report;
  });
}
