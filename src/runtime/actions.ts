import type { Config } from '../config/types.js';
import { evaluateGate, restartHistorySince, type GateDecision } from '../core/gate.js';
import { isOpen, openIncidentIds, type IncidentEvent } from '../core/lifecycle.js';
import { activeSilenceFor, describeScope, scopeMutes, scopeOfSubject, silencesOfScope, silencesToLift, subjectOfScope } from '../core/silence.js';
import { coveringIncident, incidentAbout } from '../core/cover.js';
import { targetSubject } from '../core/subject.js';
import { discordTime, escapeMarkdown } from '../core/text.js';
import type { AuditEntry, ClusterSnapshot, Incident, Silence, SilenceScope, TargetState } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import { incidentTitle } from '../core/render.js';
import { buildIncidentView, incidentMessageLink } from './view.js';
import type { Logger } from '../log.js';
import { applyEvent } from './step.js';
import type { Metrics } from './metrics.js';
import type { ClusterReader, Clock, Restarter } from './ports.js';
import { gateMaintenance } from './maintenance.js';
import { carryOutRestarts } from './restarts.js';
import type { AlertmanagerApi } from '../adapters/alertmanager/api.js';
import type { ListedSilence } from '../adapters/alertmanager/api.js';
import { committedSilence, createAlertSilencer, errorText, openAlertIncident } from './alertSilences.js';

/** What people's actions (commands and buttons) need from the shell. */
export interface ActionDeps {
  config: Config;
  store: Store;
  cluster: ClusterReader;
  restarter: Restarter;
  clock: Clock;
  logger: Logger;
  /** Delivers pending effects now (the interaction router calls it after answering the person). */
  deliver: () => Promise<unknown>;
  metrics?: Metrics;
  /** Alertmanager's API, when `alertmanager.url` is configured: silences of `alert:` incidents go there too. */
  alertmanager?: AlertmanagerApi | null;
  /** The last cycle's view of the cluster, so a reply titles an incident as its card does ("node-b is NotReady"). */
  lastSnapshot?: () => ClusterSnapshot | null;
}

/** Everything one `/status` answer shows, read once for all the targets it lists. */
export interface StatusFacts {
  snapshot: ClusterSnapshot;
  now: number;
  states: Record<string, TargetState>;
  /** The open incident shown for each listed target (`incidentAbout`: the one covering it, else one naming it), if any. */
  covering: Map<string, Incident | null>;
  /** How to name each covering incident to people: its subject, or an Alertmanager group's title. */
  names: Map<number, string>;
  silences: Silence[];
  gate: Map<string, GateDecision>;
}

/** The result of a person's action: a sentence for them, and whether it happened. */
export interface ActionResult {
  ok: boolean;
  message: string;
}

/**
 * The actions a person can take, shared by slash commands and buttons so both behave the same: the
 * contract the commands and the interaction router are written against.
 */
export interface Actions {
  /** Records a refusal (unauthorised, wrong guild, bad input) in the audit log. */
  refuse(actor: string, action: string, reason: string, detail?: Record<string, unknown>): void;

  /** What the gate says right now about restarting `target` by hand, from a fresh snapshot. */
  gateNow(targetName: string, snapshot?: ClusterSnapshot): Promise<GateDecision>;

  /** The gate's answer for several targets against one snapshot, reading the database once. */
  gateAll(targetNames: string[], snapshot: ClusterSnapshot): Map<string, GateDecision>;

  /**
   * `/restart` and the Restart button: through the same gate as the scheduler, then carried out and
   * noted. The gate is asked and the attempt written in ONE transaction, after the only `await` (the
   * snapshot): another person's restart or a cycle cannot slip in between — the second sees the first's
   * pending attempt and is refused (`restartInProgress`).
   */
  restart(targetName: string, by: string, reason: string | null): Promise<ActionResult>;

  /** `/ack` and the Acknowledge button. */
  acknowledge(incident: Incident, by: string): Promise<ActionResult>;

  /**
   * `/silence` and the Silence 1h button: a scope of everything, one target, one node or one alert
   * group. One silence per scope: a new one replaces the one in force (its end is the new one, shorter
   * or longer), so repeated clicks never stack. All of it commits in one transaction.
   */
  silence(scope: SilenceScope, durationMs: number, by: string, reason: string): Promise<ActionResult>;

  /**
   * `/silence off` in an Alertmanager incident's thread: lifts the silences of that incident's group, in
   * stormguard and (expiring every one stormguard tagged for the group) in Alertmanager; a silence of
   * everything stays.
   */
  liftIncidentSilence(incident: Incident, by: string): Promise<ActionResult>;

  /**
   * `/silence off`: without a target every silence; with one, the silences that mute it — its own and
   * its incident's (what `/status` shows for it) — but not a silence of everything. Alert groups whose
   * silence is lifted are lifted in Alertmanager too.
   */
  liftSilence(target: string | null, by: string): Promise<ActionResult>;

  /** Brings Alertmanager's tagged silences to what stormguard committed (at start: a crash may have left some behind). */
  reconcileAlertSilences(): Promise<void>;

  /** Delivers what the actions queued (thread notes, edits); the router calls it after replying. */
  deliver(): Promise<unknown>;

  /** The incident with this id (any state), or null. */
  incident(id: number): Incident | null;

  /** How a reply names an incident: `#3 “frigate is down (HTTP 503)”`. */
  named(incident: Incident): string;

  /** The refusal for acting on a resolved incident. */
  alreadyResolved(incident: Incident): string;

  /** What the Restart button restarts: the incident's targets that are down, else all it lists. */
  targetsToRestart(incident: Incident): string[];

  /** What `/status` shows for these targets, from a fresh snapshot, reading the database once. */
  statusFacts(targetNames: string[]): Promise<StatusFacts>;

  /** The incident whose thread this is (any state), or null. */
  incidentByThread(threadId: string): Incident | null;

  /** Every incident that is not resolved, oldest first. */
  openIncidents(): Incident[];

  /** What `/incidents` lists: open incidents newest first, each with its Discord message id (null before it was posted), and now. */
  incidentList(): { now: number; incidents: Array<{ incident: Incident; messageId: string | null }> };

  /** The silences in force now, soonest to end first, each with its scope in words (`/silence` without a duration lists them). */
  activeSilences(): { now: number; silences: Array<Silence & { what: string }> };
}

/**
 * Builds the {@link Actions} over the store, the cluster and the restarter. Every refusal is audited with
 * the person's id; every change goes through the pure lifecycle and is persisted with its effects in one
 * transaction before anything else happens.
 */
export function createActions(deps: ActionDeps): Actions {
  const { store, config } = deps;
  const alertSilencer = createAlertSilencer({
    store,
    api: deps.alertmanager ?? null,
    clock: deps.clock,
    logger: deps.logger,
    messageLink: (incident) => (incident.id === null ? null : incidentMessageLink(store, config.discord, incident.id)),
  });

  /** The tagged silences Alertmanager holds, or why they could not be read (a lift goes on without them). */
  async function heldInAlertmanager(): Promise<{ held: Map<string, ListedSilence[]>; error: string | null }> {
    try {
      return { held: await alertSilencer.held(), error: null };
    } catch (err) {
      return { held: new Map(), error: errorText(err) };
    }
  }

  /**
   * After a lift has committed, expires what Alertmanager still holds for those groups; returns the
   * problems. Committed first: a crash in between leaves silences the next start expires, never a
   * stormguard silence lifted in Alertmanager but not here.
   */
  async function expireInAlertmanager(groups: Array<[Incident, ListedSilence[]]>): Promise<string[]> {
    const errors: string[] = [];
    for (const [incident, held] of groups) {
      if (held.length === 0) continue;
      await alertSilencer.apply(incident, null, held).catch((err: unknown) => errors.push(errorText(err)));
    }
    if (errors.length > 0) deps.logger.warn({ errors }, 'alertmanager silences not expired; the next start reconciles them');
    return errors;
  }

  /** After Alertmanager refused part of a silence: back to what stormguard holds (logged when that fails too). */
  async function restoreAlertmanager(incident: Incident): Promise<void> {
    try {
      const now = deps.clock();
      const kept = committedSilence(store, incident.subject, now);
      await alertSilencer.apply(incident, kept && { endsAt: kept.endsAt, by: kept.createdBy, reason: kept.reason }, (await alertSilencer.held()).get(incident.subject) ?? []);
    } catch (err) {
      deps.logger.warn({ subject: incident.subject, err: errorText(err) }, 'alertmanager silences not restored; the next start reconciles them');
    }
  }

  function audit(entry: Omit<AuditEntry, 'at' | 'detail'> & { detail?: Record<string, unknown> }): void {
    store.appendAudit({ at: deps.clock(), detail: {}, ...entry });
  }

  /** Applies one lifecycle event by a person through the shell's one step. */
  function apply(incident: Incident | null, event: IncidentEvent, actor: string) {
    return applyEvent(deps, incident, event, { actor, now: deps.clock() });
  }

  /** The open incident covering a target (the core's `coveringIncident`: its own, a node's, the brake's — never an alert's). */
  function incidentCovering(target: string, open: Incident[] = store.openIncidents()): Incident | null {
    return coveringIncident(target, open);
  }

  /**
   * A silence scope in words for people: an Alertmanager group by the title of its latest incident
   * (the one human title, `incidentTitle`), never by its `alert:<hash>` subject while one is known.
   */
  function scopeInWords(scope: SilenceScope): string {
    return describeScope(scope, scope.kind === 'alert' ? alertTitleOf(subjectOfScope(scope)!) : null);
  }

  /** The title of the latest incident of an Alertmanager group's subject, or null when it has none. */
  function alertTitleOf(subject: string): string | null {
    const incident = store.latestIncidentFor(subject);
    return incident ? titleOf(incident) : null;
  }

  /** How a reply names an incident: its number and its one human title, never its subject. */
  function named(incident: Incident): string {
    return `#${incident.id} “${titleOf(incident)}”`;
  }

  /** The one sentence for acting on an incident that is over (`/ack`, and every button). */
  function alreadyResolved(incident: Incident): string {
    return `Incident ${named(incident)} is already resolved.`;
  }

  function titleOf(incident: Incident): string {
    return incidentTitle(buildIncidentView(incident, store, config, deps.lastSnapshot?.() ?? null, deps.clock()));
  }

  /** Applies one silence change to every open incident it touches (mutes, or lists its target), as a note and an edit. */
  function noteSilenceChange(scopes: SilenceScope[], by: string, text: string): void {
    for (const incident of store.openIncidents()) {
      const touched = scopes.some((scope) => scopeMutes(scope, { incident }) || (scope.kind === 'target' && incident.targets.includes(scope.name)));
      if (touched) apply(incident, { type: 'silenceChanged', by, text }, by);
    }
  }

  return {
    refuse(actor: string, action: string, reason: string, detail: Record<string, unknown> = {}): void {
      audit({ actor, action: `${action}Refused`, subject: String(detail.target ?? detail.incident ?? action), incidentId: null, reason, detail });
    },

    async gateNow(targetName: string, snapshot?: ClusterSnapshot): Promise<GateDecision> {
      const snap = snapshot ?? (await deps.cluster.snapshot(config.targets, deps.clock()));
      return this.gateAll([targetName], snap).get(targetName)!;
    },

    gateAll(targetNames: string[], snapshot: ClusterSnapshot): Map<string, GateDecision> {
      const now = deps.clock();
      const open = store.openIncidents();
      const restarts = store.restartsFor({ incidentIds: openIncidentIds(open), since: restartHistorySince(config.targets, now) });
      const silences = store.activeSilences(now);
      const input = { mode: 'manual' as const, targets: config.targets, snapshot, restarts, silences, maintenance: gateMaintenance(store, config), now };
      return new Map(targetNames.map((targetName) => [targetName, evaluateGate({ ...input, targetName, incident: incidentCovering(targetName, open) })]));
    },

    async restart(targetName: string, by: string, reason: string | null): Promise<ActionResult> {
      const snapshot = await deps.cluster.snapshot(config.targets, deps.clock());
      const decided = store.transaction(() => {
        const decision = this.gateAll([targetName], snapshot).get(targetName)!;
        // The note goes where people look for this target: the incident covering it, else an alert's naming it.
        const incident = incidentAbout(targetName, store.openIncidents());
        if (!decision.allowed) {
          audit({ actor: by, action: 'restartRefused', subject: targetSubject(targetName), incidentId: incident?.id ?? null, reason: decision.reason, detail: { message: decision.message } });
          return { decision, restartJobs: [] };
        }
        // With or without an incident, the attempt row and its audit entry commit before the API call.
        return { decision, restartJobs: apply(incident, { type: 'restartRequested', target: targetName, automatic: false, by, reason }, by).restartJobs };
      });
      const { decision } = decided;
      if (!decision.allowed) {
        deps.metrics?.gateRefusals.inc({ reason: decision.reason, trigger: 'manual' });
        // The gate's sentence may quote the cluster (a container's name, the API's message): made literal.
        return { ok: false, message: `Not restarting ${targetName}: ${escapeMarkdown(decision.message)}.` };
      }
      const [outcome] = await carryOutRestarts(decided.restartJobs, deps);
      return outcome?.ok
        ? { ok: true, message: `Restarting ${targetName} (rollout restart requested).${decision.warning ? `\n⚠️ ${escapeMarkdown(decision.warning)}` : ''}` }
        : { ok: false, message: `The restart of ${targetName} failed: ${outcome?.error ?? 'unknown error'}.` };
    },

    async acknowledge(incident: Incident, by: string): Promise<ActionResult> {
      if (incident.state === 'resolved') return { ok: false, message: alreadyResolved(incident) };
      if (incident.state === 'acknowledged') {
        return { ok: false, message: `Incident ${named(incident)} was already acknowledged by <@${incident.acknowledgedBy}>.` };
      }
      apply(incident, { type: 'acknowledge', by }, by);
      return { ok: true, message: `Acknowledged incident ${named(incident)}.` };
    },

    async silence(scope: SilenceScope, durationMs: number, by: string, reason: string): Promise<ActionResult> {
      return alertSilencer.exclusive(async () => {
        const now = deps.clock();
        const endsAt = now + durationMs;
        const subject = subjectOfScope(scope) ?? 'everything';
        // An Alertmanager incident is silenced in Alertmanager first: if it refuses, nothing changes here,
        // and Alertmanager is brought back to what stormguard holds. A crash before the commit below is
        // reconciled at the next start.
        const alertIncident = scope.kind === 'alert' && alertSilencer.enabled ? openAlertIncident(store, subject) : null;
        let inAm: string[] = [];
        if (alertIncident) {
          try {
            inAm = await alertSilencer.apply(alertIncident, { endsAt, by, reason }, (await alertSilencer.held()).get(subject) ?? []);
          } catch (err) {
            const message = `Alertmanager did not take the silence of ${scopeInWords(scope)}: ${errorText(err)}`;
            await restoreAlertmanager(alertIncident);
            audit({ actor: by, action: 'silenceRefused', subject, incidentId: alertIncident.id, reason: 'alertmanagerError', detail: { message } });
            return { ok: false, message };
          }
        }
        const what = scopeInWords(scope);
        const also = inAm.length > 0 ? ' (also in Alertmanager)' : '';
        const until = discordTime(endsAt, 'f');
        try {
          store.transaction(() => {
            const replaced = silencesOfScope(scope, store.activeSilences(now), now).map((s) => s.id);
            store.liftSilences(replaced, now, by);
            store.addSilence({ scope, startsAt: now, endsAt, createdBy: by, reason });
            if (alertIncident) alertSilencer.record(alertIncident, inAm.length > 0 ? { id: inAm[0]!, endsAt, createdBy: by } : null);
            audit({ actor: by, action: 'silenced', subject, incidentId: alertIncident?.id ?? null, reason: reason || null, detail: { from: now, until: endsAt, scope, ...(replaced.length > 0 ? { replaced } : {}), ...(inAm.length > 0 ? { alertmanagerSilences: inAm } : {}) } });
            noteSilenceChange([scope], by, `Silenced ${what}${also} until ${until} by <@${by}>${reason ? `: ${escapeMarkdown(reason)}` : ''}`);
          });
        } catch (err) {
          // Not recorded here, so not held in Alertmanager either.
          if (alertIncident) await restoreAlertmanager(alertIncident);
          throw err;
        }
        return { ok: true, message: `Silenced ${what}${also} until ${until}: no mentions and no automatic restarts until then.` };
      });
    },

    async liftIncidentSilence(incident: Incident, by: string): Promise<ActionResult> {
      return alertSilencer.exclusive(async () => {
        const now = deps.clock();
        const scope = scopeOfSubject(incident.subject);
        const lifting = store.activeSilences(now).filter((s) => s.scope.kind !== 'everything' && scopeMutes(s.scope, { incident }));
        const listed = await heldInAlertmanager();
        const held = listed.held.get(incident.subject) ?? [];
        if (lifting.length === 0 && held.length === 0 && listed.error === null) return { ok: false, message: `Nothing is silenced for ${scopeInWords(scope)}.` };
        const also = held.length > 0 ? ' (also in Alertmanager)' : '';
        store.transaction(() => {
          const lifted = store.liftSilences(lifting.map((s) => s.id), now, by);
          alertSilencer.record(incident, null);
          audit({ actor: by, action: 'silenceLifted', subject: incident.subject, incidentId: incident.id, reason: null, detail: { lifted, scopes: [scope], alertmanagerSilences: held.map((s) => s.id) } });
          noteSilenceChange([scope], by, `Silence on ${scopeInWords(scope)}${also} lifted by <@${by}>`);
        });
        const errors = [...(listed.error ? [listed.error] : []), ...(await expireInAlertmanager([[incident, held]]))];
        const failed = errors.length > 0 ? ` Alertmanager did not expire its silence: ${errors.join('; ')}` : '';
        return { ok: failed === '', message: `Lifted the silence on ${scopeInWords(scope)}${also}.${failed}` };
      });
    },

    async liftSilence(target: string | null, by: string): Promise<ActionResult> {
      return alertSilencer.exclusive(async () => {
        const now = deps.clock();
        const silences = store.activeSilences(now);
        const about = target === null ? null : { target, incident: incidentCovering(target) };
        const lifting = silencesToLift(about, silences, now);
        if (lifting.length === 0) {
          if (about && activeSilenceFor(about, silences, now)) {
            return { ok: false, message: `${target} is muted by the silence of everything; \`/silence duration:off\` without a target lifts it.` };
          }
          return { ok: false, message: `Nothing is silenced${target ? ` for ${target}` : ''}.` };
        }
        const scopes = lifting.map((s) => s.scope);
        const groups = scopes.flatMap((scope) => {
          const incident = scope.kind === 'alert' ? store.latestIncidentFor(subjectOfScope(scope)!) : null;
          return incident ? [incident] : [];
        });
        const listed = groups.length > 0 ? await heldInAlertmanager() : { held: new Map<string, ListedSilence[]>(), error: null };
        const what = target === null ? 'everything' : [...new Set(scopes.map(scopeInWords))].join(', ');
        store.transaction(() => {
          const lifted = store.liftSilences(lifting.map((s) => s.id), now, by);
          for (const incident of groups) alertSilencer.record(incident, null);
          audit({ actor: by, action: 'silenceLifted', subject: target === null ? 'everything' : targetSubject(target), incidentId: null, reason: null, detail: { lifted, scopes } });
          noteSilenceChange(scopes, by, `Silence on ${what} lifted by <@${by}>`);
        });
        const errors = [...(listed.error ? [listed.error] : []), ...(await expireInAlertmanager(groups.map((i) => [i, listed.held.get(i.subject) ?? []])))];
        const failed = errors.length > 0 ? ` Alertmanager did not expire its silence: ${errors.join('; ')}` : '';
        return { ok: failed === '', message: `Lifted the silence on ${what}.${failed}` };
      });
    },

    reconcileAlertSilences(): Promise<void> {
      return alertSilencer.reconcile();
    },

    deliver(): Promise<unknown> {
      return deps.deliver();
    },

    incident(id: number): Incident | null {
      return store.getIncident(id);
    },

    named,

    alreadyResolved,

    targetsToRestart(incident: Incident): string[] {
      const states = store.loadTargetStates();
      const down = incident.targets.filter((t) => states[t]?.health === 'down');
      return down.length > 0 ? down : incident.targets;
    },

    async statusFacts(targetNames: string[]): Promise<StatusFacts> {
      const snapshot = await deps.cluster.snapshot(config.targets, deps.clock());
      const now = deps.clock();
      const open = store.openIncidents();
      const covering = new Map(targetNames.map((name) => [name, incidentAbout(name, open)]));
      const shown = [...covering.values()].filter((i): i is Incident & { id: number } => i !== null && i.id !== null);
      return {
        snapshot,
        now,
        states: store.loadTargetStates(),
        covering,
        names: new Map(shown.map((i) => [i.id, i.kind === 'alert' ? scopeInWords(scopeOfSubject(i.subject)) : i.subject])),
        silences: store.activeSilences(now),
        gate: this.gateAll(targetNames, snapshot),
      };
    },

    incidentByThread(threadId: string): Incident | null {
      return store.incidentByThread(threadId);
    },

    openIncidents(): Incident[] {
      return store.openIncidents().filter((i) => isOpen(i));
    },

    incidentList(): { now: number; incidents: Array<{ incident: Incident; messageId: string | null }> } {
      const incidents = store
        .openIncidents()
        .filter((i) => isOpen(i))
        .sort((a, b) => b.openedAt - a.openedAt || (b.id ?? 0) - (a.id ?? 0))
        .map((incident) => ({ incident, messageId: incident.id === null ? null : (store.getDiscordRefs(incident.id)?.messageId ?? null) }));
      return { now: deps.clock(), incidents };
    },

    activeSilences(): { now: number; silences: Array<Silence & { what: string }> } {
      const now = deps.clock();
      return { now, silences: [...store.activeSilences(now)].sort((a, b) => a.endsAt - b.endsAt).map((s) => ({ ...s, what: scopeInWords(s.scope) })) };
    },
  };
}
