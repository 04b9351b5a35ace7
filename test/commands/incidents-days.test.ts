/**
 * `/incidents days:<n>`: the resolved list, its durations, and both lists within Discord's 2,000
 * characters however many there are, each clipped with a count of the rest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatIncidentList } from '../../commands/incidents.js';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../src/adapters/sqlite/store.js';
import { newIncident } from '../../src/core/lifecycle.js';
import { DISCORD_LIMITS } from '../../src/core/text.js';
import { listIncidents } from '../../src/runtime/actions/incidentList.js';
import { HOUR, incident, MIN, SEC, T0 } from '../core/fixtures.js';

const DAY = 24 * HOUR;
const url = (i: number) => `https://discord.com/channels/1/2/${300000000000000000 + i}`;
const open = (n: number) => Array.from({ length: n }, (_, i) => ({ incident: incident({ id: 1000 - i, subject: `target:${'service-'.repeat(6)}${i}` }), url: url(i) }));
const resolved = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    incident: incident({ id: 500 - i, subject: `node:${'k3s-'.repeat(8)}${i}`, state: 'resolved', openedAt: T0 - DAY, resolvedAt: T0 - DAY + 4 * MIN + 12 * SEC }),
    url: url(1000 + i),
  }));

describe('formatIncidentList with days', () => {
  it('lists resolved incidents after the open ones, each with how long it lasted', () => {
    const reopened = { incident: incident({ id: 3, subject: 'target:hass', state: 'resolved', openedAt: T0, resolvedAt: T0 + 2 * HOUR + 30 * SEC, reopenCount: 2 }), url: null };
    const lines = formatIncidentList(open(1), { days: 7, items: [...resolved(1), reopened] }).split('\n');
    expect(lines[2]).toBe('2 incidents resolved in the last 7 days, most recent first:');
    expect(lines[3]).toBe(`**#500 node:${'k3s-'.repeat(8)}0** — resolved <t:${Math.floor((T0 - DAY + 4 * MIN + 12 * SEC) / 1000)}:R> after 4m12s · [message](${url(1000)})`);
    expect(lines[4]).toBe(`**#3 target:hass** — resolved <t:${Math.floor((T0 + 2 * HOUR + 30 * SEC) / 1000)}:R> after 2h30s · reopened 2 times · not posted yet`);
    expect(lines).toHaveLength(5);
  });

  it('says when none was resolved in those days, and that nothing is open', () => {
    expect(formatIncidentList([], { days: 1, items: [] })).toBe('No incident is open.\nNone resolved in the last 1 day.');
  });

  it('keeps both lists within 2,000 characters, each ending with the count of what did not fit', () => {
    for (const [o, r] of [[200, 200], [0, 300], [300, 3], [5, 5]] as const) {
      const reply = formatIncidentList(open(o), { days: 30, items: resolved(r) });
      expect(reply.length).toBeLessThanOrEqual(DISCORD_LIMITS.reply);
      const lines = reply.split('\n');
      const split = lines.findIndex((l) => l.includes('resolved in the last 30 days'));
      expect(lines[split]).toBe(`${r} incidents resolved in the last 30 days, most recent first:`);
      const shownOpen = lines.slice(1, split).filter((l) => l.startsWith('**#')).length;
      const shownResolved = lines.slice(split + 1).filter((l) => l.startsWith('**#')).length;
      if (shownOpen < o) expect(lines[split - 1]).toBe(`… and ${o - shownOpen} more`);
      if (shownResolved < r) expect(lines.at(-1)).toBe(`… and ${r - shownResolved} more`);
      // However many are open, the resolved ones are at least counted.
      expect(shownResolved > 0 || lines.at(-1) === `… and ${r} more`).toBe(true);
    }
  });
});

describe('listIncidents (the read model)', () => {
  let store: Store | undefined;
  const dirs: string[] = [];
  afterEach(() => {
    store?.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives the open incidents newest first and, with days, those resolved since then, most recent first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-list-'));
    dirs.push(dir);
    const s = (store = createStore(openDatabase(path.join(dir, 'db.sqlite')), { now: () => T0 }));
    const add = (subject: string, openedAt: number, resolvedAt: number | null) =>
      s.insertIncident({ ...newIncident(subject, 'target', 'down', openedAt), ...(resolvedAt === null ? {} : { state: 'resolved' as const, resolvedAt }) }).id!;
    const old = add('target:a', T0 - 10 * DAY, T0 - 8 * DAY);
    const lately = add('target:b', T0 - 3 * DAY, T0 - 2 * DAY);
    const latest = add('target:c', T0 - 2 * DAY, T0 - DAY);
    const openOld = add('target:d', T0 - 20 * DAY, null);
    const openNew = add('target:e', T0 - HOUR, null);
    s.setDiscordMessage(latest, '42', null);
    const ids = (l: Array<{ incident: { id: number | null } }>) => l.map((x) => x.incident.id);

    const withDays = listIncidents(s, T0, 7);
    expect(ids(withDays.incidents)).toEqual([openNew, openOld]);
    expect(ids(withDays.resolved)).toEqual([latest, lately]);
    expect(withDays.resolved[0]?.messageId).toBe('42');
    expect(ids(listIncidents(s, T0, 30).resolved)).toEqual([latest, lately, old]);
    const without = listIncidents(s, T0);
    expect([ids(without.incidents), without.resolved]).toEqual([[openNew, openOld], []]);
  });
});
