import { describe, expect, it } from 'vitest';
import {
  durationText,
  incidentFigure,
  milestonesOf,
  TIMELINE_KINDS,
  timelineActor,
  timelineKind,
  timelineOf,
  timelineSource,
  type StoredAudit,
  type TimelineEntry,
  type TimelineKind,
} from '../../src/core/timeline.js';
import { deliveryRecords } from '../../src/core/delivery.js';
import { incident, MIN, SEC, T0 } from './fixtures.js';

const USER = '200000000000000001';

/** An audit record as the store gives it back, typed by the core's own mapping. */
function rec(action: string, overrides: Partial<StoredAudit> = {}): StoredAudit {
  const base = { at: T0, actor: 'scheduler', action, subject: 'target:frigate', incidentId: 7, reason: null, detail: {}, ...overrides };
  return { ...base, kind: overrides.kind !== undefined ? overrides.kind : timelineKind(base.action, base.reason, base.detail), source: overrides.source ?? timelineSource(base.actor, base.action, base.reason, base.detail) };
}

function entry(kind: TimelineKind, at: number): TimelineEntry {
  return { at, kind, actor: { type: 'stormguard' }, source: 'automatic', text: '', reason: null, refs: {} };
}

describe('timelineKind: every audit action read as a timeline kind', () => {
  it.each([
    ['opened', null, {}, 'detected'],
    ['posted', null, {}, 'opened'],
    ['rung', 'open', {}, 'rung'],
    ['acknowledged', null, {}, 'acknowledged'],
    ['silenced', null, {}, 'silenced'],
    ['silenceLifted', null, {}, 'silenceLifted'],
    ['maintenanceStarted', null, {}, 'maintenanceStarted'],
    ['maintenanceEnded', null, {}, 'maintenanceEnded'],
    ['maintenanceChanged', null, { text: 'In a maintenance window until 04:00 UTC' }, 'maintenanceStarted'],
    ['maintenanceDeclared', null, {}, 'maintenanceStarted'],
    ['notificationMuted', 'maintenance', {}, 'maintenanceStarted'],
    ['maintenanceWindowEnded', null, {}, 'maintenanceEnded'],
    ['maintenanceEndedEarly', null, {}, 'maintenanceEnded'],
    ['maintenanceOverran', null, { text: "node-a's maintenance overran: NotReady for 47m" }, 'changed'],
    ['restartRequested', null, {}, 'restartRequested'],
    ['restartRefused', 'nodeNotReady', {}, 'restartRefused'],
    ['restartSkipped', 'nodeNotReady', {}, 'restartRefused'],
    ['restartSucceeded', null, {}, 'restartSucceeded'],
    ['restartFailed', 'boom', {}, 'restartFailed'],
    ['diagnosisChanged', 'imagePull', {}, 'diagnosisChanged'],
    ['escalated', 'unacknowledged', {}, 'escalated'],
    ['emailSent', 'fallback', {}, 'emailFallbackSent'],
    ['emailSent', 'escalation', {}, 'rung'],
    ['emailSent', null, {}, 'rung'],
    ['reopened', null, {}, 'reopened'],
    ['resolved', null, {}, 'resolved'],
    ['note', null, {}, 'note'],
    ['targetsAdded', null, {}, 'changed'],
    ['causeChanged', null, {}, 'changed'],
    ['alertsChanged', null, {}, 'changed'],
    ['namedTargetsChanged', null, {}, 'changed'],
    ['circuitOpen', 'circuitOpen', {}, 'changed'],
    ['silenceChanged', null, { lifted: false, text: 'x lifted by y' }, 'silenced'],
    ['silenceChanged', null, { lifted: true, text: 'Silenced frigate' }, 'silenceLifted'],
    ['silenceChanged', null, { text: 'Silenced frigate until <t:1:f> by <@1>' }, 'silenced'],
    ['silenceChanged', null, { text: 'Silence on frigate lifted by <@1>' }, 'silenceLifted'],
    ['silenceChanged', null, {}, 'silenced'],
    ['silenceRefused', 'alertmanagerError', {}, 'refused'],
    ['buttonRefused', 'unknownButton', {}, 'refused'],
    ['notified', 'open', {}, null],
    ['notificationMuted', 'silenced', {}, null],
    ['fallbackEmailQueued', 'discordUnreachable', {}, null],
    ['somethingNew', null, {}, null],
  ] as const)('%s (%s, %j) → %s', (action, reason, detail, kind) => {
    expect(timelineKind(action, reason, detail)).toBe(kind);
  });

  it('gives every kind it returns from the declared list (the migration’s CHECK lists the same)', () => {
    expect(new Set(TIMELINE_KINDS).size).toBe(TIMELINE_KINDS.length);
    expect(TIMELINE_KINDS).toContain('note');
  });
});

describe('timelineSource: where a record came from', () => {
  it.each([
    ['scheduler', 'restartSkipped', null, {}, 'automatic'],
    ['alertmanager', 'opened', null, {}, 'alertmanager'],
    ['alertmanager', 'rung', null, {}, 'alertmanager'],
    [USER, 'acknowledged', null, { via: 'button' }, 'button'],
    [USER, 'acknowledged', null, { via: 'slashCommand' }, 'slashCommand'],
    [USER, 'acknowledged', null, { via: 'api' }, 'api'],
    [USER, 'acknowledged', null, { via: 'carrier pigeon' }, 'slashCommand'],
    [USER, 'restartRequested', 'Restart button', {}, 'button'],
    [USER, 'silenced', 'Silence 1h button', {}, 'button'],
    [USER, 'silenced', 'buttons are nice', {}, 'slashCommand'],
    [USER, 'restartRequested', 'the button', {}, 'button'],
    [USER, 'restartRequested', 'buttonless', {}, 'slashCommand'],
    [USER, 'acknowledged', null, {}, 'slashCommand'],
    // What stormguard carries out on a person's behalf is automatic.
    [USER, 'restartSucceeded', null, {}, 'automatic'],
    [USER, 'restartFailed', 'boom', {}, 'automatic'],
    [USER, 'posted', null, {}, 'automatic'],
    [USER, 'rung', null, {}, 'automatic'],
    [USER, 'emailSent', null, {}, 'automatic'],
  ] as const)('%s %s (%s, %j) → %s', (actor, action, reason, detail, source) => {
    expect(timelineSource(actor, action, reason, detail)).toBe(source);
  });
});

describe('timelineActor', () => {
  it('reads the scheduler as stormguard, alertmanager as Alertmanager, anything else as a Discord user', () => {
    expect(timelineActor('scheduler')).toEqual({ type: 'stormguard' });
    expect(timelineActor('alertmanager')).toEqual({ type: 'alertmanager' });
    expect(timelineActor(USER)).toEqual({ type: 'user', id: USER });
  });
});

describe('timelineOf', () => {
  it('leaves bookkeeping out and keeps the order of records written at one moment', () => {
    const entries = timelineOf([
      rec('opened', { detail: { cause: 'frigate is down' } }),
      rec('notified', { reason: 'open' }),
      rec('posted', { detail: { messageId: '42' } }),
      rec('rung', { reason: 'open', detail: { where: 'discordRole' } }),
    ]);
    expect(entries.map((e) => e.kind)).toEqual(['detected', 'opened', 'rung']);
  });

  it('reads a silence of an Alertmanager incident once: the person’s record (with Alertmanager’s ids), not also the incident’s note of it', () => {
    const entries = timelineOf([
      rec('silenced', { actor: USER, detail: { until: T0 + MIN, alertmanagerSilences: ['am-1'] } }),
      rec('silenceChanged', { actor: USER, detail: { text: 'Silenced', until: T0 + MIN, lifted: false } }),
      rec('silenceLifted', { at: T0 + 30 * SEC, actor: USER }),
      rec('silenceChanged', { at: T0 + 30 * SEC, actor: USER, detail: { text: 'lifted', lifted: true } }),
      // Another moment or another person is another entry.
      rec('silenceChanged', { at: T0 + 40 * SEC, actor: USER, detail: { text: 'Silenced', until: T0 + MIN, lifted: false } }),
      rec('silenceChanged', { at: T0 + 30 * SEC, actor: 'someone-else', detail: { text: 'lifted', lifted: true } }),
      rec('silenceChanged', { at: T0 + 30 * SEC, actor: USER, detail: { text: 'Silenced again', until: T0 + MIN, lifted: false } }),
    ]);
    expect(entries.map((e) => [e.kind, e.at - T0, e.actor.type === 'user' ? e.actor.id : '', e.refs])).toEqual([
      ['silenced', 0, USER, { alertmanagerSilenceIds: ['am-1'] }],
      ['silenceLifted', 30 * SEC, USER, {}],
      ['silenceLifted', 30 * SEC, 'someone-else', {}],
      ['silenced', 30 * SEC, USER, {}],
      ['silenced', 40 * SEC, USER, {}],
    ]);
  });

  it('orders by time (a record appended late about an earlier moment goes where it belongs)', () => {
    const entries = timelineOf([rec('resolved', { at: T0 + 2 * MIN }), rec('acknowledged', { at: T0 + MIN, actor: USER }), rec('note', { at: T0 + 2 * MIN, actor: USER, detail: { text: 'after' } })]);
    expect(entries.map((e) => [e.kind, e.at])).toEqual([
      ['acknowledged', T0 + MIN],
      ['resolved', T0 + 2 * MIN],
      ['note', T0 + 2 * MIN],
    ]);
  });

  it('types actor, source, reason and references', () => {
    const [requested, silenced, posted, emailed] = timelineOf([
      rec('restartRequested', { actor: USER, reason: 'Restart button', detail: { target: 'frigate', automatic: false, attemptId: 3 } }),
      rec('silenced', { actor: USER, detail: { from: T0, until: T0 + 60 * MIN, alertmanagerSilences: ['am-1', 7, 'am-2'] } }),
      rec('posted', { detail: { messageId: '1234' } }),
      rec('emailSent', { reason: 'fallback', detail: { messageId: '<x@y>' } }),
    ]);
    expect(requested).toEqual({
      at: T0,
      kind: 'restartRequested',
      actor: { type: 'user', id: USER },
      source: 'button',
      text: 'Restart of frigate requested: Restart button',
      reason: 'Restart button',
      refs: { restartAttemptId: 3 },
    });
    expect(silenced!.refs).toEqual({ alertmanagerSilenceIds: ['am-1', 'am-2'] });
    expect(posted!.refs).toEqual({ discordMessageId: '1234' });
    // An email's Message-ID is not a Discord message.
    expect(emailed!.refs).toEqual({});
    expect(emailed!.where).toBeUndefined();
  });

  it('says where a ring went', () => {
    const entries = timelineOf([
      rec('rung', { reason: 'open', detail: { where: 'discordRole', messageId: 'm' } }),
      rec('rung', { reason: 'escalation', detail: { where: 'ntfy' } }),
      rec('emailSent', { reason: 'escalation' }),
      rec('rung', { reason: 'open' }),
    ]);
    expect(entries.map((e) => [e.where, e.text])).toEqual([
      ['discordRole', 'Rang the Discord role (open)'],
      ['ntfy', 'Rang ntfy (escalation)'],
      ['email', 'Rang email (escalation)'],
      ['discordRole', 'Rang the Discord role (open)'],
    ]);
    expect(entries[0]!.refs).toEqual({});
    expect(timelineOf([rec('acknowledged')])[0]!.where).toBeUndefined();
  });

  it.each<[string, Partial<StoredAudit>, string]>([
    ['opened', { detail: { cause: 'frigate is down: HTTP 503' } }, 'Confirmed down: frigate is down: HTTP 503'],
    ['opened', {}, 'Confirmed down: target:frigate'],
    ['posted', {}, 'Incident message posted in Discord'],
    ['acknowledged', { actor: USER }, 'Acknowledged'],
    ['silenceChanged', { detail: { text: 'Silenced frigate until 21:00' } }, 'Silenced frigate until 21:00'],
    ['silenced', { detail: { until: T0 + 60 * MIN }, reason: 'upgrade' }, 'Silenced until 2026-11-25 21:00 UTC: upgrade'],
    ['silenced', { detail: { until: T0 + 60 * MIN } }, 'Silenced until 2026-11-25 21:00 UTC'],
    ['silenced', { detail: {} }, 'Silenced'],
    ['silenceChanged', { detail: { text: 'Silenced frigate until <t:1:f>', until: T0 + 60 * MIN, lifted: false }, reason: 'nap' }, 'Silenced until 2026-11-25 21:00 UTC: nap'],
    ['silenceChanged', { detail: { text: 'Silenced frigate until <t:1:f>' } }, 'Silenced frigate until <t:1:f>'],
    ['silenceLifted', {}, 'Silence lifted'],
    ['silenceLifted', { detail: { text: 'not read' } }, 'Silence lifted'],
    ['silenceChanged', { detail: { text: 'Silence on frigate lifted by <@1>', lifted: true } }, 'Silence lifted'],
    ['silenceChanged', { detail: { text: 'Silence on frigate lifted by <@1>' } }, 'Silence on frigate lifted by <@1>'],
    ['maintenanceStarted', {}, 'Maintenance started'],
    ['maintenanceStarted', { detail: { text: 'node-a drained' } }, 'node-a drained'],
    ['maintenanceEnded', {}, 'Maintenance ended'],
    ['maintenanceEnded', { detail: { text: 'node-a back' } }, 'node-a back'],
    ['restartRequested', { detail: { target: 'frigate', automatic: true } }, 'Restart of frigate requested automatically'],
    ['restartRequested', { subject: 'node:node-a', detail: {} }, 'Restart of node:node-a requested'],
    ['restartRefused', { subject: 'target:frigate', reason: 'nodeNotReady', detail: { message: 'node node-a is NotReady' } }, 'Restart of frigate refused: node node-a is NotReady'],
    ['restartSkipped', { reason: 'cooldown', detail: { target: 'hass' } }, 'Restart of hass refused: cooldown'],
    ['restartSkipped', { subject: 'node:n', detail: {} }, 'Restart of node:n refused: no reason given'],
    ['restartSucceeded', { detail: { target: 'frigate' } }, 'Restart of frigate carried out'],
    ['restartFailed', { reason: 'HTTP 403', detail: { target: 'frigate' } }, 'Restart of frigate failed: HTTP 403'],
    ['restartFailed', { detail: { target: 'frigate' } }, 'Restart of frigate failed: unknown error'],
    ['diagnosisChanged', { detail: { target: 'frigate', apiReason: 'ImagePullBackOff', container: 'app', message: 'pull access denied' } }, 'Why frigate is down: ImagePullBackOff in container app: pull access denied'],
    ['diagnosisChanged', { detail: { target: 'frigate', apiReason: 'OOMKilled', container: null, message: '' } }, 'Why frigate is down: OOMKilled'],
    ['diagnosisChanged', { subject: 'node:n', detail: { apiReason: null } }, 'Kubernetes no longer reports why ? is down'],
    ['diagnosisChanged', { subject: 'node:n', detail: { apiReason: 'X' } }, 'Why ? is down: X'],
    ['escalated', { reason: 'unacknowledged' }, 'Escalated (unacknowledged)'],
    ['escalated', {}, 'Escalated'],
    ['emailSent', { reason: 'fallback' }, 'Fallback email sent: Discord could not be told'],
    ['reopened', { detail: { cause: 'HTTP 500' } }, 'Reopened: HTTP 500'],
    ['reopened', {}, 'Reopened:'],
    ['resolved', { detail: { cause: 'frigate is up' } }, 'Resolved: frigate is up'],
    ['resolved', {}, 'Resolved:'],
    ['note', { actor: USER, detail: { text: 'it was | the UPS\nreally' } }, 'it was | the UPS\nreally'],
    ['note', { actor: USER, detail: {} }, ''],
    ['targetsAdded', { detail: { targets: ['a', 'b'] } }, 'Also affected: a, b'],
    ['targetsAdded', { detail: {} }, 'Also affected: '],
    ['causeChanged', { detail: { cause: 'node is Ready again' } }, 'Cause: node is Ready again'],
    ['causeChanged', {}, 'Cause: '],
    ['circuitOpen', { detail: { target: 'frigate' } }, 'Automatic restarts of frigate stopped: needs a human'],
    ['circuitOpen', { subject: 'node:n' }, 'Automatic restarts of node:n stopped: needs a human'],
    ['alertsChanged', { detail: { text: 'DiskFull joined' } }, 'DiskFull joined'],
    ['alertsChanged', {}, 'alertsChanged'],
    ['silenceRefused', { reason: 'alertmanagerError' }, 'silence refused (alertmanagerError)'],
    ['ackRefused', {}, 'ack refused'],
  ])('%s %j reads “%s”', (action, overrides, text) => {
    expect(timelineOf([rec(action, overrides)])[0]!.text).toBe(text);
  });
});

describe('milestonesOf', () => {
  it('has nothing for an empty timeline', () => {
    expect(milestonesOf([])).toEqual({ started: null, detected: null, acknowledged: null, mitigated: null, resolved: null, mttaMs: null, mttrMs: null });
  });

  it('derives every milestone and MTTA/MTTR from the seed story', () => {
    const m = milestonesOf([
      entry('detected', T0),
      entry('rung', T0),
      entry('acknowledged', T0 + 5 * MIN),
      entry('acknowledged', T0 + 6 * MIN),
      entry('restartRequested', T0 + 7 * MIN),
      entry('restartSucceeded', T0 + 7 * MIN + SEC),
      entry('resolved', T0 + 9 * MIN),
    ]);
    expect(m).toEqual({ started: T0, detected: T0, acknowledged: T0 + 5 * MIN, mitigated: T0 + 7 * MIN + SEC, resolved: T0 + 9 * MIN, mttaMs: 5 * MIN, mttrMs: 9 * MIN });
  });

  it('starts at what the source knew (earlier than stormguard’s detection), never later than the detection', () => {
    const entries = [entry('detected', T0), entry('resolved', T0 + 10 * MIN)];
    expect(milestonesOf(entries, T0 - 2 * MIN)).toMatchObject({ started: T0 - 2 * MIN, mttrMs: 12 * MIN });
    expect(milestonesOf(entries, T0 + 2 * MIN)).toMatchObject({ started: T0, mttrMs: 10 * MIN });
    expect(milestonesOf([entry('resolved', T0)], T0 - MIN)).toMatchObject({ started: T0 - MIN, detected: null, mttrMs: MIN, mttaMs: null });
  });

  it('is not resolved while the last entry is not a resolution (a reopen after the first resolution)', () => {
    const m = milestonesOf([entry('detected', T0), entry('resolved', T0 + MIN), entry('reopened', T0 + 2 * MIN), entry('note', T0 + 3 * MIN)]);
    expect(m.resolved).toBeNull();
    expect(m.mttrMs).toBeNull();
    expect(milestonesOf([entry('detected', T0), entry('resolved', T0 + MIN), entry('reopened', T0 + 2 * MIN), entry('resolved', T0 + 4 * MIN)]).resolved).toBe(T0 + 4 * MIN);
  });

  it('counts as mitigation only a restart after which none other was asked for before the resolution', () => {
    const retried = milestonesOf([
      entry('detected', T0),
      entry('restartSucceeded', T0 + MIN),
      entry('restartRequested', T0 + 3 * MIN),
      entry('restartSucceeded', T0 + 3 * MIN),
      entry('resolved', T0 + 5 * MIN),
    ]);
    expect(retried.mitigated).toBe(T0 + 3 * MIN);
    // The request written at the same moment as the success it led to does not undo it.
    expect(milestonesOf([entry('restartRequested', T0), entry('restartSucceeded', T0), entry('restartRequested', T0), entry('resolved', T0 + MIN)]).mitigated).toBe(T0);
    expect(milestonesOf([entry('restartSucceeded', T0), entry('reopened', T0 + MIN), entry('resolved', T0 + 2 * MIN)]).mitigated).toBeNull();
    expect(milestonesOf([entry('restartFailed', T0), entry('resolved', T0 + MIN)]).mitigated).toBeNull();
    expect(milestonesOf([entry('restartSucceeded', T0)]).mitigated).toBeNull();
    expect(milestonesOf([entry('resolved', T0), entry('restartSucceeded', T0 + MIN)]).mitigated).toBeNull();
  });
});

describe('incidentFigure: what the histograms observe', () => {
  it('measures an acknowledgement from the opening and a resolution by its time open, in seconds', () => {
    expect(incidentFigure({ action: 'acknowledged', at: T0 + 90 * SEC, detail: {} }, T0)).toEqual({ metric: 'acknowledge', seconds: 90 });
    expect(incidentFigure({ action: 'resolved', at: T0 + 10 * MIN, detail: { openFor: 7 * MIN } }, T0)).toEqual({ metric: 'resolve', seconds: 420 });
    expect(incidentFigure({ action: 'resolved', at: T0 + 10 * MIN, detail: {} }, T0)).toEqual({ metric: 'resolve', seconds: 600 });
  });

  it('is never negative (a clock that stepped back) and says nothing of other records', () => {
    expect(incidentFigure({ action: 'acknowledged', at: T0 - SEC, detail: {} }, T0)).toEqual({ metric: 'acknowledge', seconds: 0 });
    expect(incidentFigure({ action: 'resolved', at: T0, detail: { openFor: -5 } }, T0)).toEqual({ metric: 'resolve', seconds: 0 });
    expect(incidentFigure({ action: 'note', at: T0, detail: {} }, T0)).toBeNull();
  });
});

describe('durationText', () => {
  it.each([
    [null, '—'],
    [0, '0s'],
    [999, '0s'],
    [1000, '1s'],
    [65_500, '1m5s'],
    [3_900_000, '1h5m'],
  ])('%s ms → %s', (ms, text) => {
    expect(durationText(ms)).toBe(text);
  });
});

describe('deliveryRecords: what a confirmed delivery adds to the timeline', () => {
  const open = incident({ id: 7 });
  const pending = (effect: Parameters<typeof deliveryRecords>[0]['effect']) => ({ id: 11, incidentId: 7, effect, attempts: 0 });

  it('records the posted message and the ring of the opening', () => {
    expect(deliveryRecords(pending({ type: 'postMessage', mention: true }), open, { postedMessageId: '99', rang: 'discordRole' }, T0)).toEqual([
      { at: T0, actor: 'scheduler', action: 'posted', subject: 'target:frigate', incidentId: 7, reason: null, detail: { messageId: '99', effectId: 11 } },
      { at: T0, actor: 'scheduler', action: 'rung', subject: 'target:frigate', incidentId: 7, reason: 'open', detail: { where: 'discordRole', effectId: 11 } },
    ]);
  });

  it('names the ring’s reason, and records nothing for a delivery that neither posted nor rang', () => {
    expect(deliveryRecords(pending({ type: 'push', reason: 'escalation' }), open, { rang: 'ntfy' }, T0).map((r) => [r.action, r.reason, r.detail.where])).toEqual([['rung', 'escalation', 'ntfy']]);
    expect(deliveryRecords(pending({ type: 'editMessage' }), open, { messageRefused: false }, T0)).toEqual([]);
    expect(deliveryRecords(pending({ type: 'editMessage' }), open, undefined, T0)).toEqual([]);
    expect(deliveryRecords(pending({ type: 'postMessage', mention: true }), incident({ id: null }), { postedMessageId: '1' }, T0)).toEqual([]);
  });
});
