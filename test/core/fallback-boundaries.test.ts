import { describe, expect, it } from 'vitest';
import { fallbackEmailsDue, type FallbackInput } from '../../src/core/fallback.js';
import { incident, MIN, T0 } from './fixtures.js';

const base: FallbackInput = {
  now: T0,
  discordUnreachableSince: T0 - 2 * MIN,
  fallbackAfter: 2 * MIN,
  openIncidents: [incident({ id: 1 }), incident({ id: null, subject: 'target:hass' }), incident({ id: 3, subject: 'node:node-a' })],
  untold: new Set([1, 3]),
  alreadyEmailed: new Set(),
};

describe('fallbackEmailsDue: boundaries', () => {
  it.each([
    [2 * MIN - 1, []],
    [2 * MIN, [1, 3]],
    [2 * MIN + 1, [1, 3]],
  ])('Discord unreachable for %d ms with fallbackAfter 2m → %j', (unreachableFor, due) => {
    expect(fallbackEmailsDue({ ...base, discordUnreachableSince: T0 - unreachableFor })).toEqual(due);
  });

  it('never emails an incident the store has not saved yet, nor one Discord was told about', () => {
    expect(fallbackEmailsDue({ ...base, untold: new Set([3]) })).toEqual([3]);
  });
});
