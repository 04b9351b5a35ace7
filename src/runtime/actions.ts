import type { Config } from '../config/types.js';
import { evaluateGate, restartHistorySince, type GateDecision } from '../core/gate.js';
import { isOpen, openIncidentIds, type IncidentEvent } from '../core/lifecycle.js';
import { activeSilenceFor, describeScope, scopeMutes, scopeOfSubject, silencesToLift, subjectOfScope } from '../core/silence.js';
import { coveringIncident, incidentAbout } from '../core/cover.js';
import { targetSubject } from '../core/subject.js';
import { discordMessageUrl, discordTime, escapeMarkdown } from '../core/text.js';
import type { AuditEntry, ClusterSnapshot, Incident, Silence, SilenceScope, TargetState } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import { incidentTitle } from '../core/render.js';
import { buildIncidentView } from './view.js';
import type { Logger } from '../log.js';
import { applyEvent } from './step.js';
import type { Metrics } from './metrics.js';
import type { ClusterReader, Clock, Restarter } from './ports.js';
import { carryOutRestarts } from './restarts.js';
import type { AlertmanagerApi } from '../adapters/alertmanager/api.js';
import { createAlertSilences, expireAlertSilences, openAlertIncident, type AlertSilenceDeps } from './alertSilences.js';

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
 * The actions a person can take, shared by slash commands and buttons so both behave the same.
 * Every refusal is audited with the person's id; every change goes through the pure lifecycle and is
 * persisted with its effects in one transaction before anything else happens.
 */
export function createActions(deps: ActionDeps) {
  const { store, config } = deps;
  const alertSilences: AlertSilenceDeps = {
    store,
    api: deps.alertmanager ?? null,
    messageLink(incident) {
      const messageId = incident.id === null ? null : store.getDiscordRefs(incident.id)?.messageId;
      return config.discord && messageId ? discordMessageUrl(config.discord, messageId) : null;
    },
  };

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
    return incident ? incidentTitle(buildIncidentView(incident, store, config, null, deps.clock())) : null;
  }

  /** Applies one silence change to every open incident it touches (mutes, or lists its target), as a note and an edit. */
  function noteSilenceChange(scopes: SilenceScope[], by: string, text: string): void {
    for (const incident of store.openIncidents()) {
      const touched = scopes.some((scope) => scopeMutes(scope, { incident }) || (scope.kind === 'target' && incident.targets.includes(scope.name)));
      if (touched) apply(incident, { type: 'silenceChanged', by, text }, by);
    }
  }

  return {
    /** Records a refusal (unauthorised, wrong guild, bad input) in the audit log. */
    refuse(actor: string, action: string, reason: string, detail: Record<string, unknown> = {}): void {
      audit({ actor, action: `${action}Refused`, subject: String(detail.target ?? detail.incident ?? action), incidentId: null, reason, detail });
    },

    /** What the gate says right now about restarting `target` by hand, from a fresh snapshot. */
    async gateNow(targetName: string, snapshot?: ClusterSnapshot): Promise<GateDecision> {
      const snap = snapshot ?? (await deps.cluster.snapshot(config.targets, deps.clock()));
      return this.gateAll([targetName], snap).get(targetName)!;
    },

    /** The gate's answer for several targets against one snapshot, reading the database once. */
    gateAll(targetNames: string[], snapshot: ClusterSnapshot): Map<string, GateDecision> {
      const now = deps.clock();
      const open = store.openIncidents();
      const restarts = store.restartsFor({ incidentIds: openIncidentIds(open), since: restartHistorySince(config.targets, now) });
      const silences = store.activeSilences(now);
      const input = { mode: 'manual' as const, targets: config.targets, snapshot, restarts, silences, now };
      return new Map(targetNames.map((targetName) => [targetName, evaluateGate({ ...input, targetName, incident: incidentCovering(targetName, open) })]));
    },

    /**
     * `/restart` and the Restart button: through the same gate as the scheduler, then carried out and
     * noted. The gate is asked and the attempt written in ONE transaction, after the only `await` (the
     * snapshot): another person's restart or a cycle cannot slip in between — the second sees the first's
     * pending attempt and is refused (`restartInProgress`).
     */
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
        return { ok: false, message: `Not restarting ${targetName}: ${decision.message}.` };
      }
      const [outcome] = await carryOutRestarts(decided.restartJobs, deps);
      return outcome?.ok
        ? { ok: true, message: `Restarting ${targetName} (rollout restart requested).` }
        : { ok: false, message: `The restart of ${targetName} failed: ${outcome?.error ?? 'unknown error'}.` };
    },

    /** `/ack` and the Acknowledge button. */
    async acknowledge(incident: Incident, by: string): Promise<ActionResult> {
      if (incident.state === 'resolved') return { ok: false, message: `Incident #${incident.id} (${incident.subject}) is already resolved.` };
      if (incident.state === 'acknowledged') {
        return { ok: false, message: `Incident #${incident.id} (${incident.subject}) was already acknowledged by <@${incident.acknowledgedBy}>.` };
      }
      apply(incident, { type: 'acknowledge', by }, by);
      return { ok: true, message: `Acknowledged incident #${incident.id} (${incident.subject}).` };
    },

    /** `/silence` and the Silence 1h button: a scope of everything, one target, or one node. */
    async silence(scope: SilenceScope, durationMs: number, by: string, reason: string): Promise<ActionResult> {
      const now = deps.clock();
      // An Alertmanager incident is silenced in Alertmanager first: if it refuses, nothing changes here.
      const alertIncident = scope.kind === 'alert' ? openAlertIncident(store, (subjectOfScope(scope) ?? 'everything')) : null;
      const inAlertmanager = alertIncident ? await createAlertSilences(alertSilences, alertIncident, { startsAt: now, endsAt: now + durationMs }, by, reason) : null;
      if (inAlertmanager && !inAlertmanager.ok) {
        audit({ actor: by, action: 'silenceRefused', subject: (subjectOfScope(scope) ?? 'everything'), incidentId: alertIncident?.id ?? null, reason: 'alertmanagerError', detail: { message: inAlertmanager.message } });
        return { ok: false, message: inAlertmanager.message };
      }
      const created = inAlertmanager?.created ?? [];
      const silence = store.transaction(() => {
        for (const { group, silence: s } of created) store.setAlertGroupSilence(group.groupKey, s);
        return store.addSilence({ scope, startsAt: now, endsAt: now + durationMs, createdBy: by, reason });
      });
      const what = scopeInWords(scope);
      const inAm = created.map((c) => c.silence.id);
      const also = inAm.length > 0 ? ' (also in Alertmanager)' : '';
      audit({ actor: by, action: 'silenced', subject: (subjectOfScope(scope) ?? 'everything'), incidentId: alertIncident?.id ?? null, reason: reason || null, detail: { from: silence.startsAt, until: silence.endsAt, scope, ...(inAm.length > 0 ? { alertmanagerSilences: inAm } : {}) } });
      const until = discordTime(silence.endsAt, 'f');
      noteSilenceChange([scope], by, `Silenced ${what}${also} until ${until} by <@${by}>${reason ? `: ${escapeMarkdown(reason)}` : ''}`);
      return { ok: true, message: `Silenced ${what}${also} until ${until}: no mentions and no automatic restarts until then.` };
    },

    /**
     * `/silence off` in an Alertmanager incident's thread: lifts the silences of that incident's group, in
     * stormguard and (expiring them) in Alertmanager; a silence of everything stays.
     */
    async liftIncidentSilence(incident: Incident, by: string): Promise<ActionResult> {
      const now = deps.clock();
      const scope = scopeOfSubject(incident.subject);
      const lifting = store.activeSilences(now).filter((s) => s.scope.kind !== 'everything' && scopeMutes(s.scope, { incident }));
      const inAlertmanager = await expireAlertSilences(alertSilences, incident);
      if (lifting.length === 0 && inAlertmanager.expired === 0 && inAlertmanager.errors.length === 0) return { ok: false, message: `Nothing is silenced for ${scopeInWords(scope)}.` };
      const lifted = store.liftSilences(lifting.map((s) => s.id), now, by);
      audit({ actor: by, action: 'silenceLifted', subject: incident.subject, incidentId: incident.id, reason: null, detail: { lifted, scopes: [scope], alertmanagerExpired: inAlertmanager.expired, alertmanagerErrors: inAlertmanager.errors } });
      const also = inAlertmanager.expired > 0 ? ' (also in Alertmanager)' : '';
      noteSilenceChange([scope], by, `Silence on ${scopeInWords(scope)}${also} lifted by <@${by}>`);
      const failed = inAlertmanager.errors.length > 0 ? ` Alertmanager did not expire its silence: ${inAlertmanager.errors.join('; ')}` : '';
      return { ok: failed === '', message: `Lifted the silence on ${scopeInWords(scope)}${also}.${failed}` };
    },

    /**
     * `/silence off`: without a target every silence; with one, the silences that mute it — its own and
     * its incident's (what `/status` shows for it) — but not a silence of everything.
     */
    async liftSilence(target: string | null, by: string): Promise<ActionResult> {
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
      const lifted = store.liftSilences(lifting.map((s) => s.id), now, by);
      const scopes = lifting.map((s) => s.scope);
      const what = target === null ? 'everything' : [...new Set(scopes.map(scopeInWords))].join(', ');
      audit({ actor: by, action: 'silenceLifted', subject: target === null ? 'everything' : targetSubject(target), incidentId: null, reason: null, detail: { lifted, scopes } });
      noteSilenceChange(scopes, by, `Silence on ${what} lifted by <@${by}>`);
      return { ok: true, message: `Lifted the silence on ${what}.` };
    },

    /** Delivers what the actions queued (thread notes, edits); the router calls it after replying. */
    deliver(): Promise<unknown> {
      return deps.deliver();
    },

    /** The incident with this id (any state), or null. */
    incident(id: number): Incident | null {
      return store.getIncident(id);
    },

    /** What the Restart button restarts: the incident's targets that are down, else all it lists. */
    targetsToRestart(incident: Incident): string[] {
      const states = store.loadTargetStates();
      const down = incident.targets.filter((t) => states[t]?.health === 'down');
      return down.length > 0 ? down : incident.targets;
    },

    /** What `/status` shows for these targets, from a fresh snapshot, reading the database once. */
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

    /** The incident whose thread this is (any state), or null. */
    incidentByThread(threadId: string): Incident | null {
      return store.incidentByThread(threadId);
    },

    /** Every incident that is not resolved, oldest first. */
    openIncidents(): Incident[] {
      return store.openIncidents().filter((i) => isOpen(i));
    },

    /** What `/incidents` lists: open incidents newest first, each with its Discord message id (null before it was posted), and now. */
    incidentList(): { now: number; incidents: Array<{ incident: Incident; messageId: string | null }> } {
      const incidents = store
        .openIncidents()
        .filter((i) => isOpen(i))
        .sort((a, b) => b.openedAt - a.openedAt || (b.id ?? 0) - (a.id ?? 0))
        .map((incident) => ({ incident, messageId: incident.id === null ? null : (store.getDiscordRefs(incident.id)?.messageId ?? null) }));
      return { now: deps.clock(), incidents };
    },

    /** The silences in force now, soonest to end first, each with its scope in words (`/silence` without a duration lists them). */
    activeSilences(): { now: number; silences: Array<Silence & { what: string }> } {
      const now = deps.clock();
      return { now, silences: [...store.activeSilences(now)].sort((a, b) => a.endsAt - b.endsAt).map((s) => ({ ...s, what: scopeInWords(s.scope) })) };
    },
  };
}

/** The shared actions, as built by `createActions`. */
export type Actions = ReturnType<typeof createActions>;
