import { describe, expect, it } from 'vitest';
import { planAlertNotification } from '../../src/core/alertmanager.js';
import { covers, coveringIncident, incidentAbout } from '../../src/core/cover.js';
import { initialTargetState } from '../../src/core/hysteresis.js';
import { transition } from '../../src/core/lifecycle.js';
import { planCycle, type CycleInput } from '../../src/core/plan.js';
import type { Incident, IncidentKind, IncidentState, Observation, TargetState } from '../../src/core/types.js';
import { alertFacts, input as alertInput, notification } from './alerts.js';
import { incident, MIN, node, SEC, silence, snapshot, T0, target, workload } from './fixtures.js';

const ALERT = 'alert:00000000000000aa';

/** An incident of `kind` that lists frigate (a target incident: frigate's own). */
function listing(kind: IncidentKind, state: IncidentState = 'open', overrides: Partial<Incident> = {}): Incident {
  const subject = { target: 'target:frigate', node: 'node:node-a', observer: 'observer', alert: ALERT, setup: 'setup:forbidden/namespace/nvr', cluster: 'cluster' }[kind];
  return incident({ id: 10, subject, kind, state, targets: ['frigate'], resolvedAt: state === 'resolved' ? T0 - MIN : null, ...overrides });
}

describe('coveringIncident: which open incident answers for a target’s own check failures', () => {
  it.each<[IncidentKind, IncidentState, boolean]>([
    ['target', 'open', true],
    ['target', 'acknowledged', true],
    ['target', 'resolved', false],
    ['node', 'open', true],
    ['node', 'acknowledged', true],
    ['node', 'resolved', false],
    // The brake holds the targets it lists: no incident, ring or restart of their own.
    ['observer', 'open', true],
    ['observer', 'resolved', false],
    // Alertmanager speaks for its alerts: its acknowledgement or silence never covers a check failure.
    ['alert', 'open', false],
    ['alert', 'acknowledged', false],
    // A setup incident says the target cannot be seen (unknown, never down): it answers for no failure.
    ['setup', 'open', false],
    ['cluster', 'open', false],
  ])('kind %s, %s, listing frigate: covers it = %s', (kind, state, covered) => {
    const one = listing(kind, state);
    expect(coveringIncident('frigate', [one])).toBe(covered ? one : null);
    // `covers` is the same rule without the state.
    expect(covers(one, 'frigate')).toBe(kind === 'target' || kind === 'node' || kind === 'observer');
  });

  it('a target incident covers its own target only, whatever it lists', () => {
    const hass = incident({ subject: 'target:hass', targets: ['frigate'] });
    expect(coveringIncident('frigate', [hass])).toBeNull();
    expect(covers(hass, 'hass')).toBe(true);
  });

  it('a node or observer incident covers only the targets it lists', () => {
    expect(coveringIncident('hass', [listing('node'), listing('observer')])).toBeNull();
  });

  it.each<[string, IncidentKind[], IncidentKind]>([
    ['its own incident before a node’s', ['node', 'target'], 'target'],
    ['its own incident before the brake’s', ['observer', 'target'], 'target'],
    ['a node’s before the brake’s', ['observer', 'node'], 'node'],
    ['never the alert’s, listed first', ['alert', 'setup', 'node'], 'node'],
  ])('precedence: %s', (_, kinds, expected) => {
    const incidents = kinds.map((k, i) => listing(k, 'open', { id: i + 1 }));
    expect(coveringIncident('frigate', incidents)?.kind).toBe(expected);
  });

  it('a resolved incident of the same subject beside the open one is skipped', () => {
    const open = listing('target', 'open', { id: 2 });
    expect(coveringIncident('frigate', [listing('target', 'resolved', { id: 1 }), open])).toBe(open);
  });
});

describe('incidentAbout: the open incident people are shown for a target', () => {
  it('the covering one first', () => {
    const own = listing('target');
    expect(incidentAbout('frigate', [listing('alert', 'open', { id: 3 }), own])).toBe(own);
  });

  it.each<IncidentKind>(['alert', 'setup'])('else an incident of kind %s that names it without covering it', (kind) => {
    const naming = listing(kind);
    expect(incidentAbout('frigate', [naming])).toBe(naming);
    expect(incidentAbout('hass', [naming])).toBeNull();
    expect(incidentAbout('frigate', [listing(kind, 'resolved')])).toBeNull();
  });
});

describe('planCycle: an Alertmanager incident naming a target never swallows its outage', () => {
  const config = { targets: [target('frigate'), target('hass', { namespace: 'home' })], watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } };
  const failedOnce: TargetState = { ...initialTargetState('frigate'), consecutiveFailures: 1, lastDetail: 'HTTP 503', lastObservedAt: T0 - 30 * SEC };
  const fail: Observation = { target: 'frigate', result: 'fail', detail: 'HTTP 503' };
  const throttling = (overrides: Partial<Incident> = {}) => incident({ id: 5, subject: ALERT, kind: 'alert', cause: 'CPUThrottlingHigh', targets: ['frigate'], ...overrides });

  function plan(overrides: Partial<CycleInput>) {
    return planCycle({
      now: T0,
      config,
      snapshot: snapshot([node('node-a', { readySince: T0 - 10 * MIN })], [workload('frigate', ['node-a']), workload('hass', ['node-a'])]),
      observations: [fail],
      targetStates: { frigate: failedOnce },
      incidents: [],
      silences: [],
      restarts: [],
      ...overrides,
    });
  }

  it.each<[string, Partial<CycleInput>]>([
    ['open', { incidents: [throttling()] }],
    ['acknowledged', { incidents: [throttling({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 - MIN })] }],
    ['silenced', { incidents: [throttling()], silences: [silence({ scope: { kind: 'alert', name: '00000000000000aa' } })] }],
  ])('the alert incident %s: frigate’s own incident opens and rings, and it is restarted', (_, overrides) => {
    const p = plan(overrides);
    const own = p.incidents.find((i) => i.incident.subject === 'target:frigate')!;
    expect(own.incident).toMatchObject({ id: null, kind: 'target', state: 'open', targets: ['frigate'] });
    expect(own.effects).toContainEqual({ type: 'postMessage', mention: true });
    expect(own.effects).toContainEqual({ type: 'push', reason: 'open' });
    expect(own.restarts).toEqual([{ target: 'frigate', automatic: true, requestedBy: 'scheduler' }]);
    // The alert's message is edited (it shows frigate 🔴 now) with a quiet note; it neither rings nor restarts.
    const alert = p.incidents.find((i) => i.incident.subject === ALERT)!;
    expect(alert.effects).toEqual([
      { type: 'editMessage' },
      { type: 'threadNote', text: "frigate is down by stormguard's own checks (HTTP 503); followed in its own incident" },
    ]);
    expect(alert.restarts).toEqual([]);
    expect(alert.incident).toEqual(overrides.incidents![0]);
  });

  it('a target down on a NotReady node: the alert’s note says the node’s incident follows it', () => {
    const p = plan({ incidents: [throttling()], snapshot: snapshot([node('node-a', { ready: 'False' })], [workload('frigate', ['node-a'])]) });
    expect(p.incidents.find((i) => i.incident.subject === ALERT)!.effects).toContainEqual({
      type: 'threadNote',
      text: "frigate is down by stormguard's own checks (HTTP 503); followed in the incident of node node-a",
    });
    expect(p.incidents.find((i) => i.incident.subject === 'node:node-a')!.incident.targets).toEqual(['frigate']);
  });

  it('the brake holds frigate: the alert’s note says the observer incident follows it, and nothing restarts', () => {
    const http = { http: { url: 'http://svc.example:8080/health', timeout: 5 * SEC, expectStatus: 200 } };
    const names = ['frigate', 'hass', 'zigbee'];
    const p = planCycle({
      now: T0,
      config: { ...config, targets: names.map((n) => target(n, { probe: http })) },
      snapshot: snapshot([node('node-a', { readySince: T0 - 10 * MIN })], names.map((n) => workload(n, ['node-a']))),
      observations: names.map((n) => ({ target: n, result: 'fail' as const, detail: 'timeout after 5s' })),
      targetStates: Object.fromEntries(names.map((n) => [n, { ...failedOnce, target: n }])),
      incidents: [throttling()],
      silences: [],
      restarts: [],
    });
    expect(p.incidents.find((i) => i.incident.subject === 'observer')!.incident.targets).toEqual(names);
    expect(p.incidents.find((i) => i.incident.subject === ALERT)!.effects).toContainEqual({
      type: 'threadNote',
      text: "frigate is down by stormguard's own checks (timeout after 5s); followed in the incident about stormguard's own view",
    });
    expect(p.incidents.flatMap((i) => i.restarts)).toEqual([]);
  });

  it('a detail-less failure is “failing”, and probe text is made literal', () => {
    const alert = (detail: string) =>
      plan({ incidents: [throttling()], observations: [{ ...fail, detail }] }).incidents.find((i) => i.incident.subject === ALERT)!.effects[1];
    expect(alert('')).toEqual({ type: 'threadNote', text: "frigate is down by stormguard's own checks (failing); followed in its own incident" });
    const long = (alert(`${'x'.repeat(300)}\nsecond line`) as { text: string }).text;
    expect(long).toMatch(/^frigate is down by stormguard's own checks \(x{199}…\); followed in its own incident$/);
    expect(alert('**boom**')).toEqual({ type: 'threadNote', text: "frigate is down by stormguard's own checks (\\*\\*boom\\*\\*); followed in its own incident" });
  });

  it('frigate back: its own incident resolves, the alert’s message is edited with a note', () => {
    const down: TargetState = { ...initialTargetState('frigate'), health: 'down', consecutiveFailures: 2, consecutiveSuccesses: 1, lastDetail: 'HTTP 503', lastObservedAt: T0 - 30 * SEC };
    const own = incident({ id: 6 });
    const p = plan({ incidents: [throttling(), own], targetStates: { frigate: down }, observations: [{ target: 'frigate', result: 'ok', detail: 'HTTP 200' }] });
    expect(p.incidents.find((i) => i.incident.subject === 'target:frigate')!.incident.state).toBe('resolved');
    expect(p.incidents.find((i) => i.incident.subject === ALERT)!.effects).toEqual([
      { type: 'editMessage' },
      { type: 'threadNote', text: "frigate is up again by stormguard's own checks" },
    ]);
  });

  it('nothing changes for the alert while frigate’s health does not', () => {
    expect(plan({ incidents: [throttling()], observations: [{ target: 'frigate', result: 'ok', detail: 'HTTP 200' }], targetStates: {} }).incidents).toEqual([]);
  });
});

describe('planAlertNotification joins the incident that covers a target it names', () => {
  const frigateAlert = notification([alertFacts('f1', { namespace: 'nvr', deployment: 'frigate' })], { commonLabels: { alertname: 'DiskFull', namespace: 'nvr', deployment: 'frigate' } });

  it('the observer incident holding it: the alert joins it (a person judging the brake wants Prometheus’s view there)', () => {
    const observer = listing('observer', 'open', { id: 4 });
    expect(planAlertNotification(alertInput(frigateAlert, { openIncidents: [observer] }))).toMatchObject({ outcome: 'joined', group: { incidentId: 4 } });
  });

  it('a setup incident listing it: the alert opens its own incident', () => {
    const plan = planAlertNotification(alertInput(frigateAlert, { openIncidents: [listing('setup', 'open', { id: 4 })] }));
    expect(plan.outcome).toBe('opened');
    expect(plan.incident!.incident).toMatchObject({ id: null, kind: 'alert', targets: ['frigate'] });
  });
});

describe('transition: namedTargetsChanged', () => {
  const ctx = { now: T0, reopenWindow: 10 * MIN, escalateAfter: 15 * MIN, silenced: false, actor: 'scheduler' };
  it('an open incident: an edit and the quiet note, audited', () => {
    const alert = listing('alert');
    expect(transition(alert, { type: 'namedTargetsChanged', text: 'x' }, ctx)).toEqual({
      incident: alert,
      effects: [{ type: 'editMessage' }, { type: 'threadNote', text: 'x' }],
      audit: [{ at: T0, actor: 'scheduler', action: 'namedTargetsChanged', subject: ALERT, incidentId: 10, reason: null, detail: { text: 'x' } }],
      restarts: [],
    });
  });

  it('a resolved incident: nothing', () => {
    const alert = listing('alert', 'resolved');
    expect(transition(alert, { type: 'namedTargetsChanged', text: 'x' }, ctx)).toEqual({ incident: alert, effects: [], audit: [], restarts: [] });
  });
});
