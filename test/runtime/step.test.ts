/**
 * The shell's one step (`applyEvent`, `persistStep`) against a real store: what one event leaves in the
 * database — the incident, its audit records, its effects in the outbox, its restart attempts — and
 * that the silence it reads comes from the store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../src/adapters/sqlite/store.js';
import { applyEvent, persistStep } from '../../src/runtime/step.js';
import { HOUR, MIN, T0, incident } from '../core/fixtures.js';

const config = { reopenWindow: 30 * MIN, notify: { escalateAfter: 15 * MIN } };
let store: Store;

beforeEach(() => {
  store = createStore(openDatabase(':memory:'), { now: () => T0 });
});
afterEach(() => store.close());

const fail = { type: 'fail' as const, subject: 'target:frigate', kind: 'target' as const, cause: 'frigate is down (HTTP 503)', targets: ['frigate'] };

/** The effects waiting in the outbox, in the order they were written, by type (and mention for a post). */
function outbox(now = T0): string[] {
  return store.pendingEffects(now).map((p) => (p.effect.type === 'postMessage' ? `postMessage mention=${p.effect.mention}` : p.effect.type));
}

describe('applyEvent: one event, persisted with everything it causes', () => {
  it('a first failure stores a new incident with its id, its audit record and its effects (a post that mentions the role, a push)', () => {
    const result = applyEvent({ store, config }, null, fail, { actor: 'stormguard', now: T0 });

    expect(result.incident?.id).toEqual(expect.any(Number));
    expect(store.getIncident(result.incident!.id!)).toMatchObject({ subject: 'target:frigate', state: 'open', openedAt: T0, targets: ['frigate'] });
    expect(store.auditFor({ incidentId: result.incident!.id! }).map((a) => [a.action, a.actor, a.at])).toEqual([['opened', 'stormguard', T0], ['notified', 'stormguard', T0]]);
    expect(outbox()).toEqual(['postMessage mention=true', 'push']);
    expect(store.pendingEffects(T0).every((p) => p.incidentId === result.incident!.id)).toBe(true);
    expect(result.restartJobs).toEqual([]);
  });

  it('reads the silence in force from the store: a silenced incident is posted without a mention and pushes nothing', () => {
    const stored = store.insertIncident({ ...incident({ subject: 'target:frigate', state: 'resolved', resolvedAt: T0 - 2 * HOUR }), id: null });
    store.addSilence({ scope: { kind: 'target', name: 'frigate' }, startsAt: T0 - MIN, endsAt: T0 + HOUR, createdBy: 'alice', reason: 'firmware' });

    applyEvent({ store, config }, stored, fail, { actor: 'stormguard', now: T0 });

    expect(outbox()).toEqual(['postMessage mention=false']);
  });

  it('a restart request writes its pending attempt before anything is carried out, and returns the job to carry out after commit', () => {
    const opened = applyEvent({ store, config }, null, fail, { actor: 'stormguard', now: T0 }).incident!;

    const { restartJobs } = applyEvent({ store, config }, opened, { type: 'restartRequested', target: 'frigate', automatic: false, by: 'alice', reason: 'stuck' }, { actor: 'alice', now: T0 + MIN });

    const attempts = store.pendingRestartAttempts();
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ target: 'frigate', incidentId: opened.id, requestedBy: 'alice', automatic: false, requestedAt: T0 + MIN, status: 'pending' });
    expect(restartJobs).toEqual([{ attemptId: attempts[0]!.id, target: 'frigate', incidentId: opened.id, automatic: false, requestedBy: 'alice' }]);
    expect(store.auditFor({ incidentId: opened.id!, action: 'restartRequested' }).map((a) => a.actor)).toEqual(['alice']);
  });

  it('commits nothing when the transaction around it fails: state, audit and effects go together', () => {
    expect(() =>
      store.transaction(() => {
        applyEvent({ store, config }, null, fail, { actor: 'stormguard', now: T0 });
        throw new Error('a later write in the same transaction failed');
      }),
    ).toThrow('a later write');

    expect(store.openIncidents()).toEqual([]);
    expect(store.auditFor({})).toEqual([]);
    expect(outbox()).toEqual([]);
  });
});

describe('persistStep', () => {
  it('stamps audit records that name no incident with the stored incident, and keeps those that name one', () => {
    const other = store.insertIncident({ ...incident({ subject: 'node:node-a', kind: 'node' }), id: null });
    const result = persistStep(
      store,
      {
        incident: { ...incident(), id: null },
        effects: [{ type: 'editMessage' }],
        audit: [
          { at: T0, actor: 'stormguard', action: 'opened', subject: 'target:frigate', incidentId: null, reason: null, detail: {} },
          { at: T0, actor: 'stormguard', action: 'covered', subject: 'target:frigate', incidentId: other.id, reason: null, detail: {} },
        ],
        restarts: [],
      },
      T0,
    );

    expect(store.auditFor({ action: 'opened' })[0]!.incidentId).toBe(result.incident!.id);
    expect(store.auditFor({ action: 'covered' })[0]!.incidentId).toBe(other.id);
    expect(store.pendingEffects(T0).map((p) => [p.incidentId, p.effect.type])).toEqual([[result.incident!.id, 'editMessage']]);
  });
});
