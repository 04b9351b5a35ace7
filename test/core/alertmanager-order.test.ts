import { describe, expect, it } from 'vitest';
import { compareAlertReports, ENDED_LIMIT, ENDED_MEMORY, firingAlerts, foldAlerts, planAlertNotification, type AlertFacts, type AlertGroup } from '../../src/core/alertmanager.js';
import type { Incident } from '../../src/core/types.js';
import { after, alertFacts, input, notification, opened } from './alerts.js';
import { HOUR, incident, MIN, T0 } from './fixtures.js';

const nas = alertFacts('a1', { instance: 'nas' });
const pi = alertFacts('a2', { instance: 'pi' });
const ended = (a: AlertFacts, endsAt = T0 + MIN): AlertFacts => ({ ...a, status: 'resolved', endsAt });
const startedAt = (a: AlertFacts, startsAt: number): AlertFacts => ({ ...a, startsAt });

describe('compareAlertReports: an alert’s own times order its reports', () => {
  it.each<[string, AlertFacts, AlertFacts, 'newer' | 'same' | 'older']>([
    ['a later start is a later firing', startedAt(nas, T0 + MIN), nas, 'newer'],
    ['a later start beats an end of the earlier firing', startedAt(nas, T0 + MIN), ended(nas, T0 + HOUR), 'newer'],
    ['an earlier start is older, whatever it says', ended(nas), startedAt(nas, T0 + MIN), 'older'],
    ['with the same start, the end comes after the firing', ended(nas), nas, 'newer'],
    ['with the same start, a firing after its end is older', nas, ended(nas), 'older'],
    ['two ends: the later one', ended(nas, T0 + 2 * MIN), ended(nas, T0 + MIN), 'newer'],
    ['the same firing twice', nas, { ...nas, annotations: { summary: 'changed words' } }, 'same'],
  ])('%s', (_, a, b, expected) => {
    const order = compareAlertReports(a, b);
    expect(order > 0 ? 'newer' : order < 0 ? 'older' : 'same').toBe(expected);
    // And the other way round.
    expect(Math.sign(compareAlertReports(b, a)) + Math.sign(order)).toBe(0);
  });
});

describe('foldAlerts', () => {
  it('keeps the newest report of each alert and says when one was older than what is known', () => {
    const fold = foldAlerts([ended(nas), pi], [nas, startedAt(pi, T0 + MIN)], T0 + 2 * MIN);
    expect(fold).toEqual({ alerts: [ended(nas), startedAt(pi, T0 + MIN)], stale: true });
    expect(foldAlerts([nas], [nas], T0).stale).toBe(false);
  });

  it('an alert missing from a notification keeps its state: only its own report ends it', () => {
    expect(foldAlerts([nas, pi], [pi], T0 + MIN).alerts).toEqual([nas, pi]);
  });

  it('forgets an ended alert ENDED_MEMORY after its end, and keeps at most ENDED_LIMIT ended ones (the latest)', () => {
    const end = T0 + MIN;
    expect(foldAlerts([ended(nas, end)], [], end + ENDED_MEMORY).alerts).toEqual([ended(nas, end)]);
    expect(foldAlerts([ended(nas, end)], [], end + ENDED_MEMORY + 1).alerts).toEqual([]);
    const many = Array.from({ length: ENDED_LIMIT + 3 }, (_, i) => ended(alertFacts(`e${i}`, { instance: `n${i}` }), T0 + i));
    const kept = foldAlerts([nas, ...many], [], T0 + ENDED_LIMIT).alerts;
    expect(kept).toHaveLength(1 + ENDED_LIMIT);
    expect(kept[0]).toEqual(nas);
    expect(kept.map((a) => a.fingerprint)).not.toContain('e2');
    expect(kept.map((a) => a.fingerprint)).toContain('e3');
  });
});

/** Plays notifications in the order they arrive, as the shell persists each plan (incident ids from 7). */
function play(arrivals: Array<{ alerts: AlertFacts[]; at: number }>) {
  let group: AlertGroup | null = null;
  let current: Incident | null = null;
  const outcomes: string[] = [];
  const effects: string[] = [];
  for (const { alerts, at } of arrivals) {
    const plan = planAlertNotification(input(notification(alerts), { now: at, group, groupIncident: current, ownIncident: current, openIncidents: current && current.state !== 'resolved' ? [current] : [] }));
    outcomes.push(plan.outcome);
    if (plan.incident) {
      current = { ...plan.incident.incident, id: plan.incident.incident.id ?? 7 };
      effects.push(...plan.incident.effects.map((e) => (e.type === 'postMessage' ? `post${e.mention ? '+ring' : ''}` : e.type)));
    }
    group = { ...plan.group, incidentId: current?.id ?? null };
  }
  return { outcomes, effects, incident: current, group: group! };
}

describe('planAlertNotification: notifications out of order change nothing', () => {
  it('a "firing" retried after the "resolved" of the same alerts (same startsAt) neither reopens nor rings', () => {
    const played = play([
      { alerts: [nas], at: T0 },
      { alerts: [ended(nas)], at: T0 + MIN },
      { alerts: [nas], at: T0 + 2 * MIN },
    ]);
    expect(played.outcomes).toEqual(['opened', 'resolved', 'stale']);
    expect(played.incident).toMatchObject({ state: 'resolved', reopenCount: 0 });
    expect(played.effects.filter((e) => e === 'post+ring')).toHaveLength(1);
    expect(firingAlerts(played.group.notification)).toEqual([]);
  });

  it('a "resolved" that arrives before its "firing" is remembered: the late firing opens nothing', () => {
    const played = play([
      { alerts: [ended(nas)], at: T0 + MIN },
      { alerts: [nas], at: T0 + 2 * MIN },
    ]);
    expect(played.outcomes).toEqual(['ignored', 'stale']);
    expect(played.incident).toBeNull();
    expect(played.effects).toEqual([]);
  });

  it('an alert incident whose alerts have all ended resolves quietly, whichever of their ends comes first', () => {
    const played = play([
      { alerts: [nas, pi], at: T0 },
      // Alertmanager sent {nas ended, pi firing} then {pi ended}; the second arrives first.
      { alerts: [ended(pi)], at: T0 + 2 * MIN },
      { alerts: [ended(nas), pi], at: T0 + 3 * MIN },
    ]);
    expect(played.outcomes).toEqual(['opened', 'changed', 'resolved']);
    expect(played.incident).toMatchObject({ state: 'resolved', resolvedAt: T0 + 3 * MIN });
    // One ring, when it opened; the rest are edits and quiet notes.
    expect(played.effects.filter((e) => e.startsWith('post'))).toEqual(['post+ring']);
    expect(played.effects.slice(-3)).toEqual(['editMessage', 'threadNote', 'archiveThread']);
  });

  it('a new firing of an ended alert (a later startsAt) is news: it reopens within the window and rings', () => {
    const played = play([
      { alerts: [nas], at: T0 },
      { alerts: [ended(nas)], at: T0 + MIN },
      { alerts: [startedAt(nas, T0 + 2 * MIN)], at: T0 + 2 * MIN },
    ]);
    expect(played.outcomes).toEqual(['opened', 'resolved', 'opened']);
    expect(played.incident).toMatchObject({ state: 'open', reopenCount: 1 });
  });

  it('a late notification’s group fields (common labels, title) do not replace newer ones', () => {
    const { state } = opened(notification([nas]));
    const newer = after(state, notification([nas, pi], { commonAnnotations: { summary: 'disks almost full' } }));
    expect(newer.group.title).toBe('DiskFull: disks almost full');
    const late = after({ group: { ...newer.group, incidentId: 7 }, incident: newer.incident!.incident }, notification([startedAt(ended(nas, T0 - MIN), T0 - HOUR), pi], { commonAnnotations: { summary: 'old words' } }), T0 + 2 * MIN);
    // The end of an earlier firing of nas (started before the one known) is an older report of it.
    expect(late.outcome).toBe('stale');
    expect(late.incident).toBeNull();
    expect(late.group.title).toBe('DiskFull: disks almost full');
    expect(late.group.notification.commonAnnotations.summary).toBe('disks almost full');
  });

  it('a group that joined a target’s incident: a late "firing" after its "resolved" adds no note there', () => {
    const hassLabels = { alertname: 'DiskFull', namespace: 'home', deployment: 'hass' };
    const hass = alertFacts('h1', { namespace: 'home', deployment: 'hass' });
    const hassIncident = incident({ id: 3, subject: 'target:hass', targets: ['hass'], cause: 'hass is down' });
    const joined = planAlertNotification(input(notification([hass], { commonLabels: hassLabels }), { openIncidents: [hassIncident] }));
    expect(joined.outcome).toBe('joined');
    const state = { group: joined.group, incident: hassIncident };
    const resolved = after(state, notification([ended(hass)], { commonLabels: hassLabels }));
    expect(resolved.outcome).toBe('changed');
    const late = after({ group: resolved.group, incident: hassIncident }, notification([hass], { commonLabels: hassLabels }), T0 + 2 * MIN);
    expect(late).toMatchObject({ outcome: 'stale', incident: null, group: { incidentId: 3 } });
  });

  it('a group Alertmanager calls resolved ends every alert it lists, at its end or now', () => {
    const { state } = opened(notification([nas]));
    const done = after(state, notification([nas], { status: 'resolved' }), T0 + 5 * MIN);
    expect(done.outcome).toBe('resolved');
    expect(done.group.notification.alerts).toEqual([{ ...nas, status: 'resolved', endsAt: T0 + 5 * MIN }]);
  });
});
