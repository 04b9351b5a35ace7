import { describe, expect, it } from 'vitest';
import { alertLabel, alertTitle, firingAlerts, nodeNamedBy, planAlertNotification, targetsNamedBy, type AlertNotification } from '../../src/core/alertmanager.js';
import { incidentTitle, renderIncident } from '../../src/core/render.js';
import { alertSubjectNamed, parseSubject } from '../../src/core/subject.js';
import type { ClusterSnapshot, Incident } from '../../src/core/types.js';
import { after, alertFacts, alertView, input, KEY, notification, opened, SUBJECT } from './alerts.js';
import { HOUR, incident, MIN, node, silence, snapshot, T0, target, workload } from './fixtures.js';

const TITLE = 'DiskFull: disk almost full';
const nas = alertFacts('a1', { instance: 'nas' });
const pi = alertFacts('a2', { instance: 'pi' });
const nuc = alertFacts('a3', { instance: 'nuc' });
const resolvedOf = (a: typeof nas) => ({ ...a, status: 'resolved' as const });

describe('firingAlerts', () => {
  it('keeps the firing alerts in the order Alertmanager sent them', () => {
    expect(firingAlerts(notification([pi, resolvedOf(nas), nuc]))).toEqual([pi, nuc]);
    expect(firingAlerts(notification([resolvedOf(nas)]))).toEqual([]);
  });
});

describe('alertTitle', () => {
  const base = notification([alertFacts('x', { instance: 'nas', severity: 'page' })]);
  it.each<[string, Partial<AlertNotification>, string[], string]>([
    ['alertname and the common summary', {}, ['alertname'], TITLE],
    ['no summary: the labels alone', { commonAnnotations: {} }, ['alertname'], 'DiskFull'],
    ['an empty summary counts as none', { commonAnnotations: { summary: '' } }, ['alertname'], 'DiskFull'],
    ['several title labels, in the configured order', { commonLabels: { alertname: 'DiskFull', job: 'node' } }, ['job', 'alertname'], 'node DiskFull: disk almost full'],
    ['a label missing from the common labels comes from the group labels', { groupLabels: { alertname: 'DiskFull', cluster: 'home' } }, ['cluster'], 'home: disk almost full'],
    ['else from the first alert', {}, ['severity'], 'page: disk almost full'],
    ['common labels win over group labels and the first alert', { commonLabels: { severity: 'warn' }, groupLabels: { severity: 'info' } }, ['severity'], 'warn: disk almost full'],
    ['group labels win over the first alert', { commonLabels: {}, groupLabels: { severity: 'info' } }, ['severity'], 'info: disk almost full'],
    ['an empty value is left out', { commonLabels: { alertname: 'DiskFull', job: '' } }, ['job', 'alertname'], TITLE],
    ['no title label has a value', {}, ['nothing'], 'Alertmanager alert: disk almost full'],
    ['no alerts and no labels', { alerts: [], commonLabels: {}, groupLabels: {}, commonAnnotations: {} }, ['alertname'], 'Alertmanager alert'],
  ])('%s', (_, overrides, labels, expected) => {
    expect(alertTitle({ ...base, ...overrides }, labels)).toBe(expected);
  });
});

describe('alertLabel: one alert in a few words', () => {
  it.each<[string, Record<string, string>, Record<string, string> | undefined, string]>([
    ['its labels but alertname, sorted by name', { zone: 'b', instance: 'nas', job: 'node' }, undefined, 'instance=nas, job=node, zone=b'],
    ['without the labels it shares with the group', { instance: 'nas', job: 'node' }, { job: 'node' }, 'instance=nas'],
    ['a label the group has with another value stays', { instance: 'nas', job: 'node' }, { job: 'other' }, 'instance=nas, job=node'],
    ['nothing of its own: its alertname', { job: 'node' }, { job: 'node' }, 'DiskFull'],
  ])('%s', (_, labels, common, expected) => {
    expect(alertLabel(alertFacts('fp1', labels), common)).toBe(expected);
  });

  it('no labels at all: its fingerprint', () => {
    expect(alertLabel({ ...alertFacts('fp1', {}), labels: {} })).toBe('fp1');
  });
});

describe('targetsNamedBy', () => {
  const snap = snapshot([node('node-a')], [workload('frigate', ['node-a']), workload('zigbee', ['node-a']), workload('db', ['node-a'])]);
  const targets = [
    target('frigate'),
    target('db', { workload: { kind: 'StatefulSet', name: 'db' } }),
    target('agent', { workload: { kind: 'DaemonSet', name: 'agent' } }),
    target('zigbee', { workload: { kind: 'Pods', selector: 'app=zigbee' } }),
    target('hass', { namespace: 'home' }),
  ];
  it.each<[string, Record<string, string>, ClusterSnapshot | null, string[]]>([
    ['a Deployment by namespace and deployment', { namespace: 'nvr', deployment: 'frigate' }, snap, ['frigate']],
    ['a StatefulSet by statefulset', { namespace: 'nvr', statefulset: 'db' }, snap, ['db']],
    ['a DaemonSet by daemonset', { namespace: 'nvr', daemonset: 'agent' }, snap, ['agent']],
    ['a label of another workload kind names nothing', { namespace: 'nvr', deployment: 'db', statefulset: 'agent', daemonset: 'frigate' }, snap, []],
    ['the namespace alone names nothing (not even a Pods target)', { namespace: 'nvr' }, snap, []],
    ['without a namespace nothing', { deployment: 'frigate' }, snap, []],
    ['an empty namespace is none', { namespace: '', deployment: 'frigate' }, snap, []],
    ['another namespace nothing', { namespace: 'home', deployment: 'frigate' }, snap, []],
    ['a pod of the target in the last snapshot', { namespace: 'nvr', pod: 'zigbee-0' }, snap, ['zigbee']],
    ['a pod of a Deployment target too', { namespace: 'nvr', pod: 'frigate-0' }, snap, ['frigate']],
    ['any one of its pods', { namespace: 'nvr', pod: 'frigate-1' }, snapshot([node('node-a')], [workload('frigate', ['node-a', 'node-b'])]), ['frigate']],
    ['a pod nobody has', { namespace: 'nvr', pod: 'zigbee-9' }, snap, []],
    ['a pod before the first snapshot', { namespace: 'nvr', pod: 'zigbee-0' }, null, []],
    ['a pod while the cluster is unreachable', { namespace: 'nvr', pod: 'zigbee-0' }, { reachable: false, observedAt: T0, error: 'timeout' }, []],
    ['a pod of a target the snapshot has no workload for', { namespace: 'nvr', pod: 'agent-0' }, snap, []],
    ['several, sorted by name', { namespace: 'nvr', deployment: 'frigate', pod: 'db-0' }, snap, ['db', 'frigate']],
  ])('%s', (_, labels, snapshotNow, expected) => {
    expect(targetsNamedBy(labels, targets, snapshotNow)).toEqual(expected);
  });

  it('names targets by namespace and workload label, or by one of their pods', () => {
    const frigateOnly = snapshot([node('node-a')], [workload('frigate', ['node-a'])]);
    const threeTargets = [target('frigate'), target('hass', { namespace: 'home' }), target('zigbee', { workload: { kind: 'Pods', selector: 'app=z' } })];
    expect(targetsNamedBy({ namespace: 'nvr', deployment: 'frigate' }, threeTargets, frigateOnly)).toEqual(['frigate']);
    expect(targetsNamedBy({ namespace: 'nvr', pod: 'frigate-0' }, threeTargets, frigateOnly)).toEqual(['frigate']);
    expect(targetsNamedBy({ namespace: 'home', deployment: 'frigate' }, threeTargets, frigateOnly)).toEqual([]);
    expect(targetsNamedBy({ deployment: 'frigate' }, threeTargets, frigateOnly)).toEqual([]);
    expect(targetsNamedBy({ namespace: 'nvr', statefulset: 'frigate' }, threeTargets, frigateOnly)).toEqual([]);
  });
});

describe('nodeNamedBy', () => {
  const snap = snapshot([node('node-a'), node('node-b')], []);
  it.each<[string, Record<string, string>, ClusterSnapshot | null, string | null]>([
    ['node', { node: 'node-a' }, snap, 'node-a'],
    ['kubernetes_node', { kubernetes_node: 'node-b' }, snap, 'node-b'],
    ['instance with its port', { instance: 'node-a:9100' }, snap, 'node-a'],
    ['instance without a port', { instance: 'node-b' }, snap, 'node-b'],
    ['only a trailing port is cut', { instance: 'node-a:9100:1' }, snap, null],
    ['digits after a colon inside the name are no port', { instance: 'node:1-a' }, snap, null],
    ['a port must be digits', { instance: 'node-a:http' }, snap, null],
    ['a node the cluster does not have', { node: 'node-z', instance: 'nas:9100' }, snap, null],
    ['node before kubernetes_node before instance', { node: 'node-b', kubernetes_node: 'node-a', instance: 'node-a:9100' }, snap, 'node-b'],
    ['kubernetes_node before instance', { kubernetes_node: 'node-b', instance: 'node-a:9100' }, snap, 'node-b'],
    ['the first that names a known node', { node: 'node-z', kubernetes_node: 'node-y', instance: 'node-a:9100' }, snap, 'node-a'],
    ['no labels', {}, snap, null],
    ['before the first snapshot', { node: 'node-a' }, null, null],
    ['while the cluster is unreachable', { node: 'node-a' }, { reachable: false, observedAt: T0, error: 'timeout' }, null],
  ])('%s', (_, labels, snapshotNow, expected) => {
    expect(nodeNamedBy(labels, snapshotNow)).toBe(expected);
  });

  it('labels without a node name none, even in a cluster with a node called “undefined”', () => {
    expect(nodeNamedBy({ job: 'node' }, snapshot([node('undefined')], []))).toBeNull();
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

describe('planAlertNotification: opening, and the group record', () => {
  it('opens one incident per group: posted with the ring, titled from alertname and the summary', () => {
    const { plan } = opened(notification([nas]));
    expect(plan.outcome).toBe('opened');
    expect(plan.incident!.incident).toMatchObject({ subject: SUBJECT, kind: 'alert', state: 'open', cause: 'DiskFull: disk almost full', targets: [] });
    expect(plan.incident!.effects).toEqual([{ type: 'postMessage', mention: true }, { type: 'push', reason: 'open' }]);
    expect(plan.group.title).toBe('DiskFull: disk almost full');
  });

  it('an alert incident naming a target lists it, so Restart is offered', () => {
    const n = notification([alertFacts('h1', { namespace: 'home', deployment: 'hass' })], { commonLabels: { alertname: 'DiskFull', namespace: 'home', deployment: 'hass' } });
    const plan = planAlertNotification(input(n));
    expect(plan.incident!.incident.targets).toEqual(['hass']);
  });

  it('a new group: its key, subject, title, the notification as received, no incident id and no silence yet', () => {
    const n = notification([nas]);
    const plan = planAlertNotification(input(n, { now: T0 + 5 * MIN }));
    expect(plan.group).toEqual({ groupKey: KEY, subject: SUBJECT, incidentId: null, notification: n, title: TITLE, silence: null, updatedAt: T0 + 5 * MIN });
  });

  it('a known group keeps its stored subject and its Alertmanager silence, and takes the new notification and title', () => {
    const { state } = opened(notification([nas]));
    const amSilence = { id: 'am-1', endsAt: T0 + HOUR, createdBy: 'discord:42' };
    const group = { ...state.group, subject: 'alert:00000000000000ff', silence: amSilence };
    const n = notification([nas, pi], { commonAnnotations: { summary: 'disk full now' } });
    const plan = after({ group, incident: state.incident }, n, T0 + 2 * MIN);
    expect(plan.group).toEqual({ groupKey: KEY, subject: 'alert:00000000000000ff', incidentId: 7, notification: n, title: 'DiskFull: disk full now', silence: amSilence, updatedAt: T0 + 2 * MIN });
  });

  it('opening audits as alertmanager: opened and notified', () => {
    const { plan } = opened(notification([nas]));
    expect(plan.incident!.audit).toEqual([
      { at: T0, actor: 'alertmanager', action: 'opened', subject: SUBJECT, incidentId: null, reason: null, detail: { cause: TITLE, targets: [] } },
      { at: T0, actor: 'alertmanager', action: 'notified', subject: SUBJECT, incidentId: null, reason: 'open', detail: {} },
    ]);
    expect(plan.incident!.restarts).toEqual([]);
  });
});

describe('planAlertNotification: an alert incident over time', () => {
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

  it('a repeat changes nothing, also after it was acknowledged, and the record still follows the notification', () => {
    const { state } = opened(notification([nas, pi]));
    const acked = { ...state.incident, state: 'acknowledged' as const, acknowledgedBy: '42', acknowledgedAt: T0 + MIN };
    const repeat = after({ group: state.group, incident: acked }, notification([pi, nas]), T0 + 4 * HOUR);
    expect(repeat).toMatchObject({ outcome: 'repeat', incident: null, group: { incidentId: 7, updatedAt: T0 + 4 * HOUR } });
  });

  it.each<[string, typeof nas[], typeof nas[], string]>([
    ['one joins', [nas], [nas, pi], `Alertmanager ${TITLE} — firing: instance=pi`],
    ['several join, in the order sent', [nas], [nuc, nas, pi], `Alertmanager ${TITLE} — firing: instance=nuc; instance=pi`],
    ['one resolves', [nas, pi], [resolvedOf(nas), pi], `Alertmanager ${TITLE} — resolved: instance=nas`],
    ['several resolve', [nas, pi, nuc], [resolvedOf(nas), pi, resolvedOf(nuc)], `Alertmanager ${TITLE} — resolved: instance=nas; instance=nuc`],
    ['one joins while another resolves', [nas], [resolvedOf(nas), pi], `Alertmanager ${TITLE} — firing: instance=pi — resolved: instance=nas`],
  ])('%s: one edit and one quiet note naming them', (_, before, now, note) => {
    const { state } = opened(notification(before));
    const plan = after(state, notification(now));
    expect(plan.outcome).toBe('changed');
    expect(plan.incident!.incident).toEqual(state.incident);
    expect(plan.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: note }]);
    expect(plan.incident!.audit).toEqual([{ at: T0 + MIN, actor: 'alertmanager', action: 'alertsChanged', subject: SUBJECT, incidentId: 7, reason: null, detail: { text: note } }]);
  });

  it('an alert that was already resolved and is resolved again is no news', () => {
    const { state } = opened(notification([nas, resolvedOf(pi)]));
    expect(after(state, notification([nas, resolvedOf(pi)]))).toMatchObject({ outcome: 'repeat', incident: null });
  });

  it('the notes name alerts by what sets them apart from the group labels, not from the common labels', () => {
    const groupLabels = { alertname: 'DiskFull', job: 'node' };
    const a = alertFacts('a1', { job: 'node', instance: 'nas', device: 'sda' });
    const b = alertFacts('a2', { job: 'node', instance: 'nas', device: 'sdb' });
    const { state } = opened(notification([a], { groupLabels, commonLabels: { ...groupLabels, instance: 'nas', device: 'sda' } }));
    const plan = after(state, notification([a, b], { groupLabels, commonLabels: { ...groupLabels, instance: 'nas' } }));
    expect(plan.incident!.effects).toContainEqual({ type: 'threadNote', text: `Alertmanager ${TITLE} — firing: device=sdb, instance=nas` });
  });

  it('notes make Alertmanager’s text literal: no formatting, no mention can form', () => {
    const n = (alerts: typeof nas[]) => notification(alerts, { commonLabels: { alertname: '*Disk*' }, groupLabels: { alertname: '*Disk*' }, commonAnnotations: { summary: '<@1> @everyone' } });
    const { state } = opened(n([nas]));
    const plan = after(state, n([nas, alertFacts('b', { instance: '_pi_' })]));
    expect(plan.incident!.effects).toContainEqual({ type: 'threadNote', text: 'Alertmanager \\*Disk\\*: \\<@1\\> @\u200beveryone — firing: instance=\\_pi\\_' });
  });

  it('notes stay within Discord’s 2,000 characters: a long title is clipped, long lists are counted', () => {
    const many = (prefix: string) => Array.from({ length: 300 }, (_, i) => alertFacts(`${prefix}${i}`, { instance: `${prefix}-${String(i).padStart(3, '0')}` }));
    const summary = 'x'.repeat(5000);
    const olds = many('old');
    const news = many('new');
    const { state } = opened(notification(olds, { commonAnnotations: { summary } }));
    const plan = after(state, notification([...olds.map(resolvedOf), ...news], { commonAnnotations: { summary } }));
    const note = plan.incident!.effects.find((e) => e.type === 'threadNote' && e.text.startsWith('Alertmanager '))!;
    const text = (note as { text: string }).text;
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text).toMatch(new RegExp(`^Alertmanager DiskFull: x{${200 - 'DiskFull: '.length - 1}}… — firing: instance=new-000; instance=new-001; .*; … and \\d+ more — resolved: instance=old-000; .*; … and \\d+ more$`));
    const counted = [...text.matchAll(/… and (\d+) more/g)].map((m) => Number(m[1]));
    const listed = (part: string) => part.replace(/^(firing|resolved): /, '').split('; ').filter((l) => l.startsWith('instance=')).length;
    const [, firingPart, resolvedPart] = text.split(' — ');
    expect(listed(firingPart!) + counted[0]!).toBe(300);
    expect(listed(resolvedPart!) + counted[1]!).toBe(300);
    // A list that fits is not counted.
    const small = after(state, notification([...olds, news[0]!], { commonAnnotations: { summary } }));
    expect(small.incident!.effects).toContainEqual({ type: 'threadNote', text: `Alertmanager DiskFull: ${'x'.repeat(189)}… — firing: instance=new-000` });
  });

  it('a new title is a changed cause; with an alert joining, both notes in one plan', () => {
    const { state } = opened(notification([nas]));
    const n = notification([nas, pi], { commonAnnotations: { summary: 'disk full' } });
    const plan = after(state, n);
    expect(plan.outcome).toBe('changed');
    expect(plan.incident!.incident.cause).toBe('DiskFull: disk full');
    expect(plan.incident!.effects).toEqual([
      { type: 'editMessage' },
      { type: 'threadNote', text: 'DiskFull: disk full' },
      { type: 'editMessage' },
      { type: 'threadNote', text: 'Alertmanager DiskFull: disk full — firing: instance=pi' },
    ]);
    expect(plan.incident!.audit.map((a) => a.action)).toEqual(['causeChanged', 'alertsChanged']);
    // Only the title changing: the cause note alone.
    const retitled = after(state, notification([nas], { commonAnnotations: { summary: 'disk full' } }));
    expect(retitled.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'DiskFull: disk full' }]);
    expect(retitled.outcome).toBe('changed');
  });

  it('common labels that come to name a target add it to the incident (Restart is offered then)', () => {
    const { state } = opened(notification([nas]));
    const plan = after(state, notification([nas], { commonLabels: { alertname: 'DiskFull', namespace: 'home', deployment: 'hass' } }));
    expect(plan.incident!.incident.targets).toEqual(['hass']);
    expect(plan.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: 'Also affected: hass' }]);
  });

  it.each<[string, AlertNotification]>([
    ['Alertmanager says resolved', notification([resolvedOf(nas)])],
    ['firing with no alert firing any more', notification([resolvedOf(nas)], { status: 'firing' })],
    ['resolved, even if an alert still says firing', notification([nas], { status: 'resolved' })],
  ])('resolves when %s: the message says why, a quiet note, the thread archived', (_, n) => {
    const { state } = opened(notification([nas]));
    const plan = after(state, n, T0 + 30 * MIN);
    expect(plan.outcome).toBe('resolved');
    expect(plan.group.incidentId).toBe(7);
    const cause = `Alertmanager reports ${TITLE} resolved`;
    expect(plan.incident!.incident).toEqual({ ...state.incident, state: 'resolved', resolvedAt: T0 + 30 * MIN, cause });
    expect(plan.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: `Resolved: ${cause}` }, { type: 'archiveThread' }]);
    expect(plan.incident!.audit).toEqual([{ at: T0 + 30 * MIN, actor: 'alertmanager', action: 'resolved', subject: SUBJECT, incidentId: 7, reason: null, detail: { cause, openFor: 30 * MIN } }]);
  });

  it('a resolved group told again that it is resolved changes nothing and keeps its incident id', () => {
    const { state } = opened(notification([nas]));
    const done = after(state, notification([resolvedOf(nas)]));
    const again = after({ group: done.group, incident: done.incident!.incident }, notification([resolvedOf(nas)]), T0 + 2 * MIN);
    expect(again).toMatchObject({ outcome: 'ignored', incident: null, group: { incidentId: 7 } });
  });

  it('a resolved notification of a group never seen opens nothing and has no incident', () => {
    expect(planAlertNotification(input(notification([resolvedOf(nas)])))).toMatchObject({ outcome: 'ignored', incident: null, group: { incidentId: null } });
  });

  it.each<[string, number, { id: number | null; reopenCount: number }]>([
    ['within the reopen window: the same incident reopens and rings', 10 * MIN, { id: 7, reopenCount: 1 }],
    ['just after the window: a new incident', 10 * MIN + 1, { id: null, reopenCount: 0 }],
  ])('firing again %s', (_, gap, expected) => {
    const { state } = opened(notification([nas]));
    const done = after(state, notification([resolvedOf(nas)]), T0 + MIN);
    const resolved = done.incident!.incident;
    // Firing again is a new firing of the alert: Alertmanager (Prometheus) gives it a new start.
    const plan = after({ group: done.group, incident: resolved }, notification([{ ...nas, startsAt: T0 + MIN + gap }]), T0 + MIN + gap, { openIncidents: [] });
    expect(plan.outcome).toBe('opened');
    expect(plan.incident!.incident).toMatchObject({ ...expected, state: 'open', cause: TITLE });
    expect(plan.group.incidentId).toBe(expected.id);
  });
});

describe('planAlertNotification: silences', () => {
  const ownScope = { kind: 'alert' as const, name: SUBJECT.slice('alert:'.length) };

  it('a silence of the group’s subject holds the ring back', () => {
    const plan = planAlertNotification(input(notification([nas]), { silences: [silence({ scope: ownScope, createdBy: 'u', reason: '' })] }));
    expect(plan.incident!.effects).toEqual([{ type: 'postMessage', mention: false }]);
  });

  it.each<[string, ReturnType<typeof silence>[], boolean]>([
    ['no silence: it rings', [], true],
    ['a silence of this group holds the ring back', [silence({ scope: ownScope })], false],
    ['a silence of everything holds it back', [silence({ scope: { kind: 'everything' } })], false],
    ['a silence of another group does not', [silence({ scope: { kind: 'alert', name: '00000000000000ff' } })], true],
    ['a silence of this group that has ended does not', [silence({ scope: ownScope, endsAt: T0 })], true],
    ['a silence of this group that was lifted does not', [silence({ scope: ownScope, liftedAt: T0 - 1 })], true],
    // Silences start when made: one dated after now only means the clock stepped back, and it holds.
    ['a silence of this group made "after" now (the clock stepped back) holds it back', [silence({ scope: ownScope, startsAt: T0 + 1 })], false],
  ])('%s', (_, silences, rings) => {
    const plan = planAlertNotification(input(notification([nas]), { silences }));
    expect(plan.incident!.effects[0]).toEqual({ type: 'postMessage', mention: rings });
    expect(plan.incident!.incident.notifiedAt).toBe(rings ? T0 : null);
  });

  it.each<[string, ReturnType<typeof silence>[], boolean]>([
    ['a silence of the one target it names holds the ring back, as the message and the escalation will', [silence({ scope: { kind: 'target', name: 'hass' } })], false],
    ['a silence of another target does not', [silence({ scope: { kind: 'target', name: 'frigate' } })], true],
  ])('a new group naming a target: %s', (_, silences, rings) => {
    const n = notification([alertFacts('h1', { namespace: 'home', deployment: 'hass' })], { commonLabels: { alertname: 'DiskFull', namespace: 'home', deployment: 'hass' } });
    const plan = planAlertNotification(input(n, { silences }));
    expect(plan.incident!.incident.targets).toEqual(['hass']);
    expect(plan.incident!.effects[0]).toEqual({ type: 'postMessage', mention: rings });
  });

  it('a reopen under a silence of the group is quiet', () => {
    const { state } = opened(notification([nas]));
    const done = after(state, notification([resolvedOf(nas)]));
    const plan = after({ group: done.group, incident: done.incident!.incident }, notification([{ ...nas, startsAt: T0 + 2 * MIN }]), T0 + 2 * MIN, { silences: [silence({ scope: ownScope })] });
    expect(plan.incident!.effects.map((e) => e.type)).toEqual(['editMessage', 'threadNote']);
  });
});

describe('planAlertNotification: joining the incident of a target or node it names', () => {
  const hassLabels = { alertname: 'DiskFull', namespace: 'home', deployment: 'hass' };
  const hassAlert = alertFacts('h1', { namespace: 'home', deployment: 'hass', instance: 'nas' });
  const hassIncident = incident({ id: 3, subject: 'target:hass', targets: ['hass'], cause: 'hass is down' });
  const nodeIncident = incident({ id: 4, subject: 'node:node-a', kind: 'node', targets: ['frigate', 'hass'], cause: 'node-a is NotReady' });

  it('joins the open incident of the node or target its common labels name, and only notes changes there', () => {
    const nodeA = incident({ id: 3, subject: 'node:node-a', kind: 'node', targets: ['frigate'] });
    const n = notification([alertFacts('n1', { node: 'node-a' })], { commonLabels: { alertname: 'DiskFull', node: 'node-a' } });
    const plan = planAlertNotification(input(n, { openIncidents: [nodeA] }));
    expect(plan.outcome).toBe('joined');
    expect(plan.group.incidentId).toBe(3);
    expect(plan.incident!.incident.id).toBe(3);
    expect(plan.incident!.effects.map((e) => e.type)).toEqual(['editMessage', 'threadNote']);
    // Alertmanager resolving never resolves stormguard's own incident.
    const resolved = after({ group: plan.group, incident: nodeA }, { ...n, status: 'resolved', alerts: [{ ...n.alerts[0]!, status: 'resolved' }] });
    expect(resolved.incident!.incident.state).toBe('open');
    expect(resolved.incident!.effects).toContainEqual({ type: 'threadNote', text: 'Alertmanager DiskFull: disk almost full — resolved: node=node-a' });
  });

  it('a watched node without an open incident, with watchNodes off, or an unknown node: the group has its own incident', () => {
    const n = notification([alertFacts('n1', { node: 'node-a' })], { commonLabels: { alertname: 'DiskFull', node: 'node-a' } });
    const nodeA = incident({ id: 3, subject: 'node:node-a', kind: 'node' });
    expect(planAlertNotification(input(n)).outcome).toBe('opened');
    const off = input(n, { openIncidents: [nodeA] });
    expect(planAlertNotification({ ...off, config: { ...off.config, watchNodes: false } }).outcome).toBe('opened');
  });

  it('joins the target’s open incident: an edit and a note saying which alert joined, audited as alertmanager', () => {
    const n = notification([hassAlert, alertFacts('h2', { namespace: 'home', deployment: 'hass', instance: 'pi' })], { commonLabels: hassLabels });
    const plan = planAlertNotification(input(n, { openIncidents: [hassIncident] }));
    const text = `Alertmanager alert joined: ${TITLE} (2 alerts firing)`;
    expect(plan).toMatchObject({ outcome: 'joined', group: { incidentId: 3, subject: SUBJECT } });
    expect(plan.incident).toEqual({
      incident: hassIncident,
      effects: [{ type: 'editMessage' }, { type: 'threadNote', text }],
      audit: [{ at: T0, actor: 'alertmanager', action: 'alertsChanged', subject: 'target:hass', incidentId: 3, reason: null, detail: { text } }],
      restarts: [],
    });
  });

  it('the join note is literal too', () => {
    const n = notification([hassAlert], { commonLabels: { ...hassLabels, alertname: '`x`' }, commonAnnotations: {} });
    const plan = planAlertNotification(input(n, { openIncidents: [hassIncident], config: { ...input(n).config, titleLabels: ['alertname'] } }));
    expect(plan.incident!.effects).toContainEqual({ type: 'threadNote', text: 'Alertmanager alert joined: \\`x\\` (1 alert firing)' });
  });

  it('one alert firing is “1 alert”', () => {
    const plan = planAlertNotification(input(notification([hassAlert], { commonLabels: hassLabels }), { openIncidents: [hassIncident] }));
    expect(plan.incident!.effects).toContainEqual({ type: 'threadNote', text: `Alertmanager alert joined: ${TITLE} (1 alert firing)` });
  });

  it.each<[string, Incident[], number | null]>([
    ['the target’s own incident before a node incident listing it', [nodeIncident, hassIncident], 3],
    ['a node incident listing the target', [nodeIncident], 4],
    ['an acknowledged incident is still open', [{ ...hassIncident, state: 'acknowledged', acknowledgedBy: '42' }], 3],
    ['a resolved incident is not joined', [{ ...hassIncident, state: 'resolved', resolvedAt: T0 - MIN }], null],
    ['another target’s incident is not joined', [incident({ id: 5 })], null],
    ['a node incident not listing it is not joined', [{ ...nodeIncident, targets: ['frigate'] }], null],
    ['another group’s alert incident listing it is not joined: groups never merge', [incident({ id: 6, subject: 'alert:00000000000000ff', kind: 'alert', targets: ['hass'] })], null],
  ])('%s', (_, openIncidents, joinedId) => {
    const plan = planAlertNotification(input(notification([hassAlert], { commonLabels: hassLabels }), { openIncidents }));
    if (joinedId === null) {
      expect(plan.outcome).toBe('opened');
      expect(plan.incident!.incident).toMatchObject({ id: null, subject: SUBJECT, kind: 'alert', targets: ['hass'] });
    } else {
      expect(plan).toMatchObject({ outcome: 'joined', group: { incidentId: joinedId } });
    }
  });

  it('of several targets named, the first by name that has an incident', () => {
    const targets = [target('frigate', { namespace: 'home', workload: { kind: 'Deployment', name: 'web' } }), target('alpha', { namespace: 'home', workload: { kind: 'Deployment', name: 'web' } })];
    const frigateIncident = incident({ id: 8, subject: 'target:frigate', targets: ['frigate'] });
    const alphaIncident = incident({ id: 9, subject: 'target:alpha', targets: ['alpha'] });
    const n = notification([alertFacts('w', { namespace: 'home', deployment: 'web' })], { commonLabels: { alertname: 'DiskFull', namespace: 'home', deployment: 'web' } });
    const base = input(n);
    const join = (openIncidents: Incident[]) => planAlertNotification({ ...base, openIncidents, config: { ...base.config, targets } }).group.incidentId;
    expect(join([frigateIncident, alphaIncident])).toBe(9);
    expect(join([frigateIncident])).toBe(8);
  });

  it('only the common labels count: alerts naming different targets keep their own incident', () => {
    const n = notification([hassAlert, alertFacts('f1', { namespace: 'nvr', deployment: 'frigate' })]);
    expect(planAlertNotification(input(n, { openIncidents: [hassIncident] })).outcome).toBe('opened');
  });

  it.each<[string, Record<string, string>, boolean, Incident[], number | null]>([
    ['a watched node’s open incident', { node: 'node-a' }, true, [nodeIncident], 4],
    ['by instance', { instance: 'node-a:9100' }, true, [nodeIncident], 4],
    ['not with watchNodes off', { node: 'node-a' }, false, [nodeIncident], null],
    ['not another node’s incident', { node: 'node-a' }, true, [{ ...nodeIncident, subject: 'node:node-b' }], null],
    ['not a node the cluster does not have', { node: 'node-z' }, true, [{ ...nodeIncident, subject: 'node:node-z' }], null],
    ['a named target’s incident before the node’s', { node: 'node-a', namespace: 'home', deployment: 'hass' }, true, [nodeIncident, { ...hassIncident, id: 3 }], 3],
  ])('joins %s', (_, labels, watchNodes, openIncidents, joinedId) => {
    const n = notification([alertFacts('n1', labels)], { commonLabels: { alertname: 'DiskFull', ...labels } });
    const base = input(n, { openIncidents, snapshot: snapshot([node('node-a'), node('node-b')], []) });
    const plan = planAlertNotification({ ...base, config: { ...base.config, watchNodes } });
    expect(plan.outcome).toBe(joinedId === null ? 'opened' : 'joined');
    expect(plan.group.incidentId).toBe(joinedId);
  });

  function joinedState() {
    const n = notification([hassAlert], { commonLabels: hassLabels });
    const plan = planAlertNotification(input(n, { openIncidents: [hassIncident] }));
    return { group: plan.group, incident: hassIncident };
  }

  it('there, a repeat changes nothing and a change is a note only; Alertmanager resolving never resolves it', () => {
    const state = joinedState();
    const repeat = after(state, notification([hassAlert], { commonLabels: hassLabels }));
    expect(repeat).toMatchObject({ outcome: 'repeat', incident: null, group: { incidentId: 3 } });
    const pi2 = alertFacts('h2', { namespace: 'home', deployment: 'hass', instance: 'pi' });
    const joined = after(state, notification([hassAlert, pi2], { commonLabels: hassLabels }));
    expect(joined.outcome).toBe('changed');
    expect(joined.incident!.incident).toEqual(hassIncident);
    expect(joined.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: `Alertmanager ${TITLE} — firing: deployment=hass, instance=pi, namespace=home` }]);
    const resolved = after(state, notification([resolvedOf(hassAlert)], { commonLabels: hassLabels }));
    expect(resolved).toMatchObject({ outcome: 'changed', group: { incidentId: 3 } });
    expect(resolved.incident!.incident).toEqual(hassIncident);
    expect(resolved.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: `Alertmanager ${TITLE} — resolved: deployment=hass, instance=nas, namespace=home` }]);
  });

  it('there, Alertmanager saying the group is resolved counts, whatever its alerts say', () => {
    const state = joinedState();
    const resolved = after(state, notification([hassAlert], { status: 'resolved', commonLabels: hassLabels }));
    expect(resolved.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: `Alertmanager ${TITLE} — resolved: deployment=hass, instance=nas, namespace=home` }]);
  });

  it('there, a repeat of the resolved notification changes nothing', () => {
    const state = joinedState();
    const resolvedN = notification([resolvedOf(hassAlert)], { commonLabels: hassLabels });
    const resolved = after(state, resolvedN);
    const repeat = after({ group: resolved.group, incident: hassIncident }, resolvedN, T0 + 2 * MIN);
    expect(repeat).toMatchObject({ outcome: 'repeat', incident: null, group: { incidentId: 3 } });
  });

  it('there, firing again after it resolved is a note', () => {
    const state = joinedState();
    const resolved = after(state, notification([resolvedOf(hassAlert)], { commonLabels: hassLabels }));
    const again = after({ group: resolved.group, incident: hassIncident }, notification([{ ...hassAlert, startsAt: T0 + 2 * MIN }], { commonLabels: hassLabels }), T0 + 2 * MIN);
    expect(again.outcome).toBe('changed');
    expect(again.incident!.effects).toEqual([{ type: 'editMessage' }, { type: 'threadNote', text: `Alertmanager ${TITLE} — firing: deployment=hass, instance=nas, namespace=home` }]);
  });

  it('once that incident is over, a group still firing gets its own incident naming the target', () => {
    const state = joinedState();
    const over = { ...hassIncident, state: 'resolved' as const, resolvedAt: T0 + MIN };
    const plan = after({ group: state.group, incident: over }, notification([hassAlert], { commonLabels: hassLabels }), T0 + 2 * MIN, { ownIncident: null, openIncidents: [] });
    expect(plan.outcome).toBe('opened');
    expect(plan.incident!.incident).toMatchObject({ id: null, subject: SUBJECT, kind: 'alert', targets: ['hass'], cause: TITLE });
  });

  it('an alert incident of its own that is open is kept even when a target incident opens later', () => {
    const { state } = opened(notification([hassAlert], { commonLabels: hassLabels }));
    const plan = after(state, notification([hassAlert], { commonLabels: hassLabels }), T0 + MIN, { openIncidents: [state.incident, hassIncident] });
    expect(plan).toMatchObject({ outcome: 'repeat', incident: null, group: { incidentId: 7 } });
  });
});

describe('rendering an alert incident', () => {
  it('lists the firing alerts with their own labels and source links, escapes label text, and links the silence page', () => {
    const { plan } = opened(notification([nas, alertFacts('a3', { instance: '*bold* @everyone' })]));
    const message = renderIncident(alertView({ ...plan.incident!.incident, id: 7 }, { ...plan.group, incidentId: 7 }));
    expect(message.title).toBe('Alert: DiskFull: disk almost full');
    expect(message.description).toContain('🔴 instance=nas [source](http://prom:9090/graph)');
    expect(message.description).toContain('instance=\\*bold\\* @\u200beveryone');
    expect(message.fields.find((f) => f.name === 'Alertmanager')!.value).toBe(
      `[Silence in Alertmanager](http://am:9093/#/silences/new?filter=${encodeURIComponent('{alertname="DiskFull"}')})`,
    );
  });

  it('is titled by its group in the one incidentTitle every channel uses (thread, email, push), never by alert:<hash>', () => {
    const { plan } = opened(notification([nas]));
    const open = alertView({ ...plan.incident!.incident, id: 7 }, { ...plan.group, title: 'DiskFull: now 99%' });
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
    const message = renderIncident(alertView({ ...plan.incident!.incident, id: 7 }, plan.group));
    expect(message.description.length).toBeLessThanOrEqual(4096);
    const shown = message.description.split('\n').filter((l) => l.startsWith('🔴')).length;
    expect(message.description).toMatch(new RegExp(`…and ${200 - shown + 50} more firing$`));
    expect(message.title.length).toBeLessThanOrEqual(256);
  });
});
