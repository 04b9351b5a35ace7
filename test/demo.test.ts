import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { runDemo } from '../src/demo/index.js';
import { captureIo } from './helpers/io.js';

describe('stormguard demo', () => {
  it('plays the motivating outage to the end: 1 message, 1 mention, 0 futile restarts, 1 restart', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const summary = await runDemo(out);
    expect(summary).toMatchObject({ messages: 1, mentions: 1, futileRestarts: 0, restartsAttempted: 1, violations: 0 });
    expect(summary.restartsRefused.nodeNotReady).toBeGreaterThanOrEqual(1);
    expect(text).toContain('Not restarting frigate: node node-a is NotReady');
    expect(text).toMatch(/node-a is back — down for 2h(\d+m)?/);
    expect(text.trim().split('\n').at(-1)).toMatch(/^summary: 1 message posted, \d+ edits, \d+ thread notes, 1 mention, 1 restart attempted, 0 futile restarts/);
  });

  it('runs from the command line without any configuration and exits 0', async () => {
    const io = captureIo();
    expect(await main(['demo'], io)).toBe(0);
    expect(io.out()).toMatch(/\nsummary: 1 message posted/);
    expect(io.err()).toBe('');
  });
});
