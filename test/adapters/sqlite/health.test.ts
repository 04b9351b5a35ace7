/** The store's write health, learnt from real statements on a real file with a real second writer. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sqlite } from '../../../src/adapters/sqlite/driver.js';
import { storeProblem } from '../../../src/adapters/sqlite/health.js';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';
import { createStore, type Store, type StoreHealth } from '../../../src/adapters/sqlite/store.js';

let dir: string;
let store: Store | undefined;
let other: InstanceType<typeof Sqlite> | undefined;

afterEach(() => {
  if (other?.inTransaction) other.exec('ROLLBACK');
  other?.close();
  store?.close();
  other = store = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(): { store: Store; changes: StoreHealth[]; file: string } {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-health-'));
  const file = path.join(dir, 'db.sqlite');
  const changes: StoreHealth[] = [];
  store = createStore(openDatabase(file), { now: () => 1_000, onHealthChange: (h) => changes.push(h) });
  return { store, changes, file };
}

describe('write health', () => {
  it('a write refused by another writer marks it unwritable, once; only a write that changed something heals it', () => {
    const { store, changes, file } = open();
    expect(store.health()).toEqual({ writable: true, problem: null, fix: null, since: null, otherWriterAt: null });
    other = new Sqlite(file);
    other.exec('BEGIN IMMEDIATE');

    expect(() => store.setMeta('a', '1')).toThrow(/locked/);
    expect(() => store.setMeta('a', '2')).toThrow(/locked/);
    expect(store.health()).toMatchObject({ writable: false, problem: 'locked', since: 1_000 });
    expect(store.health().fix).toContain(`another process holds the write lock of ${file}`);
    expect(changes.map((h) => h.problem)).toEqual(['locked']);
    // Reads go on in WAL mode beside the other writer.
    expect(store.getMeta('a')).toBeNull();

    other.exec('ROLLBACK');
    // A transaction that changes nothing proves nothing (with a full disk it succeeds as well).
    expect(store.pendingEffects(2_000)).toEqual([]);
    expect(store.health().writable).toBe(false);
    store.transaction(() => store.setMeta('a', '3'));
    expect(store.health().writable).toBe(true);
    expect(changes.map((h) => h.writable)).toEqual([false, true]);
  });

  it('a constraint violation or a bug is not a storage problem', () => {
    const { store } = open();
    expect(() => store.markEffectDone(42, 1)).toThrow(/no pending outbox effect/);
    expect(store.health().writable).toBe(true);
    expect(storeProblem(Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBeNull();
    expect(storeProblem(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe('diskFull');
    expect(storeProblem(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }))).toBe('readOnly');
    expect(storeProblem(new Error('plain'))).toBeNull();
  });

  it('sees another connection commit (a second writer), never its own writes, and says it once per spell', () => {
    const events: string[] = [];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-health-'));
    const file = path.join(dir, 'db.sqlite');
    store = createStore(openDatabase(file), { onHealthChange: (_h, event) => events.push(event) });
    store.setMeta('ours', '1');
    store.checkOtherWriters(1_000);
    expect(store.health().otherWriterAt).toBeNull();

    other = new Sqlite(file);
    other.prepare("INSERT INTO meta (key, value) VALUES ('theirs', '1')").run();
    store.checkOtherWriters(2_000);
    expect(store.health().otherWriterAt).toBe(2_000);
    other.prepare("UPDATE meta SET value = '2' WHERE key = 'theirs'").run();
    store.checkOtherWriters(3_000);
    store.checkOtherWriters(4_000);
    expect(store.health().otherWriterAt).toBe(3_000);
    expect(events).toEqual(['otherWriter']);
  });

  it('waits a quarter second for another writer, not five: the bot never freezes on a foreign lock', () => {
    const { store, file } = open();
    other = new Sqlite(file);
    other.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    expect(() => store.setMeta('a', '1')).toThrow(/locked/);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(200);
    expect(waited).toBeLessThan(1_000);
  });
});
