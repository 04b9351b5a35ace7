import { describe, expect, it } from 'vitest';
import { activeSilenceFor, describeScope, EVERYTHING, sameScope, scopeOfSubject, silencesOfScope, silencesToLift, silenceStatus } from '../../src/core/silence.js';
import type { SilenceScope } from '../../src/core/types.js';
import { HOUR, incident, MIN, silence, T0 } from './fixtures.js';

const target = (name: string): SilenceScope => ({ kind: 'target', name });
const node = (name: string): SilenceScope => ({ kind: 'node', name });
const nodeIncident = incident({ subject: 'node:k3s-2', kind: 'node', targets: ['frigate', 'hass'] });

describe('silence scopes', () => {
  it('the Silence button silences exactly the incident’s subject', () => {
    expect(scopeOfSubject('target:frigate')).toEqual(target('frigate'));
    expect(scopeOfSubject('node:k3s-2')).toEqual(node('k3s-2'));
    expect(scopeOfSubject('cluster')).toEqual(EVERYTHING);
    // stormguard's own problems have no narrower scope than everything.
    expect(scopeOfSubject('setup:missing/ghost')).toEqual(EVERYTHING);
    expect(scopeOfSubject('observer')).toEqual(EVERYTHING);
    expect(['everything', 'frigate', 'node k3s-2']).toEqual([EVERYTHING, target('frigate'), node('k3s-2')].map((s) => describeScope(s)));
  });

  it('derives active and expired from the times, a lift ending it early', () => {
    // Silences start when made: a start after now only means the clock stepped back (still in force).
    expect(silenceStatus(silence({ startsAt: T0 + MIN }), T0)).toBe('active');
    expect(silenceStatus(silence(), T0)).toBe('active');
    expect(silenceStatus(silence({ endsAt: T0 }), T0)).toBe('expired');
    expect(silenceStatus(silence({ liftedAt: T0 }), T0)).toBe('expired');
  });
});

describe('activeSilenceFor: the one answer to "is this muted?"', () => {
  const a = (scope: SilenceScope, endsAt = T0 + HOUR, id = 1) => silence({ id, scope, endsAt });

  it('mutes an incident by its own subject or by everything, the longest first', () => {
    const own = a(node('k3s-2'), T0 + HOUR, 1);
    const all = a(EVERYTHING, T0 + 2 * HOUR, 2);
    expect(activeSilenceFor({ incident: nodeIncident }, [own], T0)).toBe(own);
    expect(activeSilenceFor({ incident: nodeIncident }, [own, all], T0)).toBe(all);
    expect(activeSilenceFor({ incident: nodeIncident }, [a(node('k3s-1'))], T0)).toBeNull();
    // A subject spelled as a name would be another target, not this node.
    expect(activeSilenceFor({ incident: nodeIncident }, [a(target('k3s-2'))], T0)).toBeNull();
  });

  it('mutes a node incident through its targets only when every one of them is silenced, until the first ends', () => {
    const frigate = a(target('frigate'), T0 + HOUR, 1);
    const hass = a(target('hass'), T0 + 30 * MIN, 2);
    expect(activeSilenceFor({ incident: nodeIncident }, [frigate], T0)).toBeNull();
    expect(activeSilenceFor({ incident: nodeIncident }, [frigate, hass], T0)).toBe(hass);
  });

  it('mutes a target by its own silence, everything, or the silence of the incident that covers it', () => {
    expect(activeSilenceFor({ target: 'frigate', incident: null }, [a(target('frigate'))], T0)).not.toBeNull();
    expect(activeSilenceFor({ target: 'frigate', incident: nodeIncident }, [a(node('k3s-2'))], T0)).not.toBeNull();
    expect(activeSilenceFor({ target: 'frigate', incident: null }, [a(node('k3s-2'))], T0)).toBeNull();
    expect(activeSilenceFor({ target: 'frigate', incident: null }, [a(target('hass'))], T0)).toBeNull();
  });

  it('ignores silences that are expired or lifted', () => {
    const gone = [silence({ endsAt: T0 }), silence({ liftedAt: T0 - 1 })];
    expect(activeSilenceFor({ target: 'frigate', incident: null }, gone, T0)).toBeNull();
  });
});

describe('silencesToLift', () => {
  const all = silence({ id: 1, scope: EVERYTHING });
  const frigate = silence({ id: 2, scope: target('frigate') });
  const k3s = silence({ id: 3, scope: node('k3s-2') });
  const hass = silence({ id: 4, scope: target('hass') });
  const ended = silence({ id: 5, scope: target('frigate'), endsAt: T0 });

  it('lifts what mutes the target — its own silence and its incident’s — never everything', () => {
    const lifted = silencesToLift({ target: 'frigate', incident: nodeIncident }, [all, frigate, k3s, hass, ended], T0);
    expect(lifted.map((s) => s.id)).toEqual([2, 3]);
  });

  it('lifts every silence still in force without a target', () => {
    expect(silencesToLift(null, [all, frigate, k3s, hass, ended], T0).map((s) => s.id)).toEqual([1, 2, 3, 4]);
  });
});

describe('describeScope: an Alertmanager group in words', () => {
  const group = { kind: 'alert' as const, name: '85944171f73967e8' };
  it.each<[string, string | null, string]>([
    ['by its incident’s title, quoted', 'Alert: DiskFull: disk almost full', '“Alert: DiskFull: disk almost full”'],
    ['made literal: it is Alertmanager’s text', 'Alert: *x* <@1> @everyone', '“Alert: \\*x\\* \\<@1\\> @\u200beveryone”'],
    ['on one line', 'Alert: a\nb', '“Alert: a b”'],
    ['clipped to 150', `Alert: ${'x'.repeat(200)}`, `“Alert: ${'x'.repeat(150 - 'Alert: '.length - 1)}…”`],
    ['exactly 150 is whole', 'x'.repeat(150), `“${'x'.repeat(150)}”`],
    ['by its subject when no incident of it is known', null, 'alert:85944171f73967e8'],
    ['by its subject for an empty title', '', 'alert:85944171f73967e8'],
  ])('%s', (_, title, words) => {
    expect(describeScope(group, title)).toBe(words);
  });

  it('a title changes nothing for other scopes', () => {
    expect([EVERYTHING, target('frigate'), node('k3s-2')].map((s) => describeScope(s, 'Alert: X'))).toEqual(['everything', 'frigate', 'node k3s-2']);
  });
});

describe('scopes at the edges', () => {
  it('a subject of no known kind is silenced only by everything', () => {
    expect(scopeOfSubject('weird')).toEqual(EVERYTHING);
  });

  it('a silence of a target called “undefined” mutes that target only, not every incident', () => {
    const odd = silence({ scope: target('undefined') });
    expect(activeSilenceFor({ incident: incident({ subject: 'target:frigate', targets: [] }) }, [odd], T0)).toBeNull();
    expect(activeSilenceFor({ incident: incident({ subject: 'target:undefined', targets: ['undefined'] }) }, [odd], T0)).toEqual(odd);
  });
});

describe('silencesOfScope: one silence per scope', () => {
  it('finds the silences in force with exactly this scope, which a new one of the scope replaces', () => {
    const frigate = silence({ id: 1, scope: target('frigate') });
    const ended = silence({ id: 2, scope: target('frigate'), endsAt: T0 });
    const lifted = silence({ id: 3, scope: target('frigate'), liftedAt: T0 - MIN });
    const all = silence({ id: 4, scope: EVERYTHING });
    const frigateNode = silence({ id: 5, scope: node('frigate') });
    const hass = silence({ id: 6, scope: target('hass') });
    expect(silencesOfScope(target('frigate'), [frigate, ended, lifted, all, frigateNode, hass], T0)).toEqual([frigate]);
    expect(silencesOfScope(EVERYTHING, [frigate, all], T0)).toEqual([all]);
  });

  it('compares kind and name', () => {
    expect(sameScope(EVERYTHING, EVERYTHING)).toBe(true);
    expect(sameScope(target('a'), target('a'))).toBe(true);
    expect(sameScope(target('a'), target('b'))).toBe(false);
    expect(sameScope(target('a'), node('a'))).toBe(false);
    expect(sameScope(EVERYTHING, target('a'))).toBe(false);
    expect(sameScope({ kind: 'alert', name: 'ff' }, { kind: 'alert', name: 'ff' })).toBe(true);
  });
});
