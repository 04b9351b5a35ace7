import { describe, expect, it } from 'vitest';
import { EffectError } from '../../src/core/delivery.js';

describe('EffectError', () => {
  it('says whether trying again can help and when, and keeps its cause', () => {
    const cause = new Error('HTTP 429');
    const error = new EffectError('discord: rate limited', true, 1500, { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'EffectError', message: 'discord: rate limited', retryable: true, retryAfterMs: 1500, cause });
  });

  it('has no wait unless the receiver asked for one', () => {
    expect(new EffectError('email: 550 mailbox unavailable', false)).toMatchObject({ retryable: false, retryAfterMs: null });
  });
});
