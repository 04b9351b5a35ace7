/**
 * The two defects issue 9 found, tried as a person would: a silence made by the Silence 1h button that
 * `/status` could not see and `/silence off` could not lift, and a circuit breaker that forgot itself
 * after a day.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { answer, buttonId, closeWorldChecked, messageOf, OPERATOR, roleRings, startWorld, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

async function status(w: World, target: string): Promise<string> {
  return answer(await w.discord.slashCommand({ name: 'status', options: { target }, user: OPERATOR }));
}

describe('a silence has one scope, read by the button, /silence, /status, the gate and the view', () => {
  it('target incident: Silence 1h → /status shows it → /silence off target lifts it → the next failure rings', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    const message = messageOf(w, 'target:frigate')!;

    const clicked = await w.discord.clickButton({ customId: buttonId(message, 'Silence 1h'), messageId: message.id, user: OPERATOR });
    expect(answer(clicked)).toMatch(/^Silenced frigate until <t:\d+:f>/);
    expect(w.app.store.activeSilences(w.clock.now()).map((s) => s.scope)).toEqual([{ kind: 'target', name: 'frigate' }]);
    expect(await status(w, 'frigate')).toMatch(/silenced until <t:\d+:f>/);
    expect(await status(w, 'hass')).not.toMatch(/silenced/);

    // While silenced, a recovery and a relapse reopen the incident without ringing.
    w.probe.setStatus(200);
    await w.cycles(2);
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(w.app.store.openIncidents().map((i) => i.reopenCount)).toEqual([1]);
    expect(roleRings(w)).toBe(1);

    const off = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off', target: 'frigate' }, user: OPERATOR });
    expect(answer(off)).toBe('Lifted the silence on frigate.');
    expect(w.app.store.activeSilences(w.clock.now())).toEqual([]);
    expect(await status(w, 'frigate')).not.toMatch(/silenced/);

    // The ring the silence held back goes out now that it is lifted…
    await w.cycles(1);
    expect(roleRings(w)).toBe(2);
    // …and the next failure rings again.
    w.probe.setStatus(200);
    await w.cycles(2);
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(roleRings(w)).toBe(3);
  });

  it('node incident: Silence 1h → /status of its target shows it → /silence off target lifts it → the next failure rings', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.kube.setNodeReady('node-a', 'False');
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(w.app.store.openIncidents().map((i) => [i.subject, i.targets])).toEqual([['node:node-a', ['frigate']]]);
    expect(roleRings(w)).toBe(1);
    const message = messageOf(w, 'node:node-a')!;

    const clicked = await w.discord.clickButton({ customId: buttonId(message, 'Silence 1h'), messageId: message.id, user: OPERATOR });
    expect(answer(clicked)).toMatch(/^Silenced node node-a until <t:\d+:f>/);
    expect(w.app.store.activeSilences(w.clock.now()).map((s) => s.scope)).toEqual([{ kind: 'node', name: 'node-a' }]);
    expect(await status(w, 'frigate')).toMatch(/silenced until <t:\d+:f>/);
    // The incident message shows the silence too.
    await w.cycles(1);
    expect(JSON.stringify(messageOf(w, 'node:node-a')!.embeds)).toContain('Silenced until');

    const off = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off', target: 'frigate' }, user: OPERATOR });
    expect(answer(off)).toBe('Lifted the silence on node node-a.');
    expect(await status(w, 'frigate')).not.toMatch(/silenced/);

    // The node comes back and everything recovers, then fails again within the reopen window: it rings.
    w.kube.setNodeReady('node-a', 'True');
    w.probe.setStatus(200);
    await w.cycles(4, 60_000);
    expect(w.app.store.openIncidents()).toEqual([]);
    w.kube.setNodeReady('node-a', 'False');
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual(['node:node-a']);
    expect(roleRings(w)).toBe(2);
  });

  it('/silence off for a target muted only by a silence of everything says how to lift that one', async () => {
    world = await startWorld();
    const w = world;
    await w.discord.slashCommand({ name: 'silence', options: { duration: '1h' }, user: OPERATOR });
    expect(await status(w, 'frigate')).toMatch(/silenced until/);
    const off = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off', target: 'frigate' }, user: OPERATOR });
    expect(answer(off)).toMatch(/frigate is muted by the silence of everything; `\/silence duration:off` without a target lifts it/);
    expect(w.app.store.activeSilences(w.clock.now())).toHaveLength(1);
    const all = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off' }, user: OPERATOR });
    expect(answer(all)).toBe('Lifted the silence on everything.');
    expect(w.app.store.activeSilences(w.clock.now())).toEqual([]);
  });
});

describe('the circuit breaker is the incident’s', () => {
  it('stays open for 3 simulated days while the target keeps failing; a person’s /restart still goes through the gate', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    // Three automatic restarts (backoff 1m, 5m, 15m) that do not help; once the hourly limit lets go,
    // the breaker trips.
    await w.cycles(24, 5 * 60_000);
    expect(w.kube.restarts).toHaveLength(3);
    const [incident] = w.app.store.openIncidents();
    expect(incident).toMatchObject({ subject: 'target:frigate', needsHuman: true, restartCount: 3 });

    // Three days of half-hourly cycles: the target keeps failing, nothing restarts it automatically.
    for (let d = 1; d <= 3; d++) {
      await w.cycles(48, 30 * 60_000);
      expect(w.kube.restarts, `day ${d}`).toHaveLength(3);
    }
    expect(w.app.store.openIncidents()).toMatchObject([{ id: incident!.id, needsHuman: true, restartCount: 3 }]);
    expect(w.app.store.auditFor({ incidentId: incident!.id!, action: 'restartSkipped' }).map((a) => a.reason).at(-1)).toBe('circuitOpen');

    const manual = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate', reason: 'looked at it' }, user: OPERATOR });
    expect(answer(manual)).toBe('Restarting frigate (rollout restart requested).');
    expect(w.kube.restarts).toHaveLength(4);
    expect(w.app.store.restartsFor({ incidentIds: [incident!.id!], since: w.clock.now() }).map((r) => [r.automatic, r.requestedBy])).toEqual([
      [true, 'scheduler'],
      [true, 'scheduler'],
      [true, 'scheduler'],
      [false, OPERATOR.id],
    ]);
  });
});
