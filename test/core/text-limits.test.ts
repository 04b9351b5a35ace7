import { describe, expect, it } from 'vitest';
import { escapeMarkdown, fitLines, listWithCount, plural, unescapeMarkdown } from '../../src/core/text.js';
import { renderIncident } from '../../src/core/render.js';
import { incident } from './fixtures.js';

describe('escapeMarkdown', () => {
  it('makes formatting and mentions literal, and unescape gives the text back', () => {
    const raw = '**boom** _x_ `y` ~~z~~ ||s|| <@123> <@&9> <#1> <t:0:R> [l](u) > q\n# h\n- i @everyone @here \\';
    const escaped = escapeMarkdown(raw);
    expect(escaped).toBe(
      '\\*\\*boom\\*\\* \\_x\\_ \\`y\\` \\~\\~z\\~\\~ \\|\\|s\\|\\| \\<@123\\> \\<@&9\\> \\<#1\\> \\<t:0:R\\> \\[l\\](u) \\> q\n\\# h\n\\- i @\u200beveryone @\u200bhere \\\\',
    );
    expect(unescapeMarkdown(escaped)).toBe(raw);
  });

  it('leaves ordinary names alone', () => {
    expect(escapeMarkdown('home-assistant on k3s-2.lan')).toBe('home-assistant on k3s-2.lan');
  });
});

describe('listWithCount', () => {
  const names = ['frigate', 'jellyfin', ...Array.from({ length: 37 }, (_, i) => `svc-${i}`)];
  it('summarises what does not fit with a count', () => {
    expect(listWithCount(names, 35)).toBe('frigate, jellyfin, … and 37 more');
    expect(listWithCount(names, 40)).toBe('frigate, jellyfin, svc-0, … and 36 more');
    expect(listWithCount(['a', 'b'], 40)).toBe('a, b');
    // Exactly at the budget everything is shown; one less and the rest is counted.
    expect(listWithCount(['a', 'b'], 4)).toBe('a, b');
    expect(listWithCount(['a', 'b'], 3)).toBe('… …');
    expect(listWithCount(['a-very-long-name'], 10)).toBe('… and 1 m…');
  });

  it('never exceeds its budget', () => {
    for (let max = 5; max < 120; max++) expect(listWithCount(names, max).length).toBeLessThanOrEqual(max);
  });

  it('counts the rest with as many digits as it has: exactly at the budget, 9 left fit where 10 would not', () => {
    const ten = Array.from({ length: 10 }, () => 'aaaa');
    expect(listWithCount(ten, 18)).toBe('aaaa, … and 9 more');
    expect(listWithCount(ten, 17)).toBe('… and 10 more');
    expect(listWithCount(ten, 24)).toBe('aaaa, aaaa, … and 8 more');
    expect(listWithCount(ten, 23)).toBe('aaaa, … and 9 more');
  });

  it('joins with another separator when asked, counted the same way', () => {
    expect(listWithCount(['a, b', 'c', 'd'], 20, '; ')).toBe('a, b; c; d');
    expect(listWithCount(names, 35, '; ')).toBe('frigate; jellyfin; … and 37 more');
    expect(listWithCount(names, 34, ' | ')).toBe('frigate | jellyfin | … and 37 more');
    expect(listWithCount(names, 33, ' | ')).toBe('frigate | … and 38 more');
    for (let max = 5; max < 120; max++) expect(listWithCount(names, max, ' — ').length).toBeLessThanOrEqual(max);
  });
});

describe('plural', () => {
  it.each<[number, string]>([
    [0, '0 services'],
    [1, '1 service'],
    [2, '2 services'],
  ])('%i', (count, text) => {
    expect(plural(count, 'service')).toBe(text);
  });
});

describe('fitLines', () => {
  it.each<[number, string]>([
    [8, 'aa\nbb\ncc'],
    [7, 'aa\n+2'],
    [5, 'aa\n+2'],
    [4, '+3'],
  ])('within %i characters, exactly at the budget on both sides', (max, out) => {
    expect(fitLines(['aa', 'bb', 'cc'], max, (n) => `+${n}`)).toBe(out);
  });


  it('keeps whole lines and counts the rest', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    const out = fitLines(lines, 50, (n) => `… and ${n} more`);
    expect(out.length).toBeLessThanOrEqual(50);
    expect(out.split('\n').at(-1)).toMatch(/^… and \d+ more$/);
    const shown = out.split('\n').length - 1;
    expect(out.split('\n').at(-1)).toBe(`… and ${100 - shown} more`);
  });
});

describe('the largest incident', () => {
  it('stays inside every embed limit with 1,000 down targets and 10,000-character details', () => {
    const targets = Array.from({ length: 1000 }, (_, i) => ({ name: `service-${String(i).padStart(4, '0')}-${'x'.repeat(50)}`, health: 'down' as const, detail: '<@1> **x** '.repeat(1000) }));
    const nodes = Array.from({ length: 60 }, (_, i) => ({ name: `node-${i}.${'n'.repeat(240)}`, ready: 'False' as const, unschedulable: true }));
    const rendered = renderIncident({
      incident: incident({ subject: `node:${'n'.repeat(253)}`, kind: 'node', cause: '@everyone '.repeat(1000), targets: targets.map((t) => t.name), acknowledgedBy: '1', acknowledgedAt: 0 }),
      silence: { id: 1, scope: { kind: 'everything' }, startsAt: 0, endsAt: 1, createdBy: '1', reason: '', liftedAt: null },
      targets,
      nodes,
      nextRestart: 'x'.repeat(10_000),
    });
    expect(rendered.title.length).toBeLessThanOrEqual(256);
    expect(rendered.description.length).toBeLessThanOrEqual(4096);
    expect(rendered.fields.length).toBeLessThanOrEqual(25);
    for (const f of rendered.fields) expect(f.value.length).toBeLessThanOrEqual(1024);
    const total = rendered.title.length + rendered.description.length + rendered.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
    const targetsField = rendered.fields.find((f) => f.name === 'Targets')!.value;
    expect(targetsField).toMatch(/… and \d+ more \(\d+ down\)$/);
    expect(rendered.description).not.toContain('@everyone');
  });
});
