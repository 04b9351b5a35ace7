import { clip, escapeMarkdown, listWithCount, oneLine } from './text.js';
import type { Config, TargetConfig } from '../config/types.js';
import { evaluateGate } from './gate.js';
import { diagnoseTargets } from './diagnosis.js';
import { clusterThresholds, initialTargetState, observe } from './hysteresis.js';
import { isOpen, newIncident, transition, transitionContext, withinReopenWindow, type IncidentEvent, type Transition } from './lifecycle.js';
import { nodeOutage } from './nodes.js';
import { WATCHDOG_SUBJECT, watchdogEvent, type WatchdogInput } from './watchdog.js';
import { countMissing, isWorkloadMissing, nodesKnown, setupProblems, setupResolution } from './setup.js';
import { activeSilenceFor } from './silence.js';
import { planWindowEnds, windowForIncident, windowNodes, type MaintenanceWindow, type NodesOfTargets, type WindowEndReport } from './windows.js';
import { judgeBrake } from './brake.js';
import { covers, coveringIncident } from './cover.js';
import {
  activeMaintenance,
  explainingMaintenance,
  MAINTENANCE_DEFAULTS,
  maintenanceOver,
  maintenanceOverrun,
  maintenanceReport,
  maintenanceSentence,
  trackMaintenance,
  type Maintenance,
  type MaintenanceSettings,
} from './maintenance.js';
import { CLUSTER_SUBJECT, nodeOfSubject, nodeSubject, OBSERVER_SUBJECT, targetOfSubject, targetSubject } from './subject.js';
import type {
  AuditEntry,
  ClusterSnapshot,
  Effect,
  Incident,
  IncidentKind,
  Observation,
  RestartRecord,
  RestartRequest,
  Silence,
  TargetState,
  WorkloadFacts,
} from './types.js';

/** Everything one check cycle decides from; the shell loads it, the plan does no I/O. */
export interface CycleInput {
  now: number;
  config: Pick<Config, 'targets' | 'watchNodes' | 'reopenWindow' | 'notify'> & { maintenance?: MaintenanceSettings };
  snapshot: ClusterSnapshot;
  observations: Observation[];
  targetStates: Record<string, TargetState>;
  /** Every open incident and, per subject, the latest resolved one still inside the reopen window. */
  incidents: Incident[];
  /** The silences in force (`activeSilences(now)`). */
  silences: Silence[];
  /** Restart attempts since `restartHistorySince` and of the open incidents (`restartsFor`). */
  restarts: RestartRecord[];
  /** The Kubernetes API's own hysteresis, kept like a target's; absent: never observed (presumed answering). */
  clusterState?: TargetState;
  /** The nodes' maintenance records as the last cycle left them (`loadMaintenance`); absent: none. */
  maintenance?: Maintenance[];
  /** Alertmanager's Watchdog, when `alertmanager.watchdog` is set: its `within` and when it was last heard. */
  watchdog?: Omit<WatchdogInput, 'now' | 'open'>;
  /**
   * Maintenance windows: those in force (they mute what they cover and hold its automatic restarts) and
   * those ended whose report is owed; with the incidents resolved since the earliest of those began.
   */
  maintenanceWindows?: { windows: MaintenanceWindow[]; resolved: Incident[] };
}

/** One incident's new state with the effects, restarts and audit records to commit alongside it. */
export interface IncidentPlan {
  /** `id` null: a new incident for the store to insert. */
  incident: Incident;
  effects: Effect[];
  audit: AuditEntry[];
  restarts: RestartRequest[];
}

/** The outcome of one cycle: new target states and every incident that changed or has effects. */
export interface CyclePlan {
  targetStates: TargetState[];
  /** The Kubernetes API's hysteresis after this cycle, to persist beside the target states. */
  clusterState: TargetState;
  incidents: IncidentPlan[];
  /** The maintenance windows whose end this cycle reported (to mark reported in the same transaction). */
  windowReports?: WindowEndReport[];
  /** The nodes' maintenance records after this cycle, to persist in place of the previous ones. */
  maintenance: Maintenance[];
}

const SCHEDULER = 'scheduler';

/**
 * Plans one check cycle (level-triggered, like a Kubernetes controller): folds the observations into
 * the targets' hysteresis, decides which incident each down target belongs to (one per NotReady node,
 * else one per target), opens, updates, resolves and ticks incidents, and passes every down target
 * through the gate for an automatic restart. Pure: `now` and all state come in, data goes out.
 */
export function planCycle(input: CycleInput): CyclePlan {
  const ctx = new PlanContext(input);
  const cluster = observeCluster(input);
  if (!input.snapshot.reachable) {
    // Blips do not ring: like a target, the API is down only after failureThreshold failed cycles in a row.
    if (cluster.health === 'down') {
      ctx.apply(CLUSTER_SUBJECT, {
        type: 'fail',
        subject: CLUSTER_SUBJECT,
        kind: 'cluster',
        cause: `Kubernetes API unreachable: ${input.snapshot.error}`,
        targets: [],
      });
    }
    // The alerting pipeline is judged apart from the cluster: Alertmanager may be silent while the API is down.
    planWatchdog(ctx, input);
    ctx.tickAll();
    // Target states stay as they are: no observation is trustworthy without the API.
    return ctx.result(input.config.targets.map((t) => ctx.stateOf(t.name)), cluster);
  }
  if (cluster.health === 'up') ctx.apply(CLUSTER_SUBJECT, { type: 'recover', cause: 'the Kubernetes API answers again' });

  const states = observeAll(input);
  const snapshot = input.snapshot;
  // Without the nodes (RBAC refused them) maintenance cannot be told either: the records stay as they are.
  if (nodesKnown(snapshot)) ctx.maintenance = trackMaintenance({ previous: ctx.maintenance, nodes: snapshot.nodes, workloads: snapshot.workloads, rang: (n) => rang(ctx.current(nodeSubject(n))), now: input.now });
  const assignment = assignDownTargets(input, states, ctx.maintenance);
  planObserverIncident(ctx, input, snapshot, states, assignment);

  // Without the nodes (RBAC refused them) a node outage cannot be told: node incidents stay as they are.
  if (nodesKnown(snapshot)) planNodeIncidents(ctx, input, snapshot, assignment, states);
  planTargetIncidents(ctx, input, states, assignment);
  planSetupIncidents(ctx, input, states);
  planNamedTargets(ctx, input, states, assignment);
  planWatchdog(ctx, input);
  const windowReports = input.maintenanceWindows ? planWindowEnds(ctx, { ...input.maintenanceWindows, nodesOf: windowNodes(snapshot), now: input.now }) : [];
  ctx.tickAll();
  const finalStates = planAutomaticRestarts(ctx, input, states, assignment);
  return { ...ctx.result(finalStates, cluster), ...(windowReports.length > 0 ? { windowReports } : {}) };
}

/**
 * Folds whether the Kubernetes API answered this cycle into its own hysteresis, as a target's probe
 * would be: down after failureThreshold failed cycles in a row, up again after successThreshold answers.
 */
function observeCluster(input: CycleInput): TargetState {
  const previous = input.clusterState ?? initialTargetState(CLUSTER_SUBJECT);
  const observation: Observation = input.snapshot.reachable
    ? { target: CLUSTER_SUBJECT, result: 'ok', detail: 'the Kubernetes API answers' }
    : { target: CLUSTER_SUBJECT, result: 'fail', detail: input.snapshot.error };
  return observe(previous, observation, clusterThresholds(input.config.targets), input.now);
}

/** Folds this cycle's observations into each configured target's state. */
function observeAll(input: CycleInput): Map<string, TargetState> {
  const byTarget = new Map(input.observations.map((o) => [o.target, o]));
  const states = new Map<string, TargetState>();
  for (const target of input.config.targets) {
    const previous = input.targetStates[target.name] ?? initialTargetState(target.name);
    const observation = byTarget.get(target.name);
    // A missing workload is a configuration problem (a setup incident), not an outage: its probe is not judged.
    const judged = observation && !isWorkloadMissing(input.snapshot, target.name) ? observe(previous, observation, target, input.now) : previous;
    const next = countMissing(judged, input.snapshot, observation !== undefined);
    states.set(target.name, next.health === 'up' ? { ...next, lastGateReason: null } : next);
  }
  return states;
}

/**
 * Maps each down target to the subject of the incident it belongs to: the open incident that covers it
 * (`coveringIncident`) when it is its own, else the incident of a NotReady relevant node, else the open
 * node incident covering it (the node is back but the target is not), else an incident of its own — never
 * an Alertmanager incident that names it: a check failure rings as it would without the alert.
 * Whether the observer incident keeps a target is the brake's to judge each cycle (`planObserverIncident`).
 */
function assignDownTargets(input: CycleInput, states: Map<string, TargetState>, maintenance: readonly Maintenance[]): Map<string, string> {
  const snapshot = input.snapshot;
  if (!snapshot.reachable) return new Map();
  const assignment = new Map<string, string>();
  for (const target of input.config.targets) {
    if (states.get(target.name)?.health !== 'down') continue;
    const covering = coveringIncident(target.name, input.incidents);
    if (covering?.kind === 'target') {
      assignment.set(target.name, covering.subject);
      continue;
    }
    // Drained pods that are rescheduling are not an outage of their own: the maintenance's card has them.
    const explained = explainingMaintenance(target.name, maintenance);
    if (explained) {
      assignment.set(target.name, nodeSubject(explained.node));
      continue;
    }
    const relevant = snapshot.workloads[target.name]?.relevantNodes ?? [];
    const badNode = [...relevant].sort().find((n) => nodeOutage(n, snapshot.nodes[n]) !== null);
    if (badNode) {
      assignment.set(target.name, nodeSubject(badNode));
      continue;
    }
    if (covering?.kind === 'node') {
      assignment.set(target.name, covering.subject);
      continue;
    }
    // Flapping folds in: the incident that last covered this target reopens within the window.
    const recent = input.incidents
      // The observer incident reopens only when the brake engages again.
      .filter((i) => i.state === 'resolved' && covers(i, target.name) && i.kind !== 'observer')
      .filter((i) => withinReopenWindow(i.resolvedAt, input.now, input.config.reopenWindow))
      .sort((a, b) => (b.resolvedAt ?? 0) - (a.resolvedAt ?? 0))[0];
    assignment.set(target.name, recent ? recent.subject : targetSubject(target.name));
  }
  return assignment;
}

/**
 * The mass-failure brake (`judgeBrake`): while it holds, the down targets it holds that would open (or
 * reopen) an incident join the one observer incident instead — no incident, ring or restart of their
 * own — and automatic restarts hold (the gate reads the observer incident). When it releases, the
 * observer incident resolves and targets still down are assigned as usual, in this same cycle.
 */
function planObserverIncident(
  ctx: PlanContext,
  input: CycleInput,
  snapshot: Extract<ClusterSnapshot, { reachable: true }>,
  states: Map<string, TargetState>,
  assignment: Map<string, string>,
): void {
  const current = ctx.current(OBSERVER_SUBJECT);
  const holding = isOpen(current) ? current : null;
  const verdict = judgeBrake({ targets: input.config.targets, observations: input.observations, snapshot, before: input.targetStates, after: states, holding });
  if (!verdict.holds) {
    if (holding && verdict.cause) ctx.apply(OBSERVER_SUBJECT, { type: 'recover', cause: verdict.cause });
    return;
  }
  // A target already in an open incident (its own, a node's) stays there.
  const held = verdict.held.filter((t) => {
    const subject = assignment.get(t);
    return subject !== undefined && !isOpen(ctx.current(subject));
  });
  for (const t of held) assignment.set(t, OBSERVER_SUBJECT);
  const cause = verdict.cause ?? holding?.cause ?? '';
  ctx.apply(OBSERVER_SUBJECT, { type: 'fail', subject: OBSERVER_SUBJECT, kind: 'observer', cause, targets: held });
}

function planNodeIncidents(
  ctx: PlanContext,
  input: CycleInput,
  snapshot: Extract<ClusterSnapshot, { reachable: true }>,
  assignment: Map<string, string>,
  states: Map<string, TargetState>,
): void {
  const assignedTo = (subject: string) => [...assignment].filter(([, s]) => s === subject).map(([t]) => t);
  const settings = input.config.maintenance ?? MAINTENANCE_DEFAULTS;
  const nodeNames = new Set<string>(Object.keys(snapshot.nodes));
  for (const subject of assignment.values()) addNode(nodeNames, subject);
  for (const incident of input.incidents) if (isOpen(incident)) addNode(nodeNames, incident.subject);

  for (const name of [...nodeNames].sort()) {
    const subject = nodeSubject(name);
    const problem = nodeOutage(name, snapshot.nodes[name])?.message ?? null;
    const targets = assignedTo(subject);
    const current = ctx.current(subject);
    if (planMaintenance(ctx, input, name, targets, states, settings)) continue;
    if (problem) {
      if (input.config.watchNodes || targets.length > 0 || isOpen(current)) {
        ctx.apply(subject, { type: 'fail', subject, kind: 'node', cause: problem, targets, diagnoses: diagnoseTargets(targets, snapshot, input.now) });
      }
      continue;
    }
    // The node is Ready: its incident stays open (or reopens) while a target assigned to it is down.
    if (targets.length > 0) {
      const cause = `node ${name} is Ready again; still down: ${listWithCount(targets, 500)}`;
      ctx.apply(subject, { type: 'fail', subject, kind: 'node', cause, targets, diagnoses: diagnoseTargets(targets, snapshot, input.now) });
    } else if (isOpen(current) && !overranUnfinished(ctx.maintenance, name)) {
      ctx.apply(subject, { type: 'recover', cause: `node ${name} is Ready and everything on it is up` });
    }
  }
}

/**
 * The node's incident while a quiet maintenance runs on it (returns true: nothing else to plan for the
 * node): the quiet card with its sentence, the end report that resolves it, or — when it overran — the one
 * ring, after which the node's incident is planned as an ordinary one (returns false).
 */
function planMaintenance(ctx: PlanContext, input: CycleInput, name: string, targets: string[], states: Map<string, TargetState>, settings: MaintenanceSettings): boolean {
  const m = ctx.maintenance.find((r) => r.node === name);
  if (!m || activeMaintenance([m]).length === 0) return false;
  const snapshot = input.snapshot as Extract<ClusterSnapshot, { reachable: true }>;
  const subject = nodeSubject(name);
  const facts = snapshot.nodes[name];
  // Waiting: down by its checks, or short of ready pods now (drained pods show before the checks confirm it).
  const down = m.targets.filter((t) => states.get(t)?.health === 'down' || shortOfPods(snapshot.workloads[t]));
  const current = ctx.current(subject);
  if (maintenanceOver(m, down)) {
    if (isOpen(current)) ctx.apply(subject, { type: 'recover', cause: maintenanceReport(m, current.targets, input.now) });
    ctx.setMaintenance({ ...m, endedAt: input.now });
    return true;
  }
  const overrun = maintenanceOverrun(m, facts, down, settings, input.now);
  if (overrun !== null) {
    // Rings once, from a card that exists: opened quietly now if nothing had opened it yet.
    if (!isOpen(current)) ctx.apply(subject, { type: 'fail', subject, kind: 'node', cause: maintenanceSentence(m, facts, down), targets, diagnoses: diagnoseTargets(targets, snapshot, input.now) });
    ctx.apply(subject, { type: 'maintenanceOverran', text: overrun });
    ctx.setMaintenance({ ...m, rangAt: input.now });
    return false;
  }
  if (input.config.watchNodes || targets.length > 0 || isOpen(current)) {
    ctx.apply(subject, { type: 'fail', subject, kind: 'node', cause: maintenanceSentence(m, facts, down), targets, diagnoses: diagnoseTargets(targets, snapshot, input.now) });
  }
  return true;
}

/**
 * Whether node `name`'s maintenance overran and the node is not back yet (still cordoned, locked or
 * upgraded): its incident, rung for that, stays open until the node is back, even with everything up.
 */
function overranUnfinished(records: readonly Maintenance[], name: string): boolean {
  return records.some((m) => m.node === name && m.rangAt !== null && m.endedAt === null && m.backAt === null);
}

/** Whether a workload has fewer ready pods than it wants (a drained one, until its pods are back). */
function shortOfPods(workload: WorkloadFacts | undefined): boolean {
  return workload !== undefined && workload.found && workload.readyReplicas < workload.desiredReplicas;
}

/** Whether an incident is open and has rung (a maintenance seen only after that was not planned). */
function rang(incident: Incident | null): boolean {
  return isOpen(incident) && incident.notifiedAt !== null;
}

/** Adds the node a subject names, if it names one. */
function addNode(names: Set<string>, subject: string): void {
  const node = nodeOfSubject(subject);
  if (node !== null) names.add(node);
}

function planTargetIncidents(ctx: PlanContext, input: CycleInput, states: Map<string, TargetState>, assignment: Map<string, string>): void {
  const configured = new Set(input.config.targets.map((t) => t.name));
  for (const [target, subject] of assignment) {
    if (subject !== targetSubject(target)) continue;
    const detail = states.get(target)?.lastDetail || 'failing';
    ctx.apply(subject, { type: 'fail', subject, kind: 'target', cause: `${target} is down: ${detail}`, targets: [target], diagnoses: diagnoseTargets([target], input.snapshot, input.now) });
  }
  for (const incident of input.incidents) {
    if (!isOpen(incident) || incident.kind !== 'target') continue;
    const target = incident.targets[0] ?? targetOfSubject(incident.subject) ?? incident.subject;
    if (!configured.has(target)) {
      ctx.apply(incident.subject, { type: 'recover', cause: `${target} is no longer in the configuration` });
    } else if (states.get(target)?.health === 'up') {
      ctx.apply(incident.subject, { type: 'recover', cause: `${target} is healthy again` });
    }
  }
}

/** Opens the Watchdog's incident when Alertmanager has been silent for `within`, and resolves it when it is heard again. */
function planWatchdog(ctx: PlanContext, input: CycleInput): void {
  const open = input.incidents.some((i) => i.subject === WATCHDOG_SUBJECT && isOpen(i));
  if (!input.watchdog) {
    // Nothing watches the pipeline any more: an incident about its silence has nothing left to wait for.
    if (open) ctx.apply(WATCHDOG_SUBJECT, { type: 'recover', cause: 'alertmanager.watchdog is no longer configured' });
    return;
  }
  const event = watchdogEvent({ ...input.watchdog, now: input.now, open });
  if (event) ctx.apply(WATCHDOG_SUBJECT, event);
}

/** Opens, updates and resolves stormguard's own setup incidents: one per refused list, one per missing workload. */
function planSetupIncidents(ctx: PlanContext, input: CycleInput, states: Map<string, TargetState>): void {
  const problems = setupProblems(input.snapshot, input.config.targets, states);
  for (const { subject, cause, targets } of problems) ctx.apply(subject, { type: 'fail', subject, kind: 'setup', cause, targets });
  const current = new Set(problems.map((p) => p.subject));
  for (const incident of input.incidents) {
    if (!isOpen(incident) || incident.kind !== 'setup' || current.has(incident.subject)) continue;
    const cause = setupResolution(incident.subject, input.snapshot, input.config.targets);
    if (cause !== null) ctx.apply(incident.subject, { type: 'recover', cause });
  }
}

/**
 * Keeps the message of an incident that names targets it does not cover (an Alertmanager incident) true
 * about them: when one goes down or comes back by stormguard's own checks, that message is edited (it
 * shows their health) and a quiet note says where the failure is followed — it never rings there.
 */
function planNamedTargets(ctx: PlanContext, input: CycleInput, states: Map<string, TargetState>, assignment: Map<string, string>): void {
  for (const incident of input.incidents) {
    if (!isOpen(incident)) continue;
    const lines = incident.targets
      .filter((t) => !covers(incident, t))
      .flatMap((t) => {
        const before = input.targetStates[t]?.health ?? 'up';
        const after = states.get(t)?.health ?? before;
        if (before === after) return [];
        if (after === 'up') return [`${t} is up again by stormguard's own checks`];
        const detail = escapeMarkdown(clip(oneLine(states.get(t)?.lastDetail || 'failing'), 200));
        return [`${t} is down by stormguard's own checks (${detail}); followed in ${followedIn(assignment.get(t) ?? targetSubject(t))}`];
      });
    if (lines.length > 0) ctx.apply(incident.subject, { type: 'namedTargetsChanged', text: lines.join('\n') });
  }
}

/** Where a down target's failure is followed, in words for a note: `its own incident`, `the incident of node k3s-2`. */
function followedIn(subject: string): string {
  const node = nodeOfSubject(subject);
  if (node !== null) return `the incident of node ${node}`;
  return subject === OBSERVER_SUBJECT ? "the incident about stormguard's own view" : 'its own incident';
}

/** Sends every down target through the gate; records a refusal only when its reason changes. */
function planAutomaticRestarts(
  ctx: PlanContext,
  input: CycleInput,
  states: Map<string, TargetState>,
  assignment: Map<string, string>,
): TargetState[] {
  const restarts = [...input.restarts];
  for (const target of input.config.targets) {
    const subject = assignment.get(target.name);
    const state = states.get(target.name)!;
    if (!subject) continue;
    const incident = ctx.current(subject);
    if (!isOpen(incident)) continue;
    const decision = evaluateGate({
      targetName: target.name,
      mode: 'automatic',
      targets: input.config.targets,
      snapshot: input.snapshot,
      restarts,
      incident,
      silences: input.silences,
      windows: input.maintenanceWindows?.windows ?? [],
      observer: ctx.current(OBSERVER_SUBJECT),
      maintenance: { records: ctx.maintenance, settleAfter: (input.config.maintenance ?? MAINTENANCE_DEFAULTS).settleAfter },
      now: input.now,
    });
    if (decision.allowed) {
      ctx.apply(subject, { type: 'restartRequested', target: target.name, automatic: true, by: SCHEDULER, reason: null });
      states.set(target.name, { ...state, lastGateReason: null });
      continue;
    }
    if (decision.reason === 'circuitOpen') {
      ctx.apply(subject, { type: 'circuitOpen', target: target.name, message: decision.message });
    }
    if (state.lastGateReason !== decision.reason) {
      ctx.apply(subject, { type: 'restartSkipped', target: target.name, reason: decision.reason, message: decision.message });
      states.set(target.name, { ...state, lastGateReason: decision.reason });
    }
  }
  return input.config.targets.map((t: TargetConfig) => states.get(t.name)!);
}

/** Accumulates transitions per subject within one cycle. */
class PlanContext {
  private readonly latest = new Map<string, Incident>();
  private readonly work = new Map<string, Transition>();
  /** Where each target runs (what a maintenance window over a node covers), read once per cycle. */
  private readonly windowNodes: NodesOfTargets;
  /** The nodes' maintenance records as this cycle has left them so far. */
  maintenance: Maintenance[];

  constructor(private readonly input: CycleInput) {
    this.windowNodes = windowNodes(input.snapshot);
    this.maintenance = input.maintenance ?? [];
    for (const incident of input.incidents) {
      const seen = this.latest.get(incident.subject);
      if (!seen || incident.openedAt >= seen.openedAt) this.latest.set(incident.subject, incident);
    }
  }

  /** The subject's incident as this cycle has left it so far. */
  current(subject: string): Incident | null {
    return this.work.get(subject)?.incident ?? this.latest.get(subject) ?? null;
  }

  stateOf(target: string): TargetState {
    return this.input.targetStates[target] ?? initialTargetState(target);
  }

  /** Replaces the record of `m.node`. */
  setMaintenance(m: Maintenance): void {
    this.maintenance = this.maintenance.map((r) => (r.node === m.node ? m : r));
  }

  /** Whether `subject` is the incident of a node in quiet planned maintenance. */
  private quiet(subject: string): boolean {
    const node = nodeOfSubject(subject);
    return node !== null && activeMaintenance(this.maintenance).some((m) => m.node === node);
  }

  apply(subject: string, event: IncidentEvent): void {
    const before = this.current(subject);
    const targets = event.type === 'fail' ? [...new Set([...(isOpen(before) ? before.targets : []), ...event.targets])] : before?.targets ?? [];
    // The incident as it will be after this event (targets included), to ask whether a silence or a maintenance window mutes it.
    const standIn = { ...(before ?? placeholder(subject, event)), targets };
    const silenced =
      activeSilenceFor({ incident: standIn }, this.input.silences, this.input.now) !== null ||
      windowForIncident(standIn, this.input.maintenanceWindows?.windows ?? [], this.windowNodes, this.input.now) !== null;
    const step = transition(before, event, transitionContext(this.input.config, { now: this.input.now, actor: SCHEDULER, silenced, maintenance: this.quiet(subject) }));
    const sofar = this.work.get(subject);
    // A fresh incident replacing a resolved one starts its own effect list.
    const carry = sofar && sofar.incident?.id === step.incident?.id ? sofar : { incident: null, effects: [], audit: [], restarts: [] };
    this.work.set(subject, {
      incident: step.incident,
      effects: [...carry.effects, ...step.effects],
      audit: [...carry.audit, ...step.audit],
      restarts: [...carry.restarts, ...step.restarts],
    });
  }

  /** Takes a resolved incident loaded beside the plan's (for a window's report) as its subject's, unless the subject has another. */
  adopt(incident: Incident): void {
    const current = this.current(incident.subject);
    if (current === null) this.latest.set(incident.subject, incident);
  }

  /** Every incident as this cycle has left it so far, one per subject. */
  all(): Incident[] {
    const subjects = new Set([...this.latest.keys(), ...this.work.keys()]);
    return [...subjects].map((s) => this.current(s)).filter((i): i is Incident => i !== null);
  }

  tickAll(): void {
    const subjects = new Set([...this.latest.keys(), ...this.work.keys()]);
    for (const subject of [...subjects].sort()) {
      if (isOpen(this.current(subject))) this.apply(subject, { type: 'tick' });
    }
  }

  result(targetStates: TargetState[], clusterState: TargetState): CyclePlan {
    const incidents: IncidentPlan[] = [];
    for (const [subject, step] of this.work) {
      if (!step.incident) continue;
      const changed = JSON.stringify(step.incident) !== JSON.stringify(this.latest.get(subject) ?? null);
      const restarts = step.restarts;
      if (changed || step.effects.length > 0 || step.audit.length > 0 || restarts.length > 0) {
        incidents.push({ incident: step.incident, effects: step.effects, audit: step.audit, restarts });
      }
    }
    return { targetStates, clusterState, incidents, maintenance: this.maintenance };
  }
}

/** A stand-in for a subject with no incident yet, to ask whether a silence would cover it. */
function placeholder(subject: string, event: IncidentEvent): Incident {
  const kind: IncidentKind = event.type === 'fail' ? event.kind : 'target';
  return { ...newIncident(subject, kind, '', 0), state: 'resolved' };
}
