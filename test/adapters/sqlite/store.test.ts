import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sqlite } from '../../../src/adapters/sqlite/driver.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, Effect, Incident, TargetState } from '../../../src/core/types.js';
import { openDatabase } from '../../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../../src/adapters/sqlite/store.js';
import { newIncident } from '../../../src/core/lifecycle.js';
import type { Diagnosis } from '../../../src/core/diagnosis.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-store-'));
  dirs.push(dir);
  return dir;
}

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** frigate's unsaved incident opened at T0, as the lifecycle makes it. */
function incident(overrides: Partial<Incident> = {}): Incident {
  return { ...newIncident('target:frigate', 'target', 'HTTP 503 twice in a row', T0), targets: ['frigate'], ...overrides };
}

function audit(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: T0,
    actor: 'scheduler',
    action: 'opened',
    subject: 'target:frigate',
    incidentId: null,
    reason: null,
    detail: {},
    ...overrides,
  };
}

type SilenceInput = Parameters<Store['addSilence']>[0];
type RestartInput = Parameters<Store['insertRestartAttempt']>[0];

function silence(overrides: Partial<SilenceInput> = {}): SilenceInput {
  return { scope: { kind: 'everything' }, startsAt: T0, endsAt: T0 + 60 * MINUTE, createdBy: 'u1', reason: '', ...overrides };
}

function restart(overrides: Partial<RestartInput> = {}): RestartInput {
  const base = { target: 'frigate', incidentId: null, requestedBy: 'scheduler', automatic: true, requestedAt: T0 };
  return { ...base, ...overrides };
}

/** The SQLite error code of whatever `fn` throws. */
function sqliteCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

let file: string;
let store: Store;

beforeEach(() => {
  file = path.join(tempDir(), 'stormguard.db');
  store = createStore(openDatabase(file), { now: () => T0 });
});

afterEach(() => {
  store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('incidents', () => {
  it('round-trips every field through insert, get and update', () => {
    const stored = store.insertIncident(incident());
    expect(stored.id).toEqual(expect.any(Number));
    expect(store.getIncident(stored.id!)).toEqual(stored);

    const changed: Incident = {
      ...stored,
      kind: 'node',
      subject: 'target:frigate',
      state: 'acknowledged',
      cause: 'node k3s-2 is NotReady',
      targets: ['frigate', 'mqtt'],
      reopenCount: 2,
      acknowledgedBy: '1234',
      acknowledgedAt: T0 + MINUTE,
      notifiedAt: T0,
      escalatedAt: T0 + 15 * MINUTE,
      restartCount: 3,
      needsHuman: true,
    };
    store.updateIncident(changed);
    expect(store.getIncident(stored.id!)).toEqual(changed);
    expect(store.getIncident(9999)).toBeNull();
  });

  it('refuses to insert a stored incident or update an unstored one', () => {
    const stored = store.insertIncident(incident());
    expect(() => store.insertIncident(stored)).toThrow(/already stored/);
    expect(() => store.updateIncident(incident())).toThrow(/has no id/);
    expect(() => store.updateIncident({ ...stored, id: 9999 })).toThrow(/no incident with id 9999/);
  });

  it('lists open incidents, the latest per subject, and the reopen window', () => {
    const resolved = (openedAt: number, resolvedAt: number) => incident({ state: 'resolved', openedAt, resolvedAt });
    const old = store.insertIncident(resolved(T0 - 90 * MINUTE, T0 - 60 * MINUTE));
    const recent = store.insertIncident(resolved(T0 - 20 * MINUTE, T0 - 5 * MINUTE));
    const node = store.insertIncident(incident({ subject: 'node:k3s-2', kind: 'node', targets: ['frigate'] }));
    const acked = store.insertIncident(
      incident({ subject: 'target:mqtt', state: 'acknowledged', acknowledgedBy: 'u', acknowledgedAt: T0 }),
    );

    expect(store.openIncidents().map((i) => i.id)).toEqual([node.id, acked.id]);
    expect(store.latestIncidentFor('target:frigate')?.id).toBe(recent.id);
    expect(store.latestIncidentFor('target:nothing')).toBeNull();
    expect(store.recentIncidents(T0 - 10 * MINUTE).map((i) => i.id)).toEqual([recent.id, node.id, acked.id]);
    expect(store.recentIncidents(T0 - 5 * MINUTE).map((i) => i.id)).toContain(recent.id);
    expect(store.recentIncidents(T0 - 120 * MINUTE).map((i) => i.id)).toEqual([old.id, recent.id, node.id, acked.id]);
  });

  it('stores Discord message and thread ids apart from the incident, and keeps them across updates', () => {
    const stored = store.insertIncident(incident());
    expect(store.getDiscordRefs(stored.id!)).toEqual({ messageId: null, threadId: null, renderHash: null });
    store.setDiscordMessage(stored.id!, '111', null);
    expect(store.getDiscordRefs(stored.id!)).toEqual({ messageId: '111', threadId: null, renderHash: null });
    store.setDiscordMessage(stored.id!, '111', '222');
    store.updateIncident({ ...stored, cause: 'still down' });
    expect(store.getDiscordRefs(stored.id!)).toEqual({ messageId: '111', threadId: '222', renderHash: null });
    expect(store.getDiscordRefs(9999)).toBeNull();
    expect(() => store.setDiscordMessage(9999, '1', null)).toThrow(/no incident/);
    store.setDiscordRenderHash(stored.id!, 'abc');
    expect(store.getDiscordRefs(stored.id!)?.renderHash).toBe('abc');
    expect(store.incidentByThread('222')?.id).toBe(stored.id);
    expect(store.incidentByThread('333')).toBeNull();
  });

  it('lets the database refuse a second unresolved incident for one subject, even when code tries twice', () => {
    store.insertIncident(incident());
    const second = () => store.insertIncident(incident({ cause: 'a duplicate' }));
    expect(sqliteCode(second)).toMatch(/^SQLITE_CONSTRAINT/);
    expect(sqliteCode(second)).toMatch(/^SQLITE_CONSTRAINT/);
    const acked = incident({ state: 'acknowledged', acknowledgedBy: 'u', acknowledgedAt: T0 });
    expect(sqliteCode(() => store.insertIncident(acked))).toMatch(/^SQLITE_CONSTRAINT/);
    expect(store.openIncidents()).toHaveLength(1);
  });

  it('allows a new open incident once the previous one of the subject is resolved', () => {
    const first = store.insertIncident(incident());
    store.updateIncident({ ...first, state: 'resolved', resolvedAt: T0 + MINUTE });
    const next = store.insertIncident(incident({ openedAt: T0 + 30 * MINUTE }));
    expect(next.id).not.toBe(first.id);
    expect(store.openIncidents().map((i) => i.id)).toEqual([next.id]);
    // Reopening the old one while the new one is open is refused by the same index.
    expect(sqliteCode(() => store.updateIncident({ ...first, state: 'open' }))).toMatch(/^SQLITE_CONSTRAINT/);
  });

  it('enforces the CHECK constraints', () => {
    const insert = (overrides: Partial<Incident>) => sqliteCode(() => store.insertIncident(incident(overrides)));
    expect(insert({ state: 'closed' as never })).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(insert({ kind: 'pod' as never })).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(insert({ state: 'resolved' })).toBe('SQLITE_CONSTRAINT_CHECK'); // resolved needs resolvedAt
    expect(insert({ acknowledgedBy: 'u' })).toBe('SQLITE_CONSTRAINT_CHECK'); // who without when
    expect(insert({ subject: '' })).toBe('SQLITE_CONSTRAINT_CHECK');
  });
});

describe('target state', () => {
  it('saves, replaces and loads target states keyed by target', () => {
    const frigate: TargetState = {
      target: 'frigate',
      health: 'down',
      consecutiveFailures: 2,
      consecutiveSuccesses: 0,
      lastDetail: 'HTTP 503',
      lastObservedAt: T0,
      lastGateReason: 'nodeNotReady',
      consecutiveMissing: 1,
    };
    const mqtt: TargetState = { ...frigate, target: 'mqtt', health: 'up', lastObservedAt: null, lastGateReason: null, consecutiveMissing: 0 };
    expect(store.loadTargetStates()).toEqual({});
    store.saveTargetState(frigate);
    store.saveTargetState(mqtt);
    const recovered: TargetState = {
      ...frigate,
      health: 'up',
      consecutiveFailures: 0,
      consecutiveSuccesses: 2,
      lastDetail: 'HTTP 200',
    };
    store.saveTargetState(recovered);
    expect(store.loadTargetStates()).toEqual({ frigate: recovered, mqtt });
  });
});

describe('silences', () => {
  it('adds silences by scope, lists those in force and lifts them by id', () => {
    const all = store.addSilence(silence({ reason: 'maintenance' }));
    const frigate = store.addSilence(silence({ scope: { kind: 'target', name: 'frigate' }, endsAt: T0 + 30 * MINUTE, createdBy: 'u2' }));
    const node = store.addSilence(silence({ scope: { kind: 'node', name: 'k3s-2' }, endsAt: T0 + 40 * MINUTE }));
    store.addSilence(silence({ scope: { kind: 'target', name: 'mqtt' }, startsAt: T0 - 60 * MINUTE, endsAt: T0 - 30 * MINUTE }));
    expect(all).toEqual({ ...silence({ reason: 'maintenance' }), id: expect.any(Number), liftedAt: null });

    expect(store.activeSilences(T0)).toEqual([all, frigate, node]);
    expect(store.activeSilences(T0 + 30 * MINUTE)).toEqual([all, node]);

    expect(store.liftSilences([frigate.id], T0 + 10 * MINUTE, 'u4')).toBe(1);
    expect(store.liftSilences([frigate.id], T0 + 11 * MINUTE, 'u4')).toBe(0);
    // A lift is something that happened: asked "before" it (the clock stepped back), it still holds.
    expect(store.activeSilences(T0 + 10 * MINUTE - 1)).toEqual([all, node]);
    expect(store.activeSilences(T0 + 10 * MINUTE)).toEqual([all, node]);

    expect(store.liftSilences([all.id, node.id], T0 + 20 * MINUTE, 'u4')).toBe(2);
    expect(store.activeSilences(T0 + 20 * MINUTE)).toEqual([]);
  });

  it('refuses a silence that ends before it starts, and a scope without its name or with a subject for a name', () => {
    expect(sqliteCode(() => store.addSilence(silence({ endsAt: T0 })))).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(sqliteCode(() => store.addSilence(silence({ scope: { kind: 'target', name: '' } })))).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(sqliteCode(() => store.addSilence(silence({ scope: { kind: 'target', name: 'target:frigate' } })))).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(sqliteCode(() => store.addSilence(silence({ scope: { kind: 'bogus' as 'node', name: 'x' } })))).toBe('SQLITE_CONSTRAINT_CHECK');
  });
});

describe('restart attempts', () => {
  it('records pending attempts, finishes them and lists them by time and target', () => {
    const owner = store.insertIncident(incident());
    const auto = store.insertRestartAttempt(restart({ incidentId: owner.id }));
    const manual = store.insertRestartAttempt(
      restart({ target: 'mqtt', requestedBy: '1234', automatic: false, requestedAt: T0 + MINUTE }),
    );
    const expected = { ...restart({ incidentId: owner.id }), status: 'pending', error: null };
    expect(auto).toEqual({ ...expected, id: expect.any(Number) });
    expect(store.pendingRestartAttempts()).toEqual([auto, manual]);

    store.finishRestartAttempt(auto.id, 'succeeded', null, T0 + 1000);
    store.finishRestartAttempt(manual.id, 'failed', 'HTTP 403', T0 + MINUTE + 1000);
    const again = () => store.finishRestartAttempt(auto.id, 'failed', 'again', T0 + 2000);
    expect(again).toThrow(/no pending restart attempt/);

    expect(store.restartsFor({ incidentIds: [], since: T0 })).toEqual([
      { ...auto, status: 'succeeded' },
      { ...manual, status: 'failed', error: 'HTTP 403' },
    ]);
    expect(store.restartsFor({ incidentIds: [], since: T0 + 1 })).toEqual([{ ...manual, status: 'failed', error: 'HTTP 403' }]);
    // An incident's attempts count however old they are (backoff and the breaker within a long incident).
    expect(store.restartsFor({ incidentIds: [owner.id!], since: T0 + 1 }).map((r) => r.id)).toEqual([auto.id, manual.id]);
    expect(store.restartsFor({ incidentIds: [owner.id!], since: T0 + 2 * MINUTE }).map((r) => r.id)).toEqual([auto.id]);
    expect(store.pendingRestartAttempts()).toEqual([]);
  });

  it('marks attempts left pending by a crash as unknown, never pending again', () => {
    const left = store.insertRestartAttempt(restart());
    expect(store.markPendingRestartsUnknown(T0 + MINUTE)).toBe(1);
    expect(store.markPendingRestartsUnknown(T0 + MINUTE)).toBe(0);
    const [after] = store.restartsFor({ incidentIds: [], since: T0 });
    expect(after).toMatchObject({ id: left.id, status: 'unknown', error: expect.stringMatching(/stopped before/) });
    expect(store.pendingRestartAttempts()).toEqual([]);
  });

  it('refuses an attempt that points at a missing incident', () => {
    expect(
      sqliteCode(() => store.insertRestartAttempt(restart({ incidentId: 9999 }))),
    ).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
  });
});

describe('audit log', () => {
  it('appends entries and reads them back in order, filtered', () => {
    const a = store.insertIncident(incident());
    const b = store.insertIncident(incident({ subject: 'node:k3s-2', kind: 'node' }));
    const entries = [
      audit({ incidentId: a.id, action: 'opened', detail: { targets: ['frigate'] } }),
      audit({ incidentId: b.id, subject: 'node:k3s-2', action: 'opened' }),
      audit({ incidentId: a.id, action: 'restartSkipped', reason: 'nodeNotReady', at: T0 + 1 }),
      audit({ actor: '1234', action: 'silenced', subject: 'everything', reason: 'maintenance', detail: { until: 1 } }),
      audit({ incidentId: a.id, action: 'acknowledged', actor: '1234', at: T0 + 2 }),
    ];
    const ids = entries.map((e) => store.appendAudit(e));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));

    expect(store.auditFor({})).toEqual(entries);
    expect(store.auditFor({ incidentId: a.id! })).toEqual([entries[0], entries[2], entries[4]]);
    expect(store.auditFor({ subject: 'node:k3s-2' })).toEqual([entries[1]]);
    expect(store.auditFor({ action: 'opened' })).toEqual([entries[0], entries[1]]);
    expect(store.auditFor({ incidentId: a.id!, action: 'acknowledged' })).toEqual([entries[4]]);
    expect(store.auditFor({ subject: 'nobody' })).toEqual([]);
  });
});

describe('outbox', () => {
  const post: Effect = { type: 'postMessage', mention: true };
  const note: Effect = { type: 'threadNote', text: 'restart skipped: node k3s-2 is NotReady' };
  const edit: Effect = { type: 'editMessage' };

  it('queues effects and hands out the due ones in id order with their payload', () => {
    const inc = store.insertIncident(incident());
    const id1 = store.enqueueEffect(inc.id, post, T0);
    const id2 = store.enqueueEffect(inc.id, note, T0);
    const id3 = store.enqueueEffect(null, { type: 'email', reason: 'fallback' }, T0 + MINUTE);
    expect(store.pendingEffects(T0)).toEqual([
      { id: id1, incidentId: inc.id, effect: post, attempts: 0 },
      { id: id2, incidentId: inc.id, effect: note, attempts: 0 },
      // Queued "after" now: only a clock that stepped back says so, and a first attempt never waits.
      { id: id3, incidentId: null, effect: { type: 'email', reason: 'fallback' }, attempts: 0 },
    ]);
    expect(store.pendingEffects(T0 + MINUTE).map((e) => e.id)).toEqual([id1, id2, id3]);
    expect(store.pendingEffects(T0 + MINUTE, 1).map((e) => e.id)).toEqual([id1]);
  });

  it('records delivery, retries and failures, and counts by filter', () => {
    const inc = store.insertIncident(incident());
    const posted = store.enqueueEffect(inc.id, post, T0);
    const retried = store.enqueueEffect(inc.id, edit, T0);
    const failed = store.enqueueEffect(null, { type: 'push', reason: 'open' }, T0);

    store.markEffectDone(posted, T0 + 1);
    store.markEffectRetry(retried, 'HTTP 502', T0, MINUTE);
    store.markEffectFailed(failed, 'HTTP 401', T0 + 2);
    expect(() => store.markEffectDone(posted, T0 + 3)).toThrow(/no pending outbox effect/);
    expect(() => store.markEffectRetry(failed, 'x', T0, 0)).toThrow(/no pending outbox effect/);

    expect(store.pendingEffects(T0 + 10)).toEqual([]);
    expect(store.pendingEffects(T0 + MINUTE)).toEqual([{ id: retried, incidentId: inc.id, effect: edit, attempts: 1 }]);

    expect(store.countEffects()).toBe(3);
    expect(store.countEffects({ status: 'pending' })).toBe(1);
    expect(store.countEffects({ status: 'done' })).toBe(1);
    expect(store.countEffects({ status: 'failed' })).toBe(1);
    expect(store.countEffects({ incidentId: inc.id! })).toBe(2);
    expect(store.countEffects({ type: 'editMessage', status: 'pending' })).toBe(1);
    // Only the retried edit still waits; done and failed rows are not pending in any channel.
    expect(store.pendingByChannel()).toEqual({ discord: 1, email: 0, push: 0 });
    store.enqueueEffect(null, { type: 'email', reason: 'fallback' }, T0);
    store.enqueueEffect(null, { type: 'push', reason: 'open' }, T0);
    expect(store.pendingByChannel()).toEqual({ discord: 1, email: 1, push: 1 });
  });

  it('holds an incident’s later effects while an earlier one backs off, without holding other incidents', () => {
    const a = store.insertIncident(incident());
    const b = store.insertIncident(incident({ subject: 'target:mqtt', targets: ['mqtt'] }));
    const aPost = store.enqueueEffect(a.id, post, T0);
    const aEdit = store.enqueueEffect(a.id, edit, T0);
    const bPost = store.enqueueEffect(b.id, post, T0);
    store.markEffectRetry(aPost, 'HTTP 503', T0, MINUTE);

    expect(store.pendingEffects(T0 + 1).map((e) => e.id)).toEqual([bPost]);
    expect(store.pendingEffects(T0 + MINUTE).map((e) => e.id)).toEqual([aPost, aEdit, bPost]);
    expect(aEdit).toBeGreaterThan(aPost);
  });

  it('never lets a retry wait longer than its own delay from now when the clock steps back', () => {
    const a = store.insertIncident(incident());
    const aPost = store.enqueueEffect(a.id, post, T0);
    const aEdit = store.enqueueEffect(a.id, edit, T0);
    store.markEffectRetry(aPost, 'HTTP 503', T0, MINUTE);
    const back = T0 - 3 * HOUR;
    // Three hours back: the retry is due one minute from the new now, not three hours and a minute.
    expect(store.pendingEffects(back)).toEqual([]);
    expect(store.pendingEffects(back + MINUTE - 1)).toEqual([]);
    expect(store.pendingEffects(back + MINUTE).map((e) => e.id)).toEqual([aPost, aEdit]);
  });

  it('keeps a retry planned within its delay from now where it is (no step, or a step forward)', () => {
    const a = store.insertIncident(incident());
    const aPost = store.enqueueEffect(a.id, post, T0);
    store.markEffectRetry(aPost, 'HTTP 503', T0, MINUTE);
    // Exactly its delay from now is not moved: asked half a minute on, it is still due at T0 + 1 minute.
    expect(store.pendingEffects(T0)).toEqual([]);
    expect(store.pendingEffects(T0 + MINUTE / 2)).toEqual([]);
    expect(store.pendingEffects(T0 + MINUTE - 1)).toEqual([]);
    expect(store.pendingEffects(T0 + MINUTE).map((e) => e.id)).toEqual([aPost]);
    // A second failure waits its own, longer delay; stepping forward by hours makes it due at once.
    store.markEffectRetry(aPost, 'HTTP 503', T0 + MINUTE, 4 * MINUTE);
    expect(store.pendingEffects(T0 + 5 * MINUTE - 1)).toEqual([]);
    expect(store.pendingEffects(T0 + 3 * HOUR).map((e) => e.id)).toEqual([aPost]);
  });
});

describe('after the wall clock stepped back (settleClockStep)', () => {
  const AHEAD = 3 * HOUR;

  it('re-dates what was recorded "after" now to now; a silence keeps at most its own length from now', () => {
    const open = store.insertIncident(incident({ openedAt: T0 + AHEAD, notifiedAt: T0 + AHEAD }));
    const resolved = store.insertIncident(incident({ subject: 'target:hass', targets: ['hass'], state: 'resolved', openedAt: T0 - HOUR, notifiedAt: T0 - HOUR, resolvedAt: T0 + AHEAD - MINUTE }));
    const attempt = store.insertRestartAttempt(restart({ requestedAt: T0 + AHEAD }));
    store.finishRestartAttempt(attempt.id, 'succeeded', null, T0 + AHEAD + 1);
    // Made ten minutes before the step for an hour: in force for an hour from now, not 3h50m.
    const fresh = store.addSilence(silence({ startsAt: T0 + AHEAD - 10 * MINUTE, endsAt: T0 + AHEAD + 50 * MINUTE }));
    // Made for four hours, two hours before the step: it starts again now for its four hours.
    const long = store.addSilence(silence({ scope: { kind: 'target', name: 'hass' }, startsAt: T0 + AHEAD - 2 * HOUR, endsAt: T0 + AHEAD + 2 * HOUR }));
    const untouched = store.addSilence(silence({ scope: { kind: 'node', name: 'node-a' }, startsAt: T0 - MINUTE, endsAt: T0 + HOUR }));

    expect(store.settleClockStep(T0)).toEqual({ rows: 5, aheadMs: AHEAD + 1 });

    expect(store.getIncident(open.id!)).toMatchObject({ openedAt: T0, notifiedAt: T0 });
    expect(store.getIncident(resolved.id!)).toMatchObject({ openedAt: T0 - HOUR, resolvedAt: T0 });
    expect(store.restartsFor({ incidentIds: [], since: T0 - HOUR }).map((r) => r.requestedAt)).toEqual([T0]);
    const silences = new Map(store.activeSilences(T0).map((s) => [s.id, s]));
    expect(silences.get(fresh.id)).toMatchObject({ startsAt: T0, endsAt: T0 + HOUR });
    expect(silences.get(long.id)).toMatchObject({ startsAt: T0, endsAt: T0 + 4 * HOUR });
    expect(silences.get(untouched.id)).toMatchObject({ startsAt: T0 - MINUTE, endsAt: T0 + HOUR });
    // Once settled, nothing is ahead any more.
    expect(store.settleClockStep(T0)).toEqual({ rows: 0, aheadMs: 0 });
  });

  it('leaves times at now or before alone (no step, or a step forward)', () => {
    store.insertIncident(incident({ openedAt: T0, notifiedAt: T0 }));
    store.insertRestartAttempt(restart({ requestedAt: T0 }));
    store.addSilence(silence({ startsAt: T0, endsAt: T0 + HOUR }));
    expect(store.settleClockStep(T0)).toEqual({ rows: 0, aheadMs: 0 });
    expect(store.settleClockStep(T0 + 5 * HOUR)).toEqual({ rows: 0, aheadMs: 0 });
    // One millisecond back is a step back.
    expect(store.settleClockStep(T0 - 1)).toEqual({ rows: 3, aheadMs: 1 });
  });

  it("re-dates a maintenance's times that lie after now, so its settle and overrun waits count from now at most", () => {
    const base = { since: T0 - HOUR, cordonedAt: T0 - HOUR, signals: ['cordoned'], targets: ['frigate'], disruptedAt: T0 - HOUR, downAt: T0 - HOUR, notReadySince: null, backAt: null, rangAt: null, endedAt: null };
    store.saveMaintenance([
      { ...base, node: 'node-a', notReadySince: T0 + AHEAD, backAt: null },
      { ...base, node: 'node-b', backAt: T0 + AHEAD, rangAt: T0 + AHEAD, endedAt: T0 + AHEAD },
      { ...base, node: 'node-c', since: T0 + AHEAD, cordonedAt: T0 + AHEAD, disruptedAt: T0 + AHEAD, downAt: T0 + AHEAD },
      { ...base, node: 'node-d' },
    ]);
    expect(store.settleClockStep(T0)).toEqual({ rows: 3, aheadMs: AHEAD });
    expect(store.loadMaintenance()).toEqual([
      { ...base, node: 'node-a', notReadySince: T0 },
      { ...base, node: 'node-b', backAt: T0, rangAt: T0, endedAt: T0 },
      { ...base, node: 'node-c', since: T0, cordonedAt: T0, disruptedAt: T0, downAt: T0 },
      { ...base, node: 'node-d' },
    ]);
  });

  it('keeps a lift that lies after now a lift (at now)', () => {
    const s = store.addSilence(silence({ startsAt: T0 - HOUR, endsAt: T0 + 2 * HOUR }));
    store.liftSilences([s.id], T0 + MINUTE, 'u1');
    expect(store.settleClockStep(T0).rows).toBe(1);
    expect(store.activeSilences(T0)).toEqual([]);
  });
});

describe('meta', () => {
  it('gets and replaces values', () => {
    expect(store.getMeta('discord.lastReachableAt')).toBeNull();
    store.setMeta('discord.lastReachableAt', String(T0));
    store.setMeta('discord.lastReachableAt', String(T0 + 1));
    expect(store.getMeta('discord.lastReachableAt')).toBe(String(T0 + 1));
  });
});

describe('transactions and crashes', () => {
  it('commits every write of a transaction together', () => {
    const id = store.transaction(() => {
      const inc = store.insertIncident(incident());
      store.appendAudit(audit({ incidentId: inc.id }));
      store.enqueueEffect(inc.id, { type: 'postMessage', mention: true }, T0);
      return inc.id;
    });
    expect(store.getIncident(id!)).not.toBeNull();
    expect(store.auditFor({ incidentId: id! })).toHaveLength(1);
    expect(store.countEffects({ incidentId: id! })).toBe(1);
  });

  it('shows neither write when the transaction throws between them', () => {
    expect(() =>
      store.transaction(() => {
        const inc = store.insertIncident(incident());
        store.appendAudit(audit({ incidentId: inc.id }));
        throw new Error('crash between writes');
      }),
    ).toThrow('crash between writes');
    expect(store.openIncidents()).toEqual([]);
    expect(store.auditFor({})).toEqual([]);
  });

  it('refuses an async function, so nobody awaits inside a transaction', () => {
    expect(() => store.transaction((async () => store.insertIncident(incident())) as never)).toThrow(/promise/i);
    expect(store.openIncidents()).toEqual([]);
  });

  it('rolls back a nested transaction alone when the caller catches its error', () => {
    store.transaction(() => {
      store.insertIncident(incident());
      try {
        store.transaction(() => {
          store.insertIncident(incident({ subject: 'target:mqtt' }));
          throw new Error('inner');
        });
      } catch {
        // the outer cycle carries on without the inner writes
      }
    });
    expect(store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
  });

  it('keeps committed data and drops the open transaction when the process is SIGKILLed mid-transaction', () => {
    store.close();
    const fixture = path.resolve(import.meta.dirname, '../../fixtures/sqlite-crash.mjs');
    const child = spawnSync(process.execPath, [fixture, file], { encoding: 'utf8', timeout: 20_000 });
    expect(child.stderr).toBe('');
    expect(child.signal).toBe('SIGKILL');
    // The torn transaction had spilled pages into the WAL: the crash left real work to recover from.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(100_000);

    const db = openDatabase(file);
    store = createStore(db, { now: () => T0 });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(store.openIncidents().map((i) => i.subject)).toEqual(['target:committed']);
    expect(store.auditFor({ subject: 'target:committed' })).toHaveLength(1);
    expect(store.auditFor({ subject: 'target:torn' })).toEqual([]);
    // And the database still takes writes.
    expect(store.insertIncident(incident({ subject: 'target:torn' })).id).toEqual(expect.any(Number));
  });

  it('checkpoints the WAL on close so the main file stands alone', () => {
    store.insertIncident(incident());
    store.close();
    store.close();
    const walSize = fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;
    expect(walSize).toBe(0);
    const db = new Sqlite(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM incidents').get()).toEqual({ n: 1 });
    db.close();
    store = createStore(openDatabase(file));
  });
});

describe('incidents: diagnoses', () => {
  const pull: Diagnosis = { reason: 'imagePull', apiReason: 'ImagePullBackOff', container: 'frigate', message: 'Back-off pulling image "frigate:0.14"', summary: 'frigate cannot pull its image', hint: 'check the tag', restart: 'cannotHelp', change: { at: T0, images: [{ container: 'frigate', from: 'frigate:0.13', to: 'frigate:0.14' }], memoryLimits: [] } };

  it('keeps why its targets are down across updates and a reopened database', () => {
    const stored = store.insertIncident(incident({ diagnoses: { frigate: pull } }));
    expect(store.getIncident(stored.id!)?.diagnoses).toEqual({ frigate: pull });
    store.updateIncident({ ...stored, diagnoses: { frigate: { ...pull, reason: 'containerConfig' } } });
    store.close();
    store = createStore(openDatabase(file), { now: () => T0 });
    expect(store.getIncident(stored.id!)?.diagnoses?.frigate?.reason).toBe('containerConfig');
  });

  it('stores none as NULL and reads it back as absent, as for incidents from before diagnoses', () => {
    const stored = store.insertIncident(incident({ diagnoses: {} }));
    expect(store.getIncident(stored.id!)).not.toHaveProperty('diagnoses');
    store.close();
    const db = new Sqlite(file);
    expect(db.prepare('SELECT diagnoses_json FROM incidents WHERE id = ?').get(stored.id)).toEqual({ diagnoses_json: null });
    expect(() => db.prepare("UPDATE incidents SET diagnoses_json = '[1]'").run()).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE incidents SET diagnoses_json = 'nope'").run()).toThrow(/CHECK/);
    db.close();
    store = createStore(openDatabase(file), { now: () => T0 });
  });
});
