import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Sqlite as Database } from '../../src/adapters/sqlite/driver.js';
import { answer, closeWorldChecked, OPERATOR, startWorld, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

/** The audit log as the stopped bot left it (read from the file, the app's store being closed). */
function auditLog(w: World): Array<{ actor: string; action: string; reason: string | null }> {
  const db = new Database(path.join(w.dir, 'stormguard.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT actor, action, reason FROM audit_log ORDER BY id').all() as Array<{ actor: string; action: string; reason: string | null }>;
  } finally {
    db.close();
  }
}

describe('a /restart in flight when stormguard stops (SIGTERM)', () => {
  it('is answered and recorded as carried out; an action arriving while it stops is refused, not cut off', async () => {
    world = await startWorld();
    const w = world;
    await w.cycles(1);
    // The Kubernetes API answers slowly: the restart's PATCH is still on its way when the stop begins.
    w.kube.setLatency(1_500);
    const inFlight = w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    await expect.poll(() => w.app.store.pendingRestartAttempts().length).toBe(1);
    const stopped = w.app.close();
    // Someone taps while it stops: told so, nothing started.
    const late = await w.discord.slashCommand({ name: 'restart', options: { target: 'hass' }, user: OPERATOR });
    expect(answer(late)).toBe('stormguard is stopping (a restart or a redeploy), so nothing was done; try again in a minute.');
    await stopped;

    expect(answer(await inFlight)).toBe('Restarting frigate (rollout restart requested).');
    expect(w.kube.restarts.map((r) => r.name)).toEqual(['frigate']);
    expect(auditLog(w)).toEqual([
      { actor: OPERATOR.id, action: 'restartRequested', reason: null },
      { actor: OPERATOR.id, action: 'restartRefused', reason: 'stopping' },
      { actor: OPERATOR.id, action: 'restartSucceeded', reason: null },
    ]);

    // The next instance finds the attempt finished — not "unknown", not pending.
    w.kube.setLatency(0);
    w.app = await startAgain(w);
    expect(w.app.store.restartsFor({ incidentIds: [], since: 0 }).map((r) => [r.target, r.status, r.error])).toEqual([['frigate', 'succeeded', null]]);
  });
});

/** Starts a new bot on the same database (the first one is already closed). */
async function startAgain(w: World): Promise<World['app']> {
  const closed = w.app;
  // restartBot closes the current app first; closing a closed app again is what a second SIGTERM does.
  await w.restartBot();
  expect(w.app).not.toBe(closed);
  return w.app;
}
