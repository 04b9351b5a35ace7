import { describe, expect, it } from 'vitest';
import { alertsToSilence, markedSubject, matchersOfAlert, planGroupSilences, silenceMarker, type HeldSilence } from '../../src/core/alertSilences.js';
import { alertFacts, notification } from './alerts.js';
import { T0 } from './fixtures.js';

const frontend = { alertname: 'CPUThrottlingHigh', namespace: 'shop', deployment: 'frontend' };
const cart = { alertname: 'CPUThrottlingHigh', namespace: 'shop', deployment: 'cart' };
const held = (id: string, labels: Record<string, string>): HeldSilence => ({ id, matchers: matchersOfAlert(labels).reverse(), startsAt: T0 });

describe('the matchers of one alert', () => {
  it('are an equality on every one of its labels, by name', () => {
    expect(matchersOfAlert({ namespace: 'shop', alertname: 'X' })).toEqual([
      { name: 'alertname', value: 'X', isRegex: false, isEqual: true },
      { name: 'namespace', value: 'shop', isRegex: false, isEqual: true },
    ]);
  });
});

describe('alertsToSilence: what stormguard was told about', () => {
  it('the firing alerts of the last notification, each once', () => {
    const n = notification([alertFacts('a', frontend), alertFacts('b', cart, 'resolved'), alertFacts('c', frontend)]);
    expect(alertsToSilence(n)).toEqual([frontend]);
  });

  it('every alert it names when none fires any more', () => {
    const n = notification([alertFacts('a', frontend, 'resolved'), alertFacts('b', cart, 'resolved')], { status: 'resolved' });
    expect(alertsToSilence(n)).toEqual([frontend, cart]);
  });
});

describe('planGroupSilences: updated, never stacked', () => {
  it('creates one silence per alert when Alertmanager holds none', () => {
    expect(planGroupSilences([frontend, cart], [], true)).toEqual([
      { kind: 'create', matchers: matchersOfAlert(frontend) },
      { kind: 'create', matchers: matchersOfAlert(cart) },
    ]);
  });

  it('updates the silence it holds for an alert (matchers in any order, its start kept) and creates the missing one', () => {
    const h = held('s1', cart);
    expect(planGroupSilences([frontend, cart], [h], true)).toEqual([
      { kind: 'create', matchers: matchersOfAlert(frontend) },
      { kind: 'update', id: 's1', matchers: h.matchers, startsAt: T0 },
    ]);
  });

  it('keeps extending the silences of alerts the group named before', () => {
    const h = held('s1', cart);
    expect(planGroupSilences([frontend], [h], true)).toEqual([
      { kind: 'create', matchers: matchersOfAlert(frontend) },
      { kind: 'update', id: 's1', matchers: h.matchers, startsAt: T0 },
    ]);
  });

  it('two silences held for one alert (an older stormguard stacked them) are both updated, none created', () => {
    const plan = planGroupSilences([frontend], [held('s1', frontend), held('s2', frontend)], true);
    expect(plan.map((c) => [c.kind, 'id' in c ? c.id : null])).toEqual([
      ['update', 's1'],
      ['update', 's2'],
    ]);
  });

  it('expires everything it holds when stormguard holds no silence', () => {
    expect(planGroupSilences([frontend], [held('s1', frontend), held('s2', cart)], false)).toEqual([
      { kind: 'expire', id: 's1' },
      { kind: 'expire', id: 's2' },
    ]);
  });
});

describe('the tag that finds stormguard’s silences again', () => {
  it('names the group’s subject at the end of the comment, and only there', () => {
    const comment = `stormguard incident #3: X (maintenance) https://discord.com/channels/1/2/3 ${silenceMarker('alert:00ff')}`;
    expect(markedSubject(comment)).toBe('alert:00ff');
    expect(markedSubject('UPS maintenance')).toBeNull();
    expect(markedSubject(`${silenceMarker('alert:00ff')} and more`)).toBeNull();
    expect(markedSubject('[stormguard target:frigate]')).toBeNull();
  });
});
