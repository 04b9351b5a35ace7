import { describe, expect, it } from 'vitest';
import { fallbackEmailsDue, type FallbackInput } from '../../src/core/fallback.js';
import { incident, MIN, T0 } from './fixtures.js';

/** Discord down for 3 minutes, fallbackAfter 2: #1 untold, #2 untold but emailed, #3 told. */
const base: FallbackInput = {
  now: T0,
  discordUnreachableSince: T0 - 3 * MIN,
  fallbackAfter: 2 * MIN,
  openIncidents: [incident({ id: 1 }), incident({ id: 2, subject: 'node:node-a' }), incident({ id: 3, subject: 'target:hass' })],
  untold: new Set([1, 2]),
  alreadyEmailed: new Set([2]),
};

/** Discord down exactly fallbackAfter, with an incident the store has not saved yet (id null). */
const atTheBoundary: FallbackInput = {
  now: T0,
  discordUnreachableSince: T0 - 2 * MIN,
  fallbackAfter: 2 * MIN,
  openIncidents: [incident({ id: 1 }), incident({ id: null, subject: 'target:hass' }), incident({ id: 3, subject: 'node:node-a' })],
  untold: new Set([1, 3]),
  alreadyEmailed: new Set(),
};

describe('fallbackEmailsDue: which incidents', () => {
  it('emails each open incident Discord was not told about, once', () => {
    expect(fallbackEmailsDue(base)).toEqual([1]);
  });

  it('never emails an incident the store has not saved yet, nor one Discord was told about', () => {
    expect(fallbackEmailsDue({ ...atTheBoundary, untold: new Set([3]) })).toEqual([3]);
  });
});

describe('fallbackEmailsDue: when', () => {
  it('waits for fallbackAfter, and needs Discord to be down and email configured', () => {
    expect(fallbackEmailsDue({ ...base, discordUnreachableSince: T0 - MIN })).toEqual([]);
    expect(fallbackEmailsDue({ ...base, discordUnreachableSince: null })).toEqual([]);
    expect(fallbackEmailsDue({ ...base, fallbackAfter: null })).toEqual([]);
  });

  it.each([
    [2 * MIN - 1, []],
    [2 * MIN, [1, 3]],
    [2 * MIN + 1, [1, 3]],
  ])('Discord unreachable for %d ms with fallbackAfter 2m → %j', (unreachableFor, due) => {
    expect(fallbackEmailsDue({ ...atTheBoundary, discordUnreachableSince: T0 - unreachableFor })).toEqual(due);
  });
});
