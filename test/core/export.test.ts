import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EXPORT_SCHEMA,
  exportFileName,
  incidentReport,
  isExportFormat,
  localTime,
  markdownCell,
  renderExport,
  utcTime,
  type ExportInput,
} from '../../src/core/export.js';
import { timelineKind, timelineSource, type StoredAudit } from '../../src/core/timeline.js';
import type { Diagnosis } from '../../src/core/diagnosis.js';
import { incident, MIN, SEC, T0 } from './fixtures.js';

const USER = '200000000000000001';
const GOLDEN = path.resolve(import.meta.dirname, '../fixtures/export');

function rec(at: number, action: string, overrides: Partial<StoredAudit> = {}): StoredAudit {
  const base = { at, actor: 'scheduler', action, subject: 'target:frigate', incidentId: 7, reason: null, detail: {}, ...overrides };
  return { ...base, kind: timelineKind(base.action, base.reason, base.detail), source: timelineSource(base.actor, base.action, base.reason, base.detail) };
}

/** Hostile text from the cluster and from people: pipes, newlines, Markdown, mentions, a secret. */
const HOSTILE = 'boom | col\nnext line **bold** <@&123> @everyone [x](http://evil) password=hunter2';

const diagnosis: Diagnosis = {
  reason: 'imagePull',
  apiReason: 'ImagePullBackOff',
  container: 'app|1',
  message: `pull failed | token=abc123secret\nretrying`,
  summary: 'frigate cannot pull its image',
  hint: 'Fix the image name or the registry credentials; a restart cannot help.',
  restart: 'cannotHelp',
  change: null,
};

function input(overrides: Partial<ExportInput> = {}): ExportInput {
  return {
    incident: incident({
      id: 7,
      state: 'resolved',
      cause: HOSTILE,
      openedAt: T0,
      resolvedAt: T0 + 30 * MIN,
      acknowledgedBy: USER,
      acknowledgedAt: T0 + 4 * MIN,
      diagnoses: { frigate: diagnosis },
      restartCount: 1,
    }),
    title: 'frigate is back — down for 30m',
    records: [
      rec(T0, 'opened', { detail: { cause: HOSTILE } }),
      rec(T0, 'notified', { reason: 'open' }),
      rec(T0 + SEC, 'posted', { detail: { messageId: '555' } }),
      rec(T0 + SEC, 'rung', { reason: 'open', detail: { where: 'discordRole' } }),
      rec(T0 + 4 * MIN, 'acknowledged', { actor: USER, detail: { via: 'button' } }),
      rec(T0 + 5 * MIN, 'restartRefused', { actor: USER, reason: 'diagnosis', detail: { message: 'frigate cannot pull its image | a restart cannot help' } }),
      rec(T0 + 6 * MIN, 'silenced', { actor: USER, reason: 'Silence 1h button', detail: { until: T0 + 66 * MIN, alertmanagerSilences: ['am|1'] } }),
      rec(T0 + 10 * MIN, 'note', { actor: USER, detail: { text: HOSTILE } }),
      rec(T0 + 20 * MIN, 'restartRequested', { reason: null, detail: { target: 'frigate', automatic: true, attemptId: 4 } }),
      rec(T0 + 20 * MIN, 'restartSucceeded', { actor: 'scheduler', detail: { target: 'frigate', attemptId: 4 } }),
      rec(T0 + 30 * MIN, 'resolved', { detail: { cause: 'frigate is up', openFor: 30 * MIN } }),
    ],
    messageLink: 'https://discord.com/channels/1/2/555',
    timeZone: 'America/New_York',
    ...overrides,
  };
}

describe('markdownCell: text from outside, safe in a table cell', () => {
  it('keeps a row a row: pipes escaped, newlines folded, Markdown and mentions made literal, secrets out', () => {
    const cell = markdownCell(HOSTILE);
    expect(cell).not.toContain('\n');
    expect(cell.replaceAll('\\|', '')).not.toContain('|');
    expect(cell).toContain('boom \\| col next line \\*\\*bold\\*\\*');
    expect(cell).toContain('\\<@&123\\>');
    expect(cell).toContain('@\u200beveryone');
    expect(cell).toContain('\\[x\\](http://evil)');
    expect(cell).not.toContain('hunter2');
    expect(cell).toContain('[redacted]'.replace(/[[\]]/g, '\\$&'));
  });

  it('is clipped to its limit', () => {
    expect(markdownCell('x'.repeat(600))).toHaveLength(500);
    expect(markdownCell('x'.repeat(600), 10)).toBe('xxxxxxxxx…');
  });
});

describe('times', () => {
  it('shows UTC without the T and the milliseconds, and local time with its offset', () => {
    expect(utcTime(Date.parse('2026-11-25T20:00:30.250Z'))).toBe('2026-11-25 20:00:30');
    expect(localTime(Date.parse('2026-11-25T20:00:30Z'), 'Europe/Berlin')).toBe('2026-11-25 21:00:30 +01:00');
    expect(localTime(Date.parse('2026-07-01T23:30:00Z'), 'Europe/Berlin')).toBe('2026-07-02 01:30:00 +02:00');
    expect(localTime(Date.parse('2026-11-25T00:00:00Z'), 'Asia/Kolkata')).toBe('2026-11-25 05:30:00 +05:30');
    expect(localTime(Date.parse('2026-11-25T00:00:00Z'), 'UTC')).toBe('2026-11-25 00:00:00 +00:00');
  });
});

describe('formats', () => {
  it('names the file and knows its formats', () => {
    expect(exportFileName(12, 'md')).toBe('incident-12.md');
    expect(exportFileName(12, 'json')).toBe('incident-12.json');
    expect(isExportFormat('md')).toBe(true);
    expect(isExportFormat('json')).toBe(true);
    expect(isExportFormat('pdf')).toBe(false);
    expect(isExportFormat('')).toBe(false);
  });
});

describe('the export', () => {
  it('matches its golden files, byte for byte (deterministic)', () => {
    const md = renderExport(input(), 'md');
    const json = renderExport(input(), 'json');
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.writeFileSync(path.join(GOLDEN, 'core-hostile.md'), md);
      fs.writeFileSync(path.join(GOLDEN, 'core-hostile.json'), json);
    }
    expect(md).toBe(fs.readFileSync(path.join(GOLDEN, 'core-hostile.md'), 'utf8'));
    expect(json).toBe(fs.readFileSync(path.join(GOLDEN, 'core-hostile.json'), 'utf8'));
    expect(renderExport(input(), 'md')).toBe(md);
  });

  it('keeps every Markdown table row whole: one line, as many cells as the header', () => {
    const md = renderExport(input(), 'md');
    const rows = md.split('\n').filter((line) => line.startsWith('|'));
    const cells = (line: string) => line.replaceAll('\\|', '').split('|').length;
    for (const table of ['| Milestone', '| Local']) {
      const start = rows.findIndex((r) => r.startsWith(table));
      expect(start).toBeGreaterThanOrEqual(0);
    }
    const timeline = md.slice(md.indexOf('## Timeline'), md.indexOf('## What stormguard did')).split('\n').filter((l) => l.startsWith('|'));
    expect(timeline.length).toBe(2 + 10);
    for (const row of timeline) expect(cells(row)).toBe(cells(timeline[0]!));
    expect(md).not.toContain('hunter2');
    expect(md).not.toContain('abc123secret');
    expect(md).not.toMatch(/(?<!\\)<@&123>/);
  });

  it('is a post-mortem skeleton: every section, in order, with empty root cause and follow-ups', () => {
    const md = renderExport(input(), 'md');
    const sections = md.split('\n').filter((l) => l.startsWith('#'));
    expect(sections).toEqual([
      '# Incident #7: frigate is back — down for 30m',
      '## Milestones',
      '## Diagnosis',
      '## Timeline',
      '## What stormguard did',
      '## What stormguard refused, and why',
      '## Root cause',
      '## Follow-ups',
    ]);
    expect(md).toContain('**MTTA** (detected → acknowledged): 4m · **MTTR** (started → resolved): 30m');
    expect(md).toContain('| Impact | 2026-11-25 20:00:00 UTC → 2026-11-25 20:30:00 UTC (30m) |');
    expect(md).toContain('| Acknowledged | 2026-11-25 15:04:00 -05:00 | 2026-11-25 20:04:00 UTC |');
    expect(md).toContain('frigate cannot pull its image \\| a restart cannot help (reason: diagnosis; Discord user 200000000000000001, slash command)');
    expect(md.endsWith('## Follow-ups\n\n- [ ] \n')).toBe(true);
  });

  it('says what is not known yet: an open incident with no acknowledgement, no diagnosis, nothing done or refused', () => {
    const md = renderExport(
      input({ incident: incident({ id: 3, subject: 'node:node-a', kind: 'node', openedAt: T0 }), records: [rec(T0, 'opened', { subject: 'node:node-a' })], messageLink: null, timeZone: 'UTC' }),
      'md',
    );
    expect(md).toContain('| Impact | 2026-11-25 20:00:00 UTC → ongoing |');
    expect(md).toContain('| Nodes | node-a |');
    expect(md).toContain('| Acknowledged | — | — |');
    expect(md).toContain('**MTTA** (detected → acknowledged): — · **MTTR** (started → resolved): —');
    expect(md).toContain('Kubernetes gave no reason of its own.');
    expect(md).not.toContain('| Discord |');
    expect(md.match(/^Nothing\.$/gm)).toHaveLength(2);
    const json = JSON.parse(renderExport(input({ incident: incident({ id: 3, openedAt: T0, targets: [] }), records: [], messageLink: null }), 'json')) as Record<string, unknown>;
    expect(json.impact).toEqual({ from: '2026-11-25T20:00:00.000Z', to: null, durationSeconds: null });
    expect(json.mttaSeconds).toBeNull();
    const md2 = renderExport(input({ incident: incident({ id: 3, openedAt: T0, targets: [], reopenCount: 2 }), records: [] }), 'md');
    expect(md2).toContain('| Targets | — |');
    expect(md2).toContain('| State | open (reopened 2×) |');
  });

  it('JSON: versioned schema, ISO times, typed entries, what stormguard did and refused', () => {
    const doc = JSON.parse(renderExport(input(), 'json')) as {
      schema: string;
      incident: Record<string, unknown>;
      milestones: Record<string, string | null>;
      mttaSeconds: number;
      mttrSeconds: number;
      diagnosis: unknown[];
      timeline: Array<Record<string, unknown>>;
      did: Array<{ kind: string }>;
      refused: Array<{ kind: string; reason: string }>;
    };
    expect(doc.schema).toBe(EXPORT_SCHEMA);
    expect(EXPORT_SCHEMA).toBe('stormguard.incident/v1');
    expect(doc.incident).toMatchObject({ id: 7, subject: 'target:frigate', state: 'resolved', targets: ['frigate'], nodes: [], automaticRestarts: 1, discordMessage: 'https://discord.com/channels/1/2/555' });
    expect(doc.incident.cause).not.toContain('\n');
    expect(doc.incident.cause).not.toContain('hunter2');
    expect(doc.milestones).toEqual({
      started: '2026-11-25T20:00:00.000Z',
      detected: '2026-11-25T20:00:00.000Z',
      acknowledged: '2026-11-25T20:04:00.000Z',
      mitigated: '2026-11-25T20:20:00.000Z',
      resolved: '2026-11-25T20:30:00.000Z',
    });
    expect([doc.mttaSeconds, doc.mttrSeconds]).toEqual([240, 1800]);
    expect(doc.diagnosis).toEqual([{ target: 'frigate', reason: 'imagePull', apiReason: 'ImagePullBackOff', container: 'app|1', message: 'pull failed | token=[redacted] retrying', hint: diagnosis.hint }]);
    expect(doc.timeline[3]).toEqual({ at: '2026-11-25T20:04:00.000Z', kind: 'acknowledged', actor: { type: 'user', id: USER }, source: 'button', text: 'Acknowledged', reason: null, refs: {} });
    expect(doc.timeline[1]).toMatchObject({ kind: 'opened', refs: { discordMessageId: '555' } });
    expect(doc.timeline[2]).toMatchObject({ kind: 'rung', where: 'discordRole' });
    expect(doc.timeline[5]).toMatchObject({ kind: 'silenced', source: 'button', refs: { alertmanagerSilenceIds: ['am|1'] } });
    expect(doc.timeline[7]).toMatchObject({ kind: 'restartRequested', refs: { restartAttemptId: 4 } });
    expect(doc.did.map((e) => e.kind)).toEqual(['rung', 'restartRequested', 'restartSucceeded']);
    expect(doc.refused).toEqual([expect.objectContaining({ kind: 'restartRefused', reason: 'diagnosis' })]);
  });

  it('starts the impact where a source knew the outage began before stormguard detected it (Alertmanager’s startsAt)', () => {
    const doc = JSON.parse(renderExport(input({ startedAt: T0 - 3 * MIN }), 'json')) as { impact: { from: string }; milestones: { started: string; detected: string }; mttrSeconds: number };
    expect(doc.milestones.started).toBe('2026-11-25T19:57:00.000Z');
    expect(doc.milestones.detected).toBe('2026-11-25T20:00:00.000Z');
    expect(doc.impact.from).toBe('2026-11-25T19:57:00.000Z');
    expect(doc.mttrSeconds).toBe(33 * 60);
    expect(renderExport(input({ startedAt: null }), 'md')).toBe(renderExport(input(), 'md'));
  });

  it('names the node of a node incident, and only that', () => {
    expect(incidentReport(input({ incident: incident({ subject: 'node:k3s-2', kind: 'node' }) })).nodes).toEqual(['k3s-2']);
    expect(incidentReport(input()).nodes).toEqual([]);
  });
});
