import { describe, expect, it } from 'vitest';
import { planAlertNotification, targetsNamedBy } from '../../src/core/alertmanager.js';
import { incidentTitle, renderIncident } from '../../src/core/render.js';
import { alertSubjectNamed, parseSubject } from '../../src/core/subject.js';
import { after, alertFacts, input, KEY, notification, opened, SUBJECT } from './alerts.js';
import { HOUR, incident, MIN, node, snapshot, T0, target, workload } from './fixtures.js';

const nas = alertFacts('a1', { instance: 'nas' });
const pi = alertFacts('a2', { instance: 'pi' });

describe('planAlertNotification', () => {
  it('opens one incident per group: posted with the ring, titled from alertname and the summary', () => {
    const { plan } = opened(notification([nas]));
    expect(plan.outcome).toBe('opened');
    expect(plan.incident!.incident).toMatchObject({ subject: SUBJECT, kind: 'alert', state: 'open', cause: 'DiskFull: disk almost full', targets: [] });
    expect(plan.incident!.effects).toEqual([{ type: 'postMessage', mention: true }, { type: 'push', reason: 'open' }]);
    expect(plan.group.title).toBe('DiskFull: disk almost full');
  });

  it('a repeat of an unchanged group changes nothing', () => {
    const { state } = opened(notification([nas]));
    const repeat = after(state, notification([nas]), T0 + 4 * HOUR);
    expect(repeat.outcome).toBe('repeat');
    expect(repeat.incident).toBeNull();
  });

  it('an alert joining and one resolving are one edit and one quiet note each', () => {
    const { state } = opened(notification([nas]));
    const joined = after(state, notification([nas, pi]));
    expect(joined.outcome).toBe('changed');
    expect(joined.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Alertmanager DiskFull: disk almost full — firing: instance=pi' }]);
    const left = after({ group: { ...joined.group, incidentId: 7 }, incident: state.incident }, notification([{ ...nas, status: 'resolved' }, pi]));
    expect(left.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Alertmanager DiskFull: disk almost full — resolved: instance=nas' }]);
  });

  it('resolves when Alertmanager says the group is resolved, and reopens within the window', () => {
    const { state } = opened(notification([nas]));
    const done = after(state, notification([{ ...nas, status: 'resolved' }]));
    expect(done.outcome).toBe('resolved');
    expect(done.incident!.incident).toMatchObject({ state: 'resolved', resolvedAt: T0 + MIN });
    const resolvedIncident = done.incident!.incident;
    const again = planAlertNotification(input(notification([{ ...nas, startsAt: T0 + 5 * MIN }]), { now: T0 + 5 * MIN, group: done.group, groupIncident: resolvedIncident, ownIncident: resolvedIncident }));
    expect(again.incident!.incident).toMatchObject({ id: 7, state: 'open', reopenCount: 1 });
    const later = planAlertNotification(input(notification([{ ...nas, startsAt: T0 + 2 * HOUR }]), { now: T0 + 2 * HOUR, group: done.group, groupIncident: resolvedIncident, ownIncident: resolvedIncident }));
    expect(later.incident!.incident).toMatchObject({ id: null, state: 'open', reopenCount: 0 });
  });

  it('a resolved notification for a group never seen opens nothing', () => {
    const plan = planAlertNotification(input(notification([{ ...nas, status: 'resolved' }])));
    expect(plan).toMatchObject({ outcome: 'ignored', incident: null });
  });

  it('joins the open incident of the node or target its common labels name, and only notes changes there', () => {
    const nodeIncident = incident({ id: 3, subject: 'node:node-a', kind: 'node', targets: ['frigate'] });
    const n = notification([alertFacts('n1', { node: 'node-a' })], { commonLabels: { alertname: 'DiskFull', node: 'node-a' } });
    const plan = planAlertNotification(input(n, { openIncidents: [nodeIncident] }));
    expect(plan.outcome).toBe('joined');
    expect(plan.group.incidentId).toBe(3);
    expect(plan.incident!.incident.id).toBe(3);
    expect(plan.incident!.effects.map((e) => e.type)).toEqual(['editMessage', 'threadNote']);
    // Alertmanager resolving never resolves stormguard's own incident.
    const resolved = after({ group: plan.group, incident: nodeIncident }, { ...n, status: 'resolved', alerts: [{ ...n.alerts[0]!, status: 'resolved' }] });
    expect(resolved.incident!.incident.state).toBe('open');
    expect(resolved.incident!.effects).toContainEqual({ type: 'threadNote', text: 'Alertmanager DiskFull: disk almost full — resolved: node=node-a' });
  });

  it('a watched node without an open incident, with watchNodes off, or an unknown node: the group has its own incident', () => {
    const n = notification([alertFacts('n1', { node: 'node-a' })], { commonLabels: { alertname: 'DiskFull', node: 'node-a' } });
    const nodeIncident = incident({ id: 3, subject: 'node:node-a', kind: 'node' });
    expect(planAlertNotification(input(n)).outcome).toBe('opened');
    const off = input(n, { openIncidents: [nodeIncident] });
    expect(planAlertNotification({ ...off, config: { ...off.config, watchNodes: false } }).outcome).toBe('opened');
  });

  it('names targets by namespace and workload label, or by one of their pods', () => {
    const snap = snapshot([node('node-a')], [workload('frigate', ['node-a'])]);
    const targets = [target('frigate'), target('hass', { namespace: 'home' }), target('zigbee', { workload: { kind: 'Pods', selector: 'app=z' } })];
    expect(targetsNamedBy({ namespace: 'nvr', deployment: 'frigate' }, targets, snap)).toEqual(['frigate']);
    expect(targetsNamedBy({ namespace: 'nvr', pod: 'frigate-0' }, targets, snap)).toEqual(['frigate']);
    expect(targetsNamedBy({ namespace: 'home', deployment: 'frigate' }, targets, snap)).toEqual([]);
    expect(targetsNamedBy({ deployment: 'frigate' }, targets, snap)).toEqual([]);
    expect(targetsNamedBy({ namespace: 'nvr', statefulset: 'frigate' }, targets, snap)).toEqual([]);
  });

  it('an alert incident naming a target lists it, so Restart is offered', () => {
    const n = notification([alertFacts('h1', { namespace: 'home', deployment: 'hass' })], { commonLabels: { alertname: 'DiskFull', namespace: 'home', deployment: 'hass' } });
    const plan = planAlertNotification(input(n));
    expect(plan.incident!.incident.targets).toEqual(['hass']);
  });

  it('a silence of the group’s subject holds the ring back', () => {
    const silence = { id: 1, scope: { kind: 'alert' as const, name: SUBJECT.slice('alert:'.length) }, startsAt: T0 - MIN, endsAt: T0 + HOUR, createdBy: 'u', reason: '', liftedAt: null };
    const plan = planAlertNotification(input(notification([nas]), { silences: [silence] }));
    expect(plan.incident!.effects).toEqual([{ type: 'postMessage', mention: false }]);
  });
});

describe('rendering an alert incident', () => {
  it('lists the firing alerts with their own labels and source links, escapes label text, and links the silence page', () => {
    const { plan } = opened(notification([nas, alertFacts('a3', { instance: '*bold* @everyone' })]));
    const view = { incident: { ...plan.incident!.incident, id: 7 }, silence: null, targets: [], nodes: [], nextRestart: null, alertGroups: [{ ...plan.group, incidentId: 7 }] };
    const message = renderIncident(view);
    expect(message.title).toBe('Alert: DiskFull: disk almost full');
    expect(message.description).toContain('🔴 instance=nas [source](http://prom:9090/graph)');
    expect(message.description).toContain('instance=\\*bold\\* @\u200beveryone');
    expect(message.fields.find((f) => f.name === 'Alertmanager')!.value).toBe(
      `[Silence in Alertmanager](http://am:9093/#/silences/new?filter=${encodeURIComponent('{alertname="DiskFull"}')})`,
    );
  });

  it('is titled by its group in the one incidentTitle every channel uses (thread, email, push), never by alert:<hash>', () => {
    const { plan } = opened(notification([nas]));
    const open = { incident: { ...plan.incident!.incident, id: 7 }, silence: null, targets: [], nodes: [], nextRestart: null, alertGroups: [{ ...plan.group, title: 'DiskFull: now 99%' }] };
    expect(incidentTitle(open)).toBe('Alert: DiskFull: now 99%');
    expect(renderIncident(open).title).toBe('Alert: DiskFull: now 99%');
    const resolved = { ...open, incident: { ...open.incident, state: 'resolved' as const, resolvedAt: T0 + HOUR } };
    expect(incidentTitle(resolved)).toBe('Resolved: DiskFull: now 99%');
    // Without its group at hand (an older incident the group moved on from): the cause Alertmanager named it by.
    expect(incidentTitle({ ...open, alertGroups: [] })).toBe('Alert: DiskFull: disk almost full');
    expect(incidentTitle({ ...open, alertGroups: undefined })).not.toContain('alert:');
  });

  it('summarises what does not fit Discord’s limits with a count', () => {
    const many = Array.from({ length: 200 }, (_, i) => alertFacts(`f${i}`, { instance: `host-${i}`, mountpoint: `/mnt/${'x'.repeat(40)}` }));
    const { plan } = opened(notification(many, { truncatedAlerts: 50 }));
    const message = renderIncident({ incident: { ...plan.incident!.incident, id: 7 }, silence: null, targets: [], nodes: [], nextRestart: null, alertGroups: [plan.group] });
    expect(message.description.length).toBeLessThanOrEqual(4096);
    const shown = message.description.split('\n').filter((l) => l.startsWith('🔴')).length;
    expect(message.description).toMatch(new RegExp(`…and ${200 - shown + 50} more firing$`));
    expect(message.title.length).toBeLessThanOrEqual(256);
  });
});

describe('alert subjects', () => {
  it('are alert: and the name the shell gives (the SHA-256 of the groupKey), read back by parseSubject', () => {
    const subject = alertSubjectNamed('ab'.repeat(32));
    expect(subject).toBe(`alert:${'ab'.repeat(32)}`);
    expect(parseSubject(subject)).toEqual({ kind: 'alert', name: 'ab'.repeat(32) });
  });

  it('a new group takes the subject the shell passed in; a known group keeps its own', () => {
    const fresh = planAlertNotification(input(notification([nas]), { subject: 'alert:given' }));
    expect(fresh.group.subject).toBe('alert:given');
    expect(fresh.incident!.incident.subject).toBe('alert:given');
    const { state } = opened(notification([nas]));
    expect(after(state, notification([nas, pi]), T0 + MIN, { subject: 'alert:other' }).group.subject).toBe(SUBJECT);
  });
});
