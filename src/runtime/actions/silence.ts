/**
 * `/silence`, the Silence button and lifting a silence: one silence per scope, each change in one
 * transaction, and Alertmanager's silences of a group kept to what stormguard committed.
 */
import { activeSilenceFor, scopeMutes, scopeOfSubject, silencesOfScope, silencesToLift, subjectOfScope } from '../../core/silence.js';
import { coveringIncident } from '../../core/cover.js';
import { targetSubject } from '../../core/subject.js';
import { discordTime, escapeMarkdown } from '../../core/text.js';
import type { Incident, SilenceScope } from '../../core/types.js';
import type { ListedSilence } from '../../adapters/alertmanager/api.js';
import { committedSilence, createAlertSilencer, errorText, openAlertIncident } from '../alertSilences.js';
import { incidentMessageLink } from '../view.js';
import type { ActionDeps, Actions } from './contract.js';
import type { Naming } from './naming.js';
import { applyByPerson, auditAction } from './record.js';

/** The silence part of {@link Actions}. */
export type SilenceActions = Pick<Actions, 'silence' | 'liftIncidentSilence' | 'liftSilence' | 'reconcileAlertSilences'>;

/** Builds the silence actions; `naming` says scopes in words as the replies and notes need them. */
export function createSilenceActions(deps: ActionDeps, naming: Naming): SilenceActions {
  const { store, config } = deps;
  const { scopeInWords } = naming;
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

  /** Applies one silence change to every open incident it touches (mutes, or lists its target), as a note and an edit. */
  function noteSilenceChange(scopes: SilenceScope[], by: string, text: string): void {
    for (const incident of store.openIncidents()) {
      const touched = scopes.some((scope) => scopeMutes(scope, { incident }) || (scope.kind === 'target' && incident.targets.includes(scope.name)));
      if (touched) applyByPerson(deps, incident, { type: 'silenceChanged', by, text }, by);
    }
  }

  /** What a lift tells the person: what was lifted, and what Alertmanager did not expire. */
  function liftReply(what: string, also: string, errors: string[]) {
    const failed = errors.length > 0 ? ` Alertmanager did not expire its silence: ${errors.join('; ')}` : '';
    return { ok: failed === '', message: `Lifted the silence on ${what}${also}.${failed}` };
  }

  return {
    async silence(scope, durationMs, by, reason) {
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
            auditAction(deps, { actor: by, action: 'silenceRefused', subject, incidentId: alertIncident.id, reason: 'alertmanagerError', detail: { message } });
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
            auditAction(deps, { actor: by, action: 'silenced', subject, incidentId: alertIncident?.id ?? null, reason: reason || null, detail: { from: now, until: endsAt, scope, ...(replaced.length > 0 ? { replaced } : {}), ...(inAm.length > 0 ? { alertmanagerSilences: inAm } : {}) } });
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

    async liftIncidentSilence(incident, by) {
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
          auditAction(deps, { actor: by, action: 'silenceLifted', subject: incident.subject, incidentId: incident.id, reason: null, detail: { lifted, scopes: [scope], alertmanagerSilences: held.map((s) => s.id) } });
          noteSilenceChange([scope], by, `Silence on ${scopeInWords(scope)}${also} lifted by <@${by}>`);
        });
        const errors = [...(listed.error ? [listed.error] : []), ...(await expireInAlertmanager([[incident, held]]))];
        return liftReply(scopeInWords(scope), also, errors);
      });
    },

    async liftSilence(target, by) {
      return alertSilencer.exclusive(async () => {
        const now = deps.clock();
        const silences = store.activeSilences(now);
        const about = target === null ? null : { target, incident: coveringIncident(target, store.openIncidents()) };
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
          auditAction(deps, { actor: by, action: 'silenceLifted', subject: target === null ? 'everything' : targetSubject(target), incidentId: null, reason: null, detail: { lifted, scopes } });
          noteSilenceChange(scopes, by, `Silence on ${what} lifted by <@${by}>`);
        });
        const errors = [...(listed.error ? [listed.error] : []), ...(await expireInAlertmanager(groups.map((i) => [i, listed.held.get(i.subject) ?? []])))];
        return liftReply(what, '', errors);
      });
    },

    reconcileAlertSilences() {
      return alertSilencer.reconcile();
    },
  };
}
