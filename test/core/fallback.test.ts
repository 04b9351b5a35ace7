import { describe, expect, it } from 'vitest';
import { fallbackEmailsDue, type FallbackInput } from '../../src/core/fallback.js';
import { incident, MIN, T0 } from './fixtures.js';

const base: FallbackInput = {
  now: T0,
  discordUnreachableSince: T0 - 3 * MIN,
  fallbackAfter: 2 * MIN,
  openIncidents: [incident({ id: 1 }), incident({ id: 2, subject: 'node:node-a' }), incident({ id: 3, subject: 'target:hass' })],
  untold: new Set([1, 2]),
  alreadyEmailed: new Set([2]),
};

describe('fallbackEmailsDue', () => {
  it('emails each open incident Discord was not told about, once', () => {
    expect(fallbackEmailsDue(base)).toEqual([1]);
  });
  it('waits for fallbackAfter, and needs Discord to be down and email configured', () => {
    expect(fallbackEmailsDue({ ...base, discordUnreachableSince: T0 - MIN })).toEqual([]);
    expect(fallbackEmailsDue({ ...base, discordUnreachableSince: null })).toEqual([]);
    expect(fallbackEmailsDue({ ...base, fallbackAfter: null })).toEqual([]);
  });
});
