import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../../src/adapters/sqlite/store.js';

const T0 = Date.parse('2026-11-25T20:00:00Z');
const HOUR = 3_600_000;
let dir: string;
let store: Store;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-windows-'));
  file = path.join(dir, 'sg.db');
  store = createStore(openDatabase(file));
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const declared = { nodes: ['node-a'], targets: [], startsAt: T0, endsAt: T0 + HOUR, reason: 'NAS firmware', createdBy: '111', createdByName: 'alice', recurring: null };

describe('the maintenance window repository (better-sqlite3 on a real file)', () => {
  it('stores a window and reads it back until its end is reported, across a reopen of the file', () => {
    const added = store.addWindow(declared);
    expect(added).toEqual({ ...declared, id: expect.any(Number), endedAt: null, reportedAt: null });
    store.close();
    store = createStore(openDatabase(file));
    expect(store.unreportedWindows()).toEqual([added]);
    store.markWindowsReported([added.id!], T0 + HOUR);
    expect(store.unreportedWindows()).toEqual([]);
  });

  it('ends a window early once, never one already over', () => {
    const a = store.addWindow(declared);
    const b = store.addWindow({ ...declared, endsAt: T0 + 10 });
    expect(store.endWindows([a.id!, b.id!], T0 + 20, '222')).toBe(1);
    expect(store.endWindows([a.id!], T0 + 30, '222')).toBe(0);
    expect(store.unreportedWindows().map((w) => [w.id, w.endedAt])).toEqual([
      [a.id, T0 + 20],
      [b.id, null],
    ]);
  });

  it('writes an occurrence of a recurring window once', () => {
    const occurrence = { nodes: [], targets: ['frigate'], startsAt: T0, endsAt: T0 + HOUR, reason: '', recurring: 'weekly' };
    expect(store.addOccurrence(occurrence)).toBe(true);
    expect(store.addOccurrence(occurrence)).toBe(false);
    expect(store.addOccurrence({ ...occurrence, startsAt: T0 + 7 * 24 * HOUR, endsAt: T0 + 7 * 24 * HOUR + HOUR })).toBe(true);
    expect(store.unreportedWindows().map((w) => [w.recurring, w.createdBy, w.startsAt])).toEqual([
      ['weekly', 'config', T0],
      ['weekly', 'config', T0 + 7 * 24 * HOUR],
    ]);
  });

  it.each<[string, Partial<typeof declared>]>([
    ['no node and no target', { nodes: [] }],
    ['an end before its start', { endsAt: T0 - 1 }],
    ['a person called config', { createdBy: 'config' }],
  ])('refuses a window with %s', (_, overrides) => {
    expect(() => store.addWindow({ ...declared, ...overrides })).toThrow(/CHECK constraint failed/);
  });

  it('re-dates a window the clock stepped back over: in force for its own length from now', () => {
    const later = store.addWindow({ ...declared, startsAt: T0 + HOUR, endsAt: T0 + 2 * HOUR });
    expect(store.settleClockStep(T0).rows).toBeGreaterThan(0);
    expect(store.unreportedWindows()).toEqual([{ ...later, startsAt: T0, endsAt: T0 + HOUR }]);
  });
});
