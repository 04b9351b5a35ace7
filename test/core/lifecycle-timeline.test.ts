/** What the lifecycle records for the timeline: a person's note, how an acknowledgement came, a silence's end, a restart's attempt. */
import { describe, expect, it } from 'vitest';
import { NOTE_MAX, transition, type TransitionContext } from '../../src/core/lifecycle.js';
import { incident, MIN, T0 } from './fixtures.js';

const ctx: TransitionContext = { now: T0, reopenWindow: 10 * MIN, escalateAfter: 15 * MIN, silenced: false, actor: '42' };

describe('a person’s note', () => {
  it('is one audit record with what they wrote, and a quiet thread note that says who, escaped', () => {
    const out = transition(incident(), { type: 'note', by: '42', text: '  it was | the **UPS** @everyone  ' }, ctx);
    expect(out.incident).toEqual(incident());
    expect(out.audit).toEqual([{ at: T0, actor: '42', action: 'note', subject: 'target:frigate', incidentId: 7, reason: null, detail: { text: 'it was | the **UPS** @everyone' } }]);
    expect(out.effects).toEqual([{ type: 'threadNote', text: '📝 Note from <@42>: it was \\| the \\*\\*UPS\\*\\* @\u200beveryone' }]);
  });

  it('keeps at most NOTE_MAX characters, and the thread note within a Discord message however much escaping grows it', () => {
    const out = transition(incident(), { type: 'note', by: '42', text: 'x'.repeat(NOTE_MAX + 50) }, ctx);
    expect(String(out.audit[0]!.detail.text)).toHaveLength(NOTE_MAX);
    expect(NOTE_MAX).toBe(1500);
    const pipes = transition(incident(), { type: 'note', by: '42', text: '|'.repeat(NOTE_MAX) }, ctx);
    const note = pipes.effects[0] as { type: 'threadNote'; text: string };
    expect(note.text).toHaveLength(2000);
    expect(note.text.endsWith('…')).toBe(true);
    expect(String(pipes.audit[0]!.detail.text)).toBe('|'.repeat(NOTE_MAX));
  });
});

describe('details the timeline reads', () => {
  it('an acknowledgement says how it came, when the caller knows', () => {
    expect(transition(incident(), { type: 'acknowledge', by: '42', via: 'button' }, ctx).audit[0]!.detail).toEqual({ via: 'button' });
    expect(transition(incident(), { type: 'acknowledge', by: '42' }, ctx).audit[0]!.detail).toEqual({});
  });

  it('a silence’s note keeps whether it lifted, its end and its reason', () => {
    const on = transition(incident(), { type: 'silenceChanged', by: '42', text: 'Silenced', lifted: false, until: T0 + 60 * MIN, reason: 'upgrade' }, ctx).audit[0]!;
    expect([on.reason, on.detail]).toEqual(['upgrade', { text: 'Silenced', lifted: false, until: T0 + 60 * MIN }]);
    const off = transition(incident(), { type: 'silenceChanged', by: '42', text: 'Lifted', lifted: true, reason: '' }, ctx).audit[0]!;
    expect([off.reason, off.detail]).toEqual([null, { text: 'Lifted', lifted: true }]);
    expect(transition(incident(), { type: 'silenceChanged', by: '42', text: 'x' }, ctx).audit[0]!.detail).toEqual({ text: 'x' });
  });

  it('a restart’s outcome names its attempt', () => {
    expect(transition(incident(), { type: 'restartFinished', target: 'frigate', ok: true, error: null, attemptId: 9 }, ctx).audit[0]!.detail).toEqual({ target: 'frigate', attemptId: 9 });
    expect(transition(incident(), { type: 'restartFinished', target: 'frigate', ok: true, error: null }, ctx).audit[0]!.detail).toEqual({ target: 'frigate' });
  });
});
