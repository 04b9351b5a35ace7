import { afterEach, describe, expect, it } from 'vitest';
import { startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;

afterEach(async () => {
  const violations = world?.discord.violations ?? [];
  await world?.close();
  world = undefined;
  expect(violations).toEqual([]);
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('the wall clock steps back (issue 10 item 9)', () => {
  it('does not freeze the outbox: a message owed while Discord was down is posted within its backoff from the new now', async () => {
    world = await startWorld();
    const w = world;

    // node-a goes down while Discord's REST API is down: the incident opens, its post backs off.
    w.discord.setRestDown(true);
    w.kube.setNodeReady('node-a', 'False');
    w.probe.setStatus(503);
    await w.cycles(6);
    expect(topLevel(w)).toHaveLength(0);
    expect(w.app.store.countEffects({ type: 'postMessage', status: 'pending' })).toBe(1);

    // NTP steps the clock back three hours; Discord answers again.
    w.clock.advance(-3 * HOUR);
    w.discord.setRestDown(false);
    // The longest retry delay is five minutes: within eleven 30-second cycles the post goes out (not in 3h).
    for (let i = 0; i < 11 && topLevel(w).length === 0; i++) await w.cycles(1);
    expect(topLevel(w)).toHaveLength(1);
    expect(w.app.store.countEffects({ type: 'postMessage', status: 'pending' })).toBe(0);
    expect(w.app.store.countEffects({ status: 'pending' })).toBe(0);
  });
});
