import { describe, expect, it } from 'vitest';
import { effectChannel, type Effect, type EffectChannel } from '../../src/core/types.js';

describe('effectChannel', () => {
  it.each([
    [{ type: 'postMessage', mention: true }, 'discord'],
    [{ type: 'editMessage' }, 'discord'],
    [{ type: 'threadNote', text: 'x' }, 'discord'],
    [{ type: 'ring', reason: 'escalation', text: 'x' }, 'discord'],
    [{ type: 'archiveThread' }, 'discord'],
    [{ type: 'email', reason: 'fallback' }, 'email'],
    [{ type: 'push', reason: 'open' }, 'push'],
  ] as Array<[Effect, EffectChannel]>)('%j goes to %s', (effect, channel) => {
    expect(effectChannel(effect)).toBe(channel);
  });
});
