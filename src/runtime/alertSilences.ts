/**
 * Silences of Alertmanager incidents, both ways. stormguard's own silence of an `alert:` group is the one
 * owner of "this group is silenced until"; Alertmanager is brought to it: one silence per alert the group
 * named (equality on all its labels, so another team's alert is never muted), updated rather than
 * stacked, each tagged in its comment so stormguard finds them again — after a crash between an
 * Alertmanager call and the commit too, at the next start or change of that group's silence.
 */
import { alertsToSilence, markedSubject, planGroupSilences, silenceMarker } from '../core/alertSilences.js';
import type { AlertGroup, AlertmanagerSilence } from '../core/alertmanager.js';
import { scopeOfSubject, silencesOfScope } from '../core/silence.js';
import type { Incident, Silence } from '../core/types.js';
import type { AlertmanagerApi, ListedSilence } from '../adapters/alertmanager/api.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import type { Clock } from './ports.js';

/** What silencing in Alertmanager needs. */
export interface AlertSilenceDeps {
  store: Store;
  api: AlertmanagerApi | null;
  clock: Clock;
  logger: Logger;
  /** Where the incident's Discord message is, for the silence's comment (null without Discord). */
  messageLink: (incident: Incident) => string | null;
}

/** The silence Alertmanager is to hold for a group: its end, who asked, why (null: none). */
export interface WantedSilence {
  endsAt: number;
  by: string;
  reason: string;
}

/** Alertmanager's side of stormguard's silences of alert groups. */
export interface AlertSilencer {
  /** Whether Alertmanager's API is configured at all. */
  readonly enabled: boolean;
  /**
   * Runs one silence change at a time: a second click waits until the first has called Alertmanager
   * and committed, so it updates the first's silences instead of creating its own.
   */
  exclusive<T>(change: () => Promise<T>): Promise<T>;
  /** The silences Alertmanager holds (not expired) that stormguard tagged, by the group subject they name. */
  held(): Promise<Map<string, ListedSilence[]>>;
  /** Brings Alertmanager to `wanted` for the incident's own group, from what it `held`; returns the ids it holds then. */
  apply(incident: Incident, wanted: WantedSilence | null, held: ListedSilence[]): Promise<string[]>;
  /** Records, in the transaction of the change, what Alertmanager holds for the incident's own group (shown on its message). */
  record(incident: Incident, silence: AlertmanagerSilence | null): void;
  /** Brings every tagged silence back to what stormguard committed; problems are logged, never thrown. */
  reconcile(): Promise<void>;
}

/** The open Alertmanager incident with this subject, if any. */
export function openAlertIncident(store: Store, subject: string): Incident | null {
  return store.openIncidents().find((i) => i.subject === subject && i.kind === 'alert') ?? null;
}

/** The silence stormguard holds for a group's subject at `now` (the one of its scope; the longest if an old database has several). */
export function committedSilence(store: Store, subject: string, now: number): Silence | null {
  return silencesOfScope(scopeOfSubject(subject), store.activeSilences(now), now).reduce<Silence | null>((a, s) => (a === null || s.endsAt > a.endsAt ? s : a), null);
}

/** Builds the Alertmanager side of silences over `deps`. */
export function createAlertSilencer(deps: AlertSilenceDeps): AlertSilencer {
  const { store, api, logger } = deps;
  let queue: Promise<unknown> = Promise.resolve();

  /** The group the incident is the own incident of (joined groups are their host's business). */
  function ownGroup(incident: Incident): AlertGroup | null {
    return incident.id === null ? null : (store.alertGroupsForIncident(incident.id).find((g) => g.subject === incident.subject) ?? null);
  }

  function comment(incident: Incident, group: AlertGroup, reason: string): string {
    const link = deps.messageLink(incident);
    return [`stormguard incident #${incident.id}: ${group.title}`, reason ? `(${reason})` : '', link ?? '', silenceMarker(incident.subject)].filter(Boolean).join(' ');
  }

  /**
   * The group of a silence made before comments carried the tag (`stormguard incident #12: …`): its
   * incident's subject when that is an alert group's, so an upgrade leaves none of them behind.
   */
  function legacySubject(comment: string): string | null {
    const id = /^stormguard incident #(\d+): /.exec(comment)?.[1];
    const incident = id === undefined ? null : store.getIncident(Number(id));
    return incident?.kind === 'alert' ? incident.subject : null;
  }

  const silencer: AlertSilencer = {
    enabled: api !== null,

    exclusive(change) {
      const run = queue.then(change, change);
      queue = run.catch(() => undefined);
      return run;
    },

    async held() {
      const bySubject = new Map<string, ListedSilence[]>();
      if (!api) return bySubject;
      for (const silence of await api.listSilences()) {
        const subject = markedSubject(silence.comment) ?? legacySubject(silence.comment);
        if (subject === null || silence.state === 'expired') continue;
        bySubject.set(subject, [...(bySubject.get(subject) ?? []), silence]);
      }
      return bySubject;
    },

    async apply(incident, wanted, held) {
      if (!api) return [];
      const group = ownGroup(incident);
      const calls = planGroupSilences(group ? alertsToSilence(group.notification) : [], held, wanted !== null && group !== null);
      const ids: string[] = [];
      for (const call of calls) {
        if (call.kind === 'expire') {
          await api.expireSilence(call.id);
          continue;
        }
        // `wanted` and `group` are set: the plan creates and updates only when silenced.
        const fields = { matchers: call.matchers, endsAt: wanted!.endsAt, createdBy: `discord:${wanted!.by}`, comment: comment(incident, group!, wanted!.reason) };
        ids.push(await api.createSilence(call.kind === 'update' ? { ...fields, id: call.id, startsAt: call.startsAt } : { ...fields, startsAt: deps.clock() }));
      }
      return ids;
    },

    record(incident, silence) {
      const group = ownGroup(incident);
      if (group) store.setAlertGroupSilence(group.groupKey, silence);
    },

    reconcile() {
      return silencer.exclusive(async () => {
        let held: Map<string, ListedSilence[]>;
        try {
          held = await silencer.held();
        } catch (err) {
          logger.warn({ err: errorText(err) }, 'alertmanager silences not reconciled: listing them failed');
          return;
        }
        for (const [subject, silences] of held) {
          const incident = store.latestIncidentFor(subject);
          // A tag naming no group of this database is not ours to change.
          if (!incident) continue;
          const now = deps.clock();
          const kept = committedSilence(store, subject, now);
          if (kept && silences.every((s) => s.endsAt === kept.endsAt)) continue;
          try {
            const ids = await silencer.apply(incident, kept && { endsAt: kept.endsAt, by: kept.createdBy, reason: kept.reason }, silences);
            store.transaction(() => silencer.record(incident, kept && ids.length > 0 ? { id: ids[0]!, endsAt: kept.endsAt, createdBy: kept.createdBy } : null));
            logger.info({ subject, incident: incident.id, silences: silences.length, until: kept?.endsAt ?? null }, 'alertmanager silences reconciled with stormguard’s');
          } catch (err) {
            logger.warn({ subject, err: errorText(err) }, 'alertmanager silences not reconciled');
          }
        }
      });
    },
  };
  return silencer;
}

/** An error in words (Alertmanager's API errors carry no credentials). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
