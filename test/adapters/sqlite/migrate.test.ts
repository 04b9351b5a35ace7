import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { Sqlite } from '../../../src/adapters/sqlite/driver.js';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrationsDir, readMigrations, schemaVersion } from '../../../src/adapters/sqlite/migrate.js';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-migrate-'));
  dirs.push(dir);
  return dir;
}

function tables(db: Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name);
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A migrations folder with the given files. */
function migrationsWith(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
  return dir;
}

const HEAD = readMigrations(migrationsDir()).length;

describe('migrationsDir', () => {
  it('finds the repository migrations folder from src/ and from a dist/src/ build', () => {
    const repo = path.resolve(import.meta.dirname, '../../..');
    expect(migrationsDir()).toBe(path.join(repo, 'migrations'));
    expect(migrationsDir(path.join(repo, 'dist', 'src', 'adapters', 'sqlite'))).toBe(path.join(repo, 'migrations'));
    expect(fs.existsSync(path.join(migrationsDir(), '001_initial.sql'))).toBe(true);
  });
});

describe('readMigrations', () => {
  it('orders files by number and ignores files that are not .sql', () => {
    const dir = migrationsWith({ '002_b.sql': '', '001_a.sql': '', 'README.md': '' });
    expect(readMigrations(dir).map((m) => [m.version, m.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it.each([
    ['a gap', { '001_a.sql': '', '003_c.sql': '' }, /expected version 2/],
    ['a duplicate', { '001_a.sql': '', '001_b.sql': '' }, /share version 1/],
    ['a misnamed file', { '001_a.sql': '', '2_b.sql': '' }, /not named NNN_name\.sql/],
    ['not starting at 1', { '002_b.sql': '' }, /expected version 1/],
  ])('refuses %s', (_label, files, message) => {
    expect(() => readMigrations(migrationsWith(files))).toThrow(message);
  });
});

describe('migrate', () => {
  it('brings a fresh database to the head, sets user_version, and is idempotent', () => {
    const db = new Sqlite(path.join(tempDir(), 'fresh.db'));
    expect(migrate(db, migrationsDir())).toEqual({ from: 0, to: HEAD });
    expect(schemaVersion(db)).toBe(HEAD);
    expect(tables(db)).toEqual(
      expect.arrayContaining([
        'incidents', 'target_state', 'silences', 'restart_attempts', 'audit_log', 'outbox', 'meta',
      ]),
    );
    const schemaBefore = db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').all();
    expect(migrate(db, migrationsDir())).toEqual({ from: HEAD, to: HEAD });
    expect(db.prepare('SELECT sql FROM sqlite_schema ORDER BY name').all()).toEqual(schemaBefore);
    db.close();
  });

  it('creates STRICT tables and the named partial unique index', () => {
    const db = new Sqlite(':memory:');
    migrate(db, migrationsDir());
    const strict = db.prepare<[], { name: string; strict: number }>(
      "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'",
    );
    const rows = strict.all();
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const row of rows) expect(row, row.name).toMatchObject({ strict: 1 });
    const index = db
      .prepare<[], { sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'incidents_by_open_subject'")
      .get();
    expect(index?.sql).toMatch(
      /UNIQUE INDEX incidents_by_open_subject ON incidents \(subject\) WHERE state <> 'resolved'/,
    );
    db.close();
  });

  it('applies only the pending migrations of an older database', () => {
    const dir = migrationsWith({ '001_a.sql': 'CREATE TABLE a (x INTEGER) STRICT;' });
    const db = new Sqlite(path.join(tempDir(), 'old.db'));
    expect(migrate(db, dir)).toEqual({ from: 0, to: 1 });
    fs.writeFileSync(path.join(dir, '002_b.sql'), 'CREATE TABLE b (y INTEGER) STRICT;');
    expect(migrate(db, dir)).toEqual({ from: 1, to: 2 });
    expect(tables(db)).toEqual(['a', 'b']);
    db.close();
  });

  it('003 reads the silences version 2 stored into their scope (everything, a target, a node) and gives each outbox row its channel', () => {
    // Version 2 as the bot left it: the Silence button stored the incident's subject, /silence a bare name.
    const upTo2 = migrationsWith(Object.fromEntries(readMigrations(migrationsDir()).slice(0, 2).map((m) => [path.basename(m.file), fs.readFileSync(m.file, 'utf8')])));
    const file = path.join(tempDir(), 'v2.db');
    const db = new Sqlite(file);
    expect(migrate(db, upTo2)).toEqual({ from: 0, to: 2 });
    const insert = db.prepare('INSERT INTO silences (target, starts_at, ends_at, created_by) VALUES (?, 1, 2, ?)');
    for (const [target, by] of [[null, 'a'], ['frigate', 'b'], ['target:hass', 'c'], ['node:k3s-2', 'd'], ['cluster', 'e']]) insert.run(target, by);
    const queue = db.prepare("INSERT INTO outbox (type, payload_json, next_attempt_at, created_at) VALUES (?, json_object('type', ?), 1, 1)");
    for (const type of ['editMessage', 'email', 'push', 'ring']) queue.run(type, type);
    expect(migrate(db)).toEqual({ from: 2, to: HEAD });
    expect(db.prepare('SELECT type, channel FROM outbox ORDER BY id').all()).toEqual([
      { type: 'editMessage', channel: 'discord' },
      { type: 'email', channel: 'email' },
      { type: 'push', channel: 'push' },
      { type: 'ring', channel: 'discord' },
    ]);
    expect(db.prepare('SELECT created_by, scope, name FROM silences ORDER BY id').all()).toEqual([
      { created_by: 'a', scope: 'everything', name: null },
      { created_by: 'b', scope: 'target', name: 'frigate' },
      { created_by: 'c', scope: 'target', name: 'hass' },
      { created_by: 'd', scope: 'node', name: 'k3s-2' },
      { created_by: 'e', scope: 'everything', name: null },
    ]);
    expect(() => db.prepare("INSERT INTO silences (scope, name, starts_at, ends_at, created_by) VALUES ('everything', 'x', 1, 2, 'f')").run()).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO silences (scope, name, starts_at, ends_at, created_by) VALUES ('node', NULL, 1, 2, 'f')").run()).toThrow(/CHECK/);
    db.close();
  });

  it('005 keeps version 4’s incidents and ids and allows the setup and observer kinds, nothing else', () => {
    const upTo4 = migrationsWith(Object.fromEntries(readMigrations(migrationsDir()).slice(0, 4).map((m) => [path.basename(m.file), fs.readFileSync(m.file, 'utf8')])));
    const db = new Sqlite(path.join(tempDir(), 'v4.db'));
    expect(migrate(db, upTo4)).toEqual({ from: 0, to: 4 });
    const insert = db.prepare("INSERT INTO incidents (id, subject, kind, state, cause, opened_at, created_at, updated_at) VALUES (?, ?, ?, 'open', 'c', 1, 1, 1)");
    insert.run(7, 'target:frigate', 'target');
    insert.run(9, 'alert:00ff', 'alert');
    expect(() => insert.run(10, 'observer', 'observer')).toThrow(/CHECK/);
    expect(migrate(db)).toEqual({ from: 4, to: HEAD });
    expect(db.prepare('SELECT id, subject, kind FROM incidents ORDER BY id').all()).toEqual([
      { id: 7, subject: 'target:frigate', kind: 'target' },
      { id: 9, subject: 'alert:00ff', kind: 'alert' },
    ]);
    insert.run(10, 'observer', 'observer');
    insert.run(11, 'setup:missing/ghost', 'setup');
    expect(() => insert.run(12, 'x', 'pod')).toThrow(/CHECK/);
    // Still one open incident per subject.
    expect(() => insert.run(13, 'observer', 'observer')).toThrow(/UNIQUE/);
    db.close();
  });

  it('006 gives a row backing off what is left of its wait, and a row never tried no wait', () => {
    const upTo5 = migrationsWith(Object.fromEntries(readMigrations(migrationsDir()).slice(0, 5).map((m) => [path.basename(m.file), fs.readFileSync(m.file, 'utf8')])));
    const db = new Sqlite(path.join(tempDir(), 'v5.db'));
    expect(migrate(db, upTo5)).toEqual({ from: 0, to: 5 });
    const now = Date.now();
    const insert = db.prepare("INSERT INTO outbox (id, type, payload_json, attempts, next_attempt_at, created_at) VALUES (?, 'editMessage', '{\"type\":\"editMessage\"}', ?, ?, 1)");
    insert.run(1, 3, now + 600_000); // backing off: ten minutes left
    insert.run(2, 0, 1); // never tried
    insert.run(3, 2, now - 1_000); // overdue
    migrate(db);
    const after = Date.now();
    const delays = db.prepare('SELECT id, retry_delay_ms AS d FROM outbox ORDER BY id').all() as Array<{ id: number; d: number }>;
    // What was left at the moment of the upgrade, between the clock readings around it (1 ms for rounding).
    expect(delays[0]!.d).toBeGreaterThanOrEqual(600_000 - (after - now) - 1);
    expect(delays[0]!.d).toBeLessThanOrEqual(600_000);
    expect(delays.slice(1)).toEqual([{ id: 2, d: 0 }, { id: 3, d: 0 }]);
    db.close();
  });

  it('007 keeps version 6’s target states and counts no missing observations for them', () => {
    const upTo6 = migrationsWith(Object.fromEntries(readMigrations(migrationsDir()).slice(0, 6).map((m) => [path.basename(m.file), fs.readFileSync(m.file, 'utf8')])));
    const db = new Sqlite(path.join(tempDir(), 'v6.db'));
    expect(migrate(db, upTo6)).toEqual({ from: 0, to: 6 });
    db.prepare("INSERT INTO target_state (target, health, consecutive_failures, last_detail) VALUES ('frigate', 'down', 3, 'HTTP 503')").run();
    expect(migrate(db)).toEqual({ from: 6, to: HEAD });
    expect(db.prepare('SELECT target, health, consecutive_failures, consecutive_missing FROM target_state').all()).toEqual([
      { target: 'frigate', health: 'down', consecutive_failures: 3, consecutive_missing: 0 },
    ]);
    expect(() => db.prepare("UPDATE target_state SET consecutive_missing = -1 WHERE target = 'frigate'").run()).toThrow(/CHECK/);
    db.close();
  });

  it('008 re-keys every FNV-1a alert subject by the SHA-256 of its groupKey: the group, its incidents, their audit and its silences', () => {
    const upTo7 = migrationsWith(Object.fromEntries(readMigrations(migrationsDir()).slice(0, 7).map((m) => [path.basename(m.file), fs.readFileSync(m.file, 'utf8')])));
    const db = new Sqlite(path.join(tempDir(), 'v7.db'));
    expect(migrate(db, upTo7)).toEqual({ from: 0, to: 7 });
    const key = '{}/{severity="critical"}:{alertname="ProbeFailure"}';
    const old = 'alert:0123456789abcdef';
    const incident = db.prepare("INSERT INTO incidents (id, subject, kind, state, cause, opened_at, resolved_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'c', 1, ?, 1, 1)");
    incident.run(3, old, 'alert', 'resolved', 2);
    incident.run(4, old, 'alert', 'open', null);
    incident.run(5, 'target:frigate', 'target', 'open', null);
    db.prepare("INSERT INTO alert_groups (group_key, subject, incident_id, title, notification_json, updated_at) VALUES (?, ?, 4, 't', '{}', 1)").run(key, old);
    const audit = db.prepare("INSERT INTO audit_log (at, actor, action, subject, incident_id) VALUES (1, 'alertmanager', 'opened', ?, ?)");
    audit.run(old, 4);
    audit.run('target:frigate', 5);
    const silence = db.prepare("INSERT INTO silences (scope, name, starts_at, ends_at, created_by) VALUES (?, ?, 1, 2, 'u')");
    silence.run('alert', old.slice('alert:'.length));
    silence.run('target', 'frigate');
    expect(migrate(db)).toEqual({ from: 7, to: HEAD });
    const hash = createHash('sha256').update(key).digest('hex');
    const subject = `alert:${hash}`;
    expect(db.prepare('SELECT group_key, subject FROM alert_groups').all()).toEqual([{ group_key: key, subject }]);
    expect(db.prepare('SELECT id, subject FROM incidents ORDER BY id').all()).toEqual([{ id: 3, subject }, { id: 4, subject }, { id: 5, subject: 'target:frigate' }]);
    expect(db.prepare('SELECT subject FROM audit_log ORDER BY id').all()).toEqual([{ subject }, { subject: 'target:frigate' }]);
    expect(db.prepare('SELECT scope, name FROM silences ORDER BY id').all()).toEqual([{ scope: 'alert', name: hash }, { scope: 'target', name: 'frigate' }]);
    expect(tables(db)).not.toContain('alert_rekey');
    db.close();
  });

  it('rolls back every pending migration when a later one fails, leaving no partial tables', () => {
    const dir = migrationsWith({
      '001_good.sql': 'CREATE TABLE good (x INTEGER) STRICT;',
      '002_broken.sql': 'CREATE TABLE half (y INTEGER) STRICT;\nCREATE TABLE broken (z NOT_A_STRICT_TYPE) STRICT;',
    });
    const db = new Sqlite(path.join(tempDir(), 'broken.db'));
    expect(() => migrate(db, dir)).toThrow(/migration 002_broken\.sql failed/);
    expect(schemaVersion(db)).toBe(0);
    expect(tables(db)).toEqual([]);
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  it('rolls back a broken migration on top of an existing schema, keeping its data', () => {
    const dir = migrationsWith({ '001_good.sql': 'CREATE TABLE good (x INTEGER) STRICT;' });
    const db = new Sqlite(path.join(tempDir(), 'existing.db'));
    migrate(db, dir);
    db.prepare('INSERT INTO good (x) VALUES (42)').run();
    fs.writeFileSync(
      path.join(dir, '002_broken.sql'),
      'ALTER TABLE good ADD COLUMN y INTEGER;\nCREATE TABLE half (y INTEGER) STRICT;\nINSERT INTO nowhere VALUES (1);',
    );
    expect(() => migrate(db, dir)).toThrow(/002_broken\.sql/);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['good']);
    expect(db.prepare('SELECT * FROM good').all()).toEqual([{ x: 42 }]);
    db.close();
  });

  it('refuses a migration that leaves a foreign key dangling', () => {
    const dir = migrationsWith({
      '001_fk.sql': `CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;
        CREATE TABLE child (parent_id INTEGER REFERENCES parent (id)) STRICT;
        INSERT INTO child VALUES (7);`,
    });
    const db = new Sqlite(':memory:');
    db.pragma('foreign_keys = ON');
    expect(() => migrate(db, dir)).toThrow(/foreign key violation/);
    expect(schemaVersion(db)).toBe(0);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });
});

describe('openDatabase', () => {
  it('creates the parent directory, migrates, and turns on WAL, foreign keys and a busy timeout', () => {
    const file = path.join(tempDir(), 'nested', 'deeper', 'stormguard.db');
    const seen: unknown[] = [];
    const db = openDatabase(file, { onMigrated: (result) => seen.push(result) });
    expect(fs.existsSync(file)).toBe(true);
    expect(seen).toEqual([{ from: 0, to: HEAD }]);
    expect(schemaVersion(db)).toBe(HEAD);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    db.close();

    const again = openDatabase(file, { onMigrated: (result) => seen.push(result) });
    expect(seen[1]).toEqual({ from: HEAD, to: HEAD });
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
  });

  it('refuses a database newer than the code with a clear message and leaves it untouched', () => {
    const file = path.join(tempDir(), 'future.db');
    const future = new Sqlite(file);
    future.exec('CREATE TABLE from_the_future (x INTEGER); INSERT INTO from_the_future VALUES (1);');
    future.pragma(`user_version = ${HEAD + 1}`);
    future.close();
    const before = sha256(file);

    expect(() => openDatabase(file)).toThrow(
      `database ${file} is at schema version ${HEAD + 1} but this stormguard only knows up to ${HEAD}; ` +
        'upgrade stormguard or restore a backup',
    );

    expect(sha256(file)).toBe(before);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const check = new Sqlite(file, { readonly: true });
    expect(schemaVersion(check)).toBe(HEAD + 1);
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(tables(check)).toEqual(['from_the_future']);
    check.close();
  });
});
