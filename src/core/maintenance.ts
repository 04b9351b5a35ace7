/**
 * Planned maintenance recognised from what the cluster says (issue 23): a node that was cordoned, whose
 * reboot lock kured holds, or that a system-upgrade-controller Plan is applying to. The one owner of
 * what a node's maintenance is, which targets it explains, when it holds automatic restarts, when it
 * overran and how its end is reported. Pure: `now` and the cluster come in, records go out.
 */
import { elapsedSince } from './clock.js';
import { formatDuration } from './duration.js';
import { discordTime, listWithCount } from './text.js';
import { nodeOfSubject } from './subject.js';
import type { Incident, NodeFacts, WorkloadFacts } from './types.js';

/** `maintenance.settleAfter` and `maintenance.overrunAfter`, in milliseconds. */
export interface MaintenanceSettings {
  /** How long after the node is back (Ready, schedulable, no lock) its drained pods get to come back by themselves. */
  settleAfter: number;
  /** How long a node may stay NotReady, or cordoned, before its maintenance counts as gone wrong. */
  overrunAfter: number;
}

/** kured's own defaults (kubereboot/kured cmd/kured/main.go: `--ds-namespace`, `--ds-name`, `--lock-annotation`, the reboot annotation): the configuration's defaults. */
export const KURED_DEFAULTS = {
  namespace: 'kube-system',
  daemonSet: 'kured',
  lockAnnotation: 'weave.works/kured-node-lock',
  rebootAnnotation: 'weave.works/kured-reboot-in-progress',
} as const;

/** The defaults of `maintenance.settleAfter` (10m) and `maintenance.overrunAfter` (45m); the schema fills them from here. */
export const MAINTENANCE_DEFAULTS: Readonly<MaintenanceSettings> = { settleAfter: 10 * 60_000, overrunAfter: 45 * 60_000 };

/** One node's maintenance, from the first signal seen to its end; persisted so a restart of stormguard keeps it. */
export interface Maintenance {
  node: string;
  /** When a maintenance signal of this node was first seen. */
  since: number;
  /** When the node was first seen cordoned in this maintenance; null: not (yet) cordoned. */
  cordonedAt: number | null;
  /** Every signal seen in this maintenance, in words: `cordoned`, `kured reboot`, `upgrade plan k3s-agent`. */
  signals: string[];
  /** Targets it explains: on the node while it was in maintenance, or with pods evicted from it. */
  targets: string[];
  /** When it first disrupted something (the node not Ready, a pod evicted from it); null: not yet. */
  disruptedAt: number | null;
  /** When the node was first seen not Ready in this maintenance (it went down to reboot); null: not yet. */
  downAt: number | null;
  /** Since when the node is not Ready now; null while Ready. */
  notReadySince: number | null;
  /** When the node was back: Ready, uncordoned, no lock, no plan applying; null while it is not. */
  backAt: number | null;
  /** When it stopped being quiet: it overran, or the outage had rung before it was seen; null while quiet. */
  rangAt: number | null;
  /** When it ended with its report (its incident resolved then); null while it goes on. */
  endedAt: number | null;
}

/** The maintenance signals a node shows now, in words, in a fixed order. */
export function maintenanceSignals(node: NodeFacts): string[] {
  const signals: string[] = [];
  if (node.unschedulable) signals.push('cordoned');
  if (node.kuredReboot === true) signals.push('kured reboot');
  for (const plan of [...(node.upgradePlans ?? [])].sort()) signals.push(`upgrade plan ${plan}`);
  return signals;
}

/** Whether a maintenance still decides for its node: not ended, and not turned into an ordinary incident. */
export function isQuiet(m: Maintenance): boolean {
  return m.rangAt === null && m.endedAt === null;
}

/** The maintenances in force: quiet and already disrupting something (what /status, /incidents and the metric show). */
export function activeMaintenance(records: readonly Maintenance[]): Maintenance[] {
  return records.filter((m) => isQuiet(m) && m.disruptedAt !== null);
}

/**
 * The maintenance a node incident's card shows: its node's record while that is in force and the
 * incident open, or the record that ended when the incident resolved (its report); else null.
 */
export function maintenanceOfIncident(incident: Pick<Incident, 'subject' | 'state' | 'resolvedAt'>, records: readonly Maintenance[]): Maintenance | null {
  const node = nodeOfSubject(incident.subject);
  const m = records.find((r) => r.node === node);
  if (!m) return null;
  if (incident.state === 'resolved') return m.endedAt !== null && m.endedAt === incident.resolvedAt ? m : null;
  return activeMaintenance([m]).length > 0 ? m : null;
}

/** What `trackMaintenance` reads besides the records. */
export interface TrackInput {
  previous: readonly Maintenance[];
  nodes: Readonly<Record<string, NodeFacts>>;
  workloads: Readonly<Record<string, WorkloadFacts>>;
  /** Whether the node's own incident is open and has already rung (a maintenance seen only then is not planned). */
  rang: (node: string) => boolean;
  now: number;
}

/**
 * Level-triggered: folds this cycle's nodes into the maintenance records. A signal on a node with no
 * running record starts one; a running record learns the targets it explains, whether it disrupted
 * anything, and whether the node is back. A record that never disrupted anything is dropped once its
 * signals are gone (a cordon and an uncordon). Ended records stay (their report is on the card) until a
 * new maintenance of the node replaces them. A node missing from the snapshot keeps its record as it is.
 */
export function trackMaintenance(input: TrackInput): Maintenance[] {
  const byNode = new Map(input.previous.map((m) => [m.node, m]));
  const names = [...new Set([...byNode.keys(), ...Object.keys(input.nodes)])].sort();
  const next: Maintenance[] = [];
  for (const name of names) {
    const before = byNode.get(name);
    const node = input.nodes[name];
    if (!node) {
      if (before) next.push(before);
      continue;
    }
    const tracked = track(before, node, input);
    if (tracked) next.push(tracked);
  }
  return next;
}

function track(before: Maintenance | undefined, node: NodeFacts, input: TrackInput): Maintenance | null {
  const { now } = input;
  const signals = maintenanceSignals(node);
  const running = before && before.endedAt === null ? before : null;
  if (!running) {
    if (signals.length === 0) return before ?? null;
    // Cordoned, locked or upgraded only after its outage rang: that outage was not planned.
    const late = node.ready !== 'True' && input.rang(node.name);
    return observeNode({ ...fresh(node.name, now), rangAt: late ? now : null }, node, signals, input);
  }
  const ready = node.ready === 'True';
  // A cordon and an uncordon that disrupted nothing, or an overrun whose node is back (its incident is ordinary now), end here.
  if (signals.length === 0 && ready && (running.disruptedAt === null || running.rangAt !== null)) return null;
  return observeNode(running, node, signals, input);
}

function fresh(node: string, now: number): Maintenance {
  return { node, since: now, cordonedAt: null, signals: [], targets: [], disruptedAt: null, downAt: null, notReadySince: null, backAt: null, rangAt: null, endedAt: null };
}

function observeNode(m: Maintenance, node: NodeFacts, signals: string[], input: TrackInput): Maintenance {
  const { now } = input;
  const ready = node.ready === 'True';
  const back = ready && signals.length === 0;
  // Once back, the node runs pods again: what lands on it now is not explained by this maintenance.
  const targets = back || m.backAt !== null ? m.targets : union(m.targets, targetsOn(node.name, input.workloads));
  // A cordoned node still runs its pods: a target failing there is an outage. The drain (pods evicted) or
  // the node going down is what the maintenance explains.
  const disrupted = !ready || Object.values(input.workloads).some((w) => drainedFrom(node, w));
  return {
    ...m,
    cordonedAt: m.cordonedAt ?? (node.unschedulable ? now : null),
    signals: union(m.signals, signals, false),
    targets,
    disruptedAt: m.disruptedAt ?? (disrupted ? now : null),
    downAt: m.downAt ?? (ready ? null : now),
    notReadySince: ready ? null : m.notReadySince ?? now,
    backAt: back ? m.backAt ?? now : null,
  };
}

/**
 * Whether `w` shows a drain of `node`: a pod evicted from it (`DisruptionTarget`), or — the eviction
 * is over in seconds and a cycle may miss it — a replacement pinned to the cordoned node, waiting
 * unscheduled because of the cordon.
 */
function drainedFrom(node: NodeFacts, w: WorkloadFacts): boolean {
  if (w.pods.some((p) => p.node === node.name && p.disruption != null)) return true;
  return node.unschedulable && w.relevantNodes.includes(node.name) && w.pods.some((p) => p.node === null && p.unschedulable != null);
}

/** Targets whose pods are on `node`, or pinned to it, or were evicted from it. */
function targetsOn(node: string, workloads: Readonly<Record<string, WorkloadFacts>>): string[] {
  return Object.values(workloads)
    .filter((w) => w.relevantNodes.includes(node) || w.pods.some((p) => p.node === node))
    .map((w) => w.target);
}

function union(a: readonly string[], b: readonly string[], sort = true): string[] {
  const all = [...new Set([...a, ...b])];
  return sort ? all.sort() : all;
}

/** The quiet maintenance that explains `target` (lists it and has disrupted something), or null. */
export function explainingMaintenance(target: string, records: readonly Maintenance[]): Maintenance | null {
  return activeMaintenance(records).find((m) => m.targets.includes(target)) ?? null;
}

/** What the gate reads of the maintenance records: the records and how long drained pods get to come back. */
export interface MaintenanceGateInput {
  records: readonly Maintenance[];
  settleAfter: number;
}

/**
 * Why a restart of `target` must wait for a node's maintenance, or null. While the node is not back
 * nobody restarts it (as for a NotReady node); for `settleAfter` after it is back only automatic restarts
 * wait, because drained pods come back by themselves and a person may know better.
 */
export function maintenanceHold(
  target: string,
  maintenance: MaintenanceGateInput | undefined,
  mode: 'automatic' | 'manual',
  now: number,
): { node: string; message: string } | null {
  if (!maintenance) return null;
  const m = explainingMaintenance(target, maintenance.records);
  if (!m) return null;
  const settling = m.backAt !== null;
  if (settling && (mode === 'manual' || elapsedSince(m.backAt!, now) >= maintenance.settleAfter)) return null;
  const signals = m.signals.length > 0 ? ` (${m.signals.join(', ')})` : '';
  const why = settling ? `; its drained pods get ${formatDuration(maintenance.settleAfter)} to come back by themselves` : '';
  return { node: m.node, message: `${m.node} is in planned maintenance${signals}${why}` };
}

/** How the card names the node's state now: drained, NotReady, back (still cordoned), uncordoned. */
function phase(m: Maintenance, node: NodeFacts | undefined): string {
  if (!node) return 'not in the cluster';
  if (node.ready === 'False') return 'NotReady';
  if (node.ready === 'Unknown') return 'readiness Unknown';
  if (m.backAt !== null) return 'back, uncordoned';
  if (m.downAt !== null) return node.unschedulable ? 'back, still cordoned' : 'back, still locked';
  return node.unschedulable ? 'drained' : 'in progress';
}

/**
 * One line for `/status` and `/incidents`: "🔧 node-a: planned maintenance (cordoned, kured reboot) since
 * <t:…:R> — explains frigate, mqtt" (Discord renders the time for each reader).
 */
export function maintenanceLine(m: Maintenance): string {
  const signals = m.signals.length > 0 ? ` (${m.signals.join(', ')})` : '';
  const explains = m.targets.length > 0 ? ` — explains ${listWithCount(m.targets, 300)}` : '';
  return `🔧 ${m.node}: planned maintenance${signals} since ${discordTime(m.since)}${m.backAt !== null ? ', node back' : ''}${explains}`;
}

/** A clock time `HH:MM UTC`, the same for everyone reading the thread. */
function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')} UTC`;
}

/**
 * The sentence of a quiet maintenance card (its cause; each change is one edit and one quiet note):
 * "node-a: planned maintenance (cordoned 02:04 UTC · kured reboot) — NotReady — frigate, mqtt waiting".
 */
export function maintenanceSentence(m: Maintenance, node: NodeFacts | undefined, down: readonly string[]): string {
  const signals = m.signals.map((s) => (s === 'cordoned' && m.cordonedAt !== null ? `cordoned ${clockTime(m.cordonedAt)}` : s));
  const waiting = down.length > 0 ? `${listWithCount([...down].sort(), 500)} waiting` : 'nothing waiting';
  return `${m.node}: planned maintenance (${signals.join(' · ')}) — ${phase(m, node)} — ${waiting}`;
}

/**
 * The title of a quiet maintenance card: "node-a: planned maintenance". It names no count: the message's
 * first line and its thread keep the title they were posted with, and what waits changes as it goes.
 */
export function maintenanceTitle(m: Pick<Maintenance, 'node'>): string {
  return `${m.node}: planned maintenance`;
}

/**
 * Whether the maintenance went wrong now, with the sentence that rings once: the node NotReady, or
 * cordoned, for `overrunAfter` while not back; or a target it explained still down `settleAfter` after
 * the node was back. Null while it is on time.
 */
export function maintenanceOverrun(m: Maintenance, node: NodeFacts | undefined, down: readonly string[], settings: MaintenanceSettings, now: number): string | null {
  if (!isQuiet(m) || m.disruptedAt === null) return null;
  if (m.backAt !== null) {
    const back = elapsedSince(m.backAt, now);
    if (back < settings.settleAfter || down.length === 0) return null;
    return `${listWithCount([...down].sort(), 500)} still down ${minutes(back)} after ${m.node}'s maintenance ended`;
  }
  // The longest of them decides; the sentence names what the node is now, NotReady first.
  const notReady = m.notReadySince !== null ? elapsedSince(m.notReadySince, now) : null;
  const cordoned = node?.unschedulable === true && m.cordonedAt !== null ? elapsedSince(m.cordonedAt, now) : null;
  const longest = Math.max(notReady ?? 0, cordoned ?? 0, elapsedSince(m.since, now));
  if (longest < settings.overrunAfter) return null;
  const parts = [
    ...(notReady !== null ? [`${node?.ready === 'Unknown' ? 'readiness Unknown' : 'NotReady'} for ${minutes(notReady)}`] : []),
    ...(cordoned !== null ? [`cordoned for ${minutes(cordoned)}`] : []),
  ];
  return `${m.node}'s maintenance overran: ${parts.length > 0 ? parts.join(', ') : `in maintenance for ${minutes(longest)}`}`;
}

/** The report when a maintenance ends: "maintenance of node-a over — 23m; frigate, mqtt back". */
export function maintenanceReport(m: Maintenance, affected: readonly string[], now: number): string {
  const back = affected.length > 0 ? `${listWithCount([...affected].sort(), 500)} back` : 'no service was affected';
  return `maintenance of ${m.node} over — ${minutes(elapsedSince(m.since, now))}; ${back}`;
}

/** Whether the maintenance is over: the node back and every target it explains up. */
export function maintenanceOver(m: Maintenance, down: readonly string[]): boolean {
  return m.backAt !== null && down.length === 0;
}

/** A duration in whole minutes (`47m`, `1h2m`), at least `1m`: cycles land seconds after a threshold. */
function minutes(ms: number): string {
  return formatDuration(Math.max(60_000, Math.floor(ms / 60_000) * 60_000));
}
