import { describe, expect, it } from 'vitest';
import type { AlertFacts, AlertNotification } from '../../src/core/alertmanager.js';
import type { CycleInput } from '../../src/core/plan.js';
import { splitWatchdog, watchdogEvent, WATCHDOG_SUBJECT } from '../../src/core/watchdog.js';
import { HOUR, node, snapshot, T0 } from './fixtures.js';
import { Loop } from './loop.js';

const T = Date.parse('2026-12-07T02:14:30Z');
const MIN = 60_000;
const alert = (alertname: string, status: AlertFacts['status'] = 'firing'): AlertFacts => ({ fingerprint: alertname, status, labels: { alertname }, annotations: {}, startsAt: T, endsAt: null, generatorURL: '' });
const notification = (alerts: AlertFacts[]): AlertNotification => ({ receiver: 'stormguard', status: 'firing', groupKey: '{}:{}', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts, truncatedAlerts: 0 });

describe('splitWatchdog', () => {
  it('a notification of the Watchdog alone is seen and makes no card', () => {
    expect(splitWatchdog(notification([alert('Watchdog')]), 'Watchdog')).toEqual({ seen: true, rest: null });
  });
  it('a resolved Watchdog is not a sign of life, and still makes no card', () => {
    expect(splitWatchdog(notification([alert('Watchdog', 'resolved')]), 'Watchdog')).toEqual({ seen: false, rest: null });
  });
  it('other alerts grouped with it go on without it', () => {
    const split = splitWatchdog(notification([alert('Watchdog'), alert('DiskFull')]), 'Watchdog');
    expect(split.seen).toBe(true);
    expect(split.rest?.alerts.map((a) => a.labels['alertname'])).toEqual(['DiskFull']);
  });
  it('a notification without it is untouched; the alertname is configurable', () => {
    const n = notification([alert('Watchdog')]);
    expect(splitWatchdog(n, 'DeadMansSwitch')).toEqual({ seen: false, rest: n });
  });
});

describe('watchdogEvent', () => {
  const base = { within: 10 * MIN, lastSeenAt: T, watchingSince: T - 60 * MIN, open: false };
  const silent = { type: 'fail', subject: WATCHDOG_SUBJECT, kind: 'setup', targets: [], cause: 'no Watchdog from Alertmanager since 02:14 — the alerting pipeline is silent' };
  it.each([
    ['heard 9m59s ago: nothing', { now: T + 10 * MIN - 1000 }, null],
    ['silent for exactly `within`: the incident', { now: T + 10 * MIN }, silent],
    ['still silent, already open: the same cause (nothing changes)', { now: T + 60 * MIN, open: true }, silent],
    ['heard again while open: resolved', { now: T + 60 * MIN, lastSeenAt: T + 59 * MIN, open: true }, { type: 'recover', cause: "Alertmanager's Watchdog arrives again — the alerting pipeline works" }],
    ['never heard: counted from when stormguard began waiting', { now: T + 10 * MIN, lastSeenAt: null, watchingSince: T }, silent],
    ['never heard, waiting less than `within`: nothing', { now: T + 9 * MIN, lastSeenAt: null, watchingSince: T }, null],
    ['heard "in the future" (the clock stepped back): counts as now', { now: T, lastSeenAt: T + 60 * MIN }, null],
  ])('%s', (_name, input, expected) => {
    expect(watchdogEvent({ ...base, ...input })).toEqual(expected);
  });
});

describe('planCycle: the Watchdog incident', () => {
  const config: CycleInput['config'] = { targets: [], watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } };
  const ok = snapshot([node('node-a')], []);
  const down: CycleInput['snapshot'] = { reachable: false, observedAt: T0, error: 'ECONNREFUSED' };

  it('opens once and rings once however long the silence (the API down or not), and resolves when heard again', () => {
    const watchdog = { within: 10 * MIN, lastSeenAt: T0 as number | null, watchingSince: T0 - HOUR };
    const loop = new Loop({ config, silences: [], watchdog });
    loop.cycle(T0 + 9 * MIN, ok, []);
    expect(loop.incidents).toEqual([]);
    loop.cycle(T0 + 10 * MIN, ok, []);
    loop.cycle(T0 + 11 * MIN, down, []);
    loop.cycle(T0 + 40 * MIN, ok, []);
    expect(loop.incidents).toMatchObject([{ subject: WATCHDOG_SUBJECT, kind: 'setup', state: 'open', cause: 'no Watchdog from Alertmanager since 20:00 — the alerting pipeline is silent' }]);
    expect(loop.effects('postMessage')).toEqual([{ type: 'postMessage', mention: true }]);
    expect(loop.effects('editMessage')).toEqual([]);
    watchdog.lastSeenAt = T0 + 41 * MIN;
    loop.cycle(T0 + 41 * MIN, ok, []);
    expect(loop.incidents).toMatchObject([{ subject: WATCHDOG_SUBJECT, state: 'resolved' }]);
  });

  it('an open Watchdog incident resolves when alertmanager.watchdog is taken out of the configuration', () => {
    const base: Omit<CycleInput, 'now' | 'observations' | 'targetStates' | 'incidents' | 'restarts' | 'snapshot' | 'clusterState'> = { config, silences: [], watchdog: { within: 10 * MIN, lastSeenAt: null, watchingSince: T0 } };
    const loop = new Loop(base);
    loop.cycle(T0 + 10 * MIN, ok, []);
    expect(loop.incidents).toMatchObject([{ state: 'open' }]);
    delete base.watchdog;
    loop.cycle(T0 + 11 * MIN, ok, []);
    expect(loop.incidents).toMatchObject([{ state: 'resolved' }]);
  });
});
