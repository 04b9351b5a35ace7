/**
 * The evidence note (issue 22 item 4) for any log content and any events: within Discord's limits, the
 * log inside exactly one code block that nothing in it can close, and no planted secret in what leaves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evidenceFile, evidenceText, logLines, logSource, LOG_TAIL_LINES, type Evidence } from '../../src/core/evidence.js';
import { DISCORD_LIMITS } from '../../src/core/text.js';
import type { WorkloadFacts } from '../../src/core/types.js';

/** Hostile log text: any Unicode, fences, terminal colours, control characters, mentions, very long lines. */
const logText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom('```', '`', '``', '\n', '\r\n', '\x1b[31m', '\x00', '@everyone', '<@&1>', '**', '😀', 'x'.repeat(5000), 'password=hunter2', '\n```js\n'),
    ),
    { maxLength: 300 },
  )
  .map((parts) => parts.join(''));

const event = fc.record({
  reason: fc.string({ maxLength: 300 }),
  message: fc.string({ maxLength: 3000 }),
  object: fc.string({ maxLength: 300 }),
  count: fc.nat(100_000),
  lastSeen: fc.integer({ min: 0, max: 4_000_000_000_000 }),
});

const evidence = fc.record({
  target: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/),
  source: fc.option(fc.record({ pod: fc.string({ maxLength: 253 }), container: fc.option(fc.string({ maxLength: 253 })), previous: fc.boolean(), restartCount: fc.nat(10_000) })),
  log: fc.option(fc.oneof(logText.map((text) => ({ ok: true as const, text })), fc.string({ maxLength: 5000 }).map((why) => ({ ok: false as const, why })))),
  events: fc.array(event, { maxLength: 10 }),
}) as fc.Arbitrary<Evidence>;

describe('evidenceText', () => {
  it('fits Discord’s content and reply limits, with the log in one code block nothing inside can close, for any log', () => {
    fc.assert(
      fc.property(evidence, fc.constantFrom(DISCORD_LIMITS.content, DISCORD_LIMITS.reply, 500), (e, max) => {
        const text = evidenceText(e, max);
        expect(text.length).toBeLessThanOrEqual(max);
        const fences = text.split('```').length - 1;
        expect(fences === 0 || fences === 2).toBe(true);
        if (fences === 2) expect(text).toMatch(/\n```\n[^]*\n```/);
        expect(text).not.toContain('hunter2');
      }),
      { numRuns: 400 },
    );
  });

  it('shows the newest lines and counts the older ones that did not fit', () => {
    const text = Array.from({ length: LOG_TAIL_LINES }, (_, i) => `line ${i} ${'x'.repeat(60)}`).join('\n');
    const note = evidenceText({ target: 'frigate', source: { pod: 'frigate-1', container: 'frigate', previous: true, restartCount: 4 }, log: { ok: true, text }, events: [] }, 2000);
    expect(note).toContain(`line ${LOG_TAIL_LINES - 1} `);
    expect(note).not.toContain('line 0 ');
    const shown = note.split('\n').filter((l) => l.startsWith('line ')).length;
    expect(note).toContain(`(clipped; ${LOG_TAIL_LINES - shown} more lines)`);
    expect(note).toMatch(/^\*\*Evidence for frigate\*\* — last 50 lines of the previous container frigate \(pod frigate-1, restarted 4 times\):/);
  });

  it('says why the log could not be read, on one line, instead of the log', () => {
    const note = evidenceText({ target: 'frigate', source: { pod: 'p', container: 'c', previous: false, restartCount: 0 }, log: { ok: false, why: 'HTTP 403: forbidden\nsecond line' }, events: [] }, 2000);
    expect(note.split('\n')[1]).toBe('logs unavailable: HTTP 403: forbidden second line');
    expect(note).not.toContain('```');
  });

  it('with no log to read (a pod that never started a container), the Warning events alone, redacted', () => {
    const events = [{ reason: 'FailedMount', message: 'MountVolume.SetUp failed: token=abc123def456ghi', object: 'Pod/frigate-1', count: 3, lastSeen: 1_700_000_000_000 }];
    const note = evidenceText({ target: 'frigate', source: null, log: null, events }, 2000);
    expect(note).toBe('**Evidence for frigate**\nWarning events:\n- **FailedMount** ×3 on Pod/frigate-1 <t:1700000000:R>: MountVolume.SetUp failed: token=\\[redacted\\]');
  });

  it('redacts before it clips: a secret cut by the line limit is still gone', () => {
    const lines = logLines(`${'y'.repeat(290)} password=hunter2hunter2`);
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});

describe('logSource', () => {
  const container = (name: string, restartCount: number, init = false) => ({ name, init, image: 'i', memoryLimit: null, restartCount, waiting: null, lastTerminated: null });
  const workload = (pods: WorkloadFacts['pods']): WorkloadFacts => ({ target: 't', found: true, pods, relevantNodes: [], readyReplicas: 0, desiredReplicas: 1, rolloutInProgress: false });

  it('reads the previous instance of the diagnosed container in a failing pod once it has restarted', () => {
    const w = workload([
      { name: 'ok', node: 'n', phase: 'Running', ready: true, containers: [container('app', 9)] },
      { name: 'bad', node: 'n', phase: 'Running', ready: false, containers: [container('sidecar', 7), container('app', 3)] },
    ]);
    const d = { container: 'app' } as Parameters<typeof logSource>[1];
    expect(logSource(w, d)).toEqual({ pod: 'bad', container: 'app', previous: true, restartCount: 3 });
    expect(logSource(w, null)).toEqual({ pod: 'bad', container: 'sidecar', previous: true, restartCount: 7 });
  });

  it('reads the current instance of a container that never restarted, and init containers by their own name', () => {
    const w = workload([{ name: 'p', node: 'n', phase: 'Pending', ready: false, containers: [container('setup', 0, true), container('app', 0)] }]);
    expect(logSource(w, { container: 'init:setup' } as Parameters<typeof logSource>[1])).toEqual({ pod: 'p', container: 'setup', previous: false, restartCount: 0 });
    expect(logSource(workload([]), null)).toBeNull();
  });
});

describe('evidenceFile: the whole excerpt beside an answer that clipped it', () => {
  const source = { pod: 'frigate-1', container: 'frigate', previous: true, restartCount: 4 };
  const long = Array.from({ length: LOG_TAIL_LINES }, (_, i) => `line ${i} ${'x'.repeat(60)}`).join('\n');

  it('holds every line the message dropped, and the events, in plain text named after the target', () => {
    const events = [{ reason: 'BackOff', message: 'Back-off restarting failed container', object: 'Pod/frigate-1', count: 3, lastSeen: Date.UTC(2026, 11, 7, 2, 0) }];
    const file = evidenceFile({ target: 'frigate', source, log: { ok: true, text: `\x1b[31m${long}\r\n\n` }, events }, 2000)!;
    expect(file.name).toBe('logs-frigate.txt');
    expect(file.text.split('\n')).toEqual([
      `frigate: last ${LOG_TAIL_LINES} lines of the previous container frigate (pod frigate-1)`,
      '',
      ...long.split('\n'),
      '',
      'Warning events:',
      'BackOff x3 on Pod/frigate-1 at 2026-12-07T02:00:00.000Z: Back-off restarting failed container',
      '',
    ]);
  });

  it('is not made when the message shows everything, nor without a log read', () => {
    expect(evidenceFile({ target: 'frigate', source, log: { ok: true, text: 'one line' }, events: [] }, 2000)).toBeNull();
    expect(evidenceFile({ target: 'frigate', source, log: { ok: false, why: 'HTTP 403' }, events: [] }, 10)).toBeNull();
    expect(evidenceFile({ target: 'frigate', source, log: null, events: [] }, 10)).toBeNull();
    expect(evidenceFile({ target: 'frigate', source: null, log: { ok: true, text: long }, events: [] }, 10)).toBeNull();
  });

  it('leaves no planted secret and no control character in the file, for any log', () => {
    fc.assert(
      fc.property(logText, (text) => {
        const file = evidenceFile({ target: 'frigate', source, log: { ok: true, text: `${long}\n${text}` }, events: [] }, 500);
        expect(file).not.toBeNull();
        expect(file!.text).not.toContain('hunter2');
        // eslint-disable-next-line no-control-regex
        expect(file!.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      }),
      { numRuns: 200 },
    );
  });
});
