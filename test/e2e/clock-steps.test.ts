import { afterEach, describe, expect, it } from 'vitest';
import { captureLogs } from '../helpers/logs.js';
import { answer, buttonId, OPERATOR, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

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

  it('keeps a silence in force for its hour from the new now; the escalation it held back rings once when it ends — not 4h later', async () => {
    const logs = captureLogs();
    world = await startWorld({ notify: { escalateAfter: '15m' } }, {}, { logger: logs.logger });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    const message = topLevel(w)[0]!;
    const clicked = await w.discord.clickButton({ customId: buttonId(message, 'Silence 1h'), messageId: message.id, user: OPERATOR });
    expect(answer(clicked)).toMatch(/Silenced frigate until/);
    await w.cycles(1);
    // Acknowledged nobody; the silence holds the escalation. Then the clock steps back three hours.
    w.clock.advance(-3 * HOUR);
    const stepped = w.clock.now();
    await w.cycles(1);
    expect(logs.lines().filter((l) => l.msg.startsWith('the wall clock stepped back'))).toEqual([
      expect.objectContaining({ level: 40, rows: expect.any(Number), aheadMs: expect.any(Number) }),
    ]);
    // Still silenced (not "pending", not lifted): no ring, no restart, for the hour.
    const restarts = w.kube.restarts.length;
    await w.cycles(118); // 59m30s after the step
    expect(roleRings(w)).toBe(1);
    expect(w.kube.restarts.length).toBe(restarts);
    // The silence ends an hour after the step (it was made just before it): the escalation it held
    // back (unacknowledged for over 15m) rings then, once — not four hours after the silence was made.
    await w.cycles(2);
    expect(w.clock.now() - stepped).toBe(HOUR + MINUTE / 2);
    expect(roleRings(w)).toBe(2);
    expect(w.app.store.auditFor({ action: 'escalated' }).map((a) => a.at - stepped)).toEqual([HOUR + MINUTE / 2]);
    await w.cycles(40);
    expect(roleRings(w)).toBe(2);
  });

  it('a /restart refused for its cooldown says 2m, not 3h, and is allowed again 2m later', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    await w.cycles(1);
    const restart = async () => answer(await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR }));
    expect(await restart()).toMatch(/^Restarting frigate/);
    await w.cycles(1); // the rollout finishes (20s)
    w.clock.advance(-3 * HOUR);
    // Before any cycle has run since the step, the gate's answer is already bounded by the cooldown.
    expect(await restart()).toBe('Not restarting frigate: frigate was restarted 1s ago; the next restart is possible in 2m.');
    // The first cycle after the step re-dates the restart to its start; the cooldown runs 2m from there.
    await w.cycles(4);
    expect(await restart()).toBe('Not restarting frigate: frigate was restarted 1m30s ago; the next restart is possible in 30s.');
    await w.cycles(1);
    expect(await restart()).toMatch(/^Restarting frigate/);
    expect(w.kube.restarts).toHaveLength(2);
  });
});

describe('the wall clock steps forward (issue 10 item 9)', () => {
  it('five hours at once: the held-back escalation rings once, one restart, what Discord was owed goes out once', async () => {
    world = await startWorld({ notify: { escalateAfter: '15m' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    const message = topLevel(w)[0]!;
    expect(answer(await w.discord.clickButton({ customId: buttonId(message, 'Silence 1h'), messageId: message.id, user: OPERATOR }))).toMatch(/Silenced frigate until/);
    // Discord's REST API goes down for a while: notes and edits back off in the outbox.
    w.discord.setRestDown(true);
    await w.cycles(4);
    expect(w.app.store.countEffects({ status: 'pending' })).toBeGreaterThan(0);
    const restarts = w.kube.restarts.length;

    w.discord.setRestDown(false);
    await w.cycles(1, 5 * HOUR);
    // The silence ended during the jump: the escalation it held back rings once; one restart, not one per hour skipped.
    expect(roleRings(w)).toBe(2);
    expect(w.app.store.auditFor({ action: 'escalated' })).toHaveLength(1);
    expect(w.kube.restarts.length).toBe(restarts + 1);
    expect(w.app.store.countEffects({ status: 'pending' })).toBe(0);
    expect(topLevel(w)).toHaveLength(1);
    // The next cycles follow the rules from the new now: the cooldown holds the next restart, no more rings.
    await w.cycles(2);
    expect(roleRings(w)).toBe(2);
    expect(w.kube.restarts.length).toBe(restarts + 1);
  });
});
