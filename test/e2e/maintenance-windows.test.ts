/**
 * `/maintenance` end to end: the real bot (real discord.js against the Discord simulator, the real
 * Kubernetes client against its simulator, a real SQLite file) on a controllable clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { answer, closeWorldChecked, IDS, messageOf, OPERATOR, BYSTANDER, roleRings, startWorld, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

const MIN = 60_000;

/** The thread messages of frigate's incident, oldest first. */
function frigateThread(w: World) {
  return messageOf(w, 'target:frigate')?.thread?.messages ?? [];
}

describe('/maintenance', () => {
  it('keeps a target quiet and unrestarted in its window, shows it in /status, and at its end rings once for what is still down', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    const declared = await w.discord.slashCommand({ name: 'maintenance', options: { target: 'frigate', duration: '1h', reason: 'NAS firmware' }, user: OPERATOR });
    expect(answer(declared)).toMatch(/^Maintenance window on frigate until <t:\d+:f>/);
    const listed = await w.discord.slashCommand({ name: 'maintenance', user: OPERATOR });
    expect(answer(listed)).toMatch(/^Maintenance windows in force:\n\*\*frigate\*\* until <t:\d+:f> \(<t:\d+:R>\) — NAS firmware, by <@200000000000000001>$/);

    w.probe.setStatus(503);
    await w.cycles(20, MIN); // 20 minutes of checks in the window
    expect(w.app.store.openIncidents().map((i) => i.subject)).toEqual(['target:frigate']);
    expect(roleRings(w)).toBe(0);
    expect(w.kube.restarts).toHaveLength(0);
    expect(w.app.store.auditFor({ action: 'restartSkipped' }).map((a) => a.reason)).toEqual(['maintenanceWindow']);
    await expect.poll(() => frigateThread(w).some((m) => /^Not restarting frigate: frigate is in a maintenance window until 2\d:\d\d UTC \(NAS firmware, by user-200000000000000001\)$/.test(m.content))).toBe(true);
    const card = () => (messageOf(w, 'target:frigate')!.embeds[0] as { fields: Array<{ name: string; value: string }> }).fields;
    expect(card()).toContainEqual(expect.objectContaining({ name: 'In maintenance until', value: expect.stringMatching(/^<t:\d+:f> — NAS firmware, by <@\d+>$/) }));
    const status = await w.discord.slashCommand({ name: 'status', options: { target: 'frigate' }, user: BYSTANDER });
    expect(answer(status)).toMatch(/🛠️ in maintenance until <t:\d+:f> \(NAS firmware, by <@\d+>\)/);
    // A person in the window knows what they do: their /restart passes.
    const manual = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(manual)).toMatch(/Restarting frigate/);
    expect(w.kube.restarts).toHaveLength(1);

    await w.cycles(45, MIN); // past the end
    expect(roleRings(w)).toBe(1);
    const ring = w.discord.allMentions().find((r) => r.kind === 'role' && !r.suppressed)!;
    expect(ring.channelId).toBe(messageOf(w, 'target:frigate')!.thread!.id);
    await expect.poll(() => frigateThread(w).map((m) => m.content)).toContainEqual(expect.stringMatching(/^<@&\d+> Maintenance window \(frigate — NAS firmware, by <@\d+>\) over after 1h — still down: frigate$/));
    await expect.poll(() => card().some((f) => f.name === 'In maintenance until')).toBe(false);
    // Once: no second ring; automatic restarts go through the gate again.
    await w.cycles(10, MIN);
    expect(roleRings(w)).toBe(1);
    expect(w.kube.restarts.length).toBeGreaterThan(1);
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', user: OPERATOR }))).toBe('No maintenance window is in force.');
  });

  it('does not re-page an incident acknowledged before the window began; duration:off ends it early with the summary as a quiet note', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(roleRings(w)).toBe(1);
    expect(answer(await w.discord.slashCommand({ name: 'ack', user: OPERATOR }))).toMatch(/^Acknowledged/);
    await w.discord.slashCommand({ name: 'maintenance', options: { node: 'node-a', duration: '2h', reason: 'reboot' }, user: OPERATOR });
    await expect.poll(() => frigateThread(w).map((m) => m.content)).toContainEqual(expect.stringMatching(/^In maintenance until <t:\d+:f> \(reboot, by <@\d+>\): no mentions and no automatic restarts until then$/));
    expect(w.app.store.auditFor({ action: 'maintenanceChanged' })).toHaveLength(1);
    await w.cycles(10, MIN);
    const ended = await w.discord.slashCommand({ name: 'maintenance', options: { node: 'node-a', duration: 'off' }, user: OPERATOR });
    expect(answer(ended)).toMatch(/^Ended the maintenance window on node node-a/);
    await w.cycles(5, MIN);
    expect(roleRings(w)).toBe(1);
    await expect.poll(() => frigateThread(w).map((m) => m.content)).toContainEqual(expect.stringMatching(/^Maintenance window \(node node-a — reboot, by <@\d+>\) ended early after 10m — still down: frigate$/));
    expect(w.app.store.auditFor({ action: 'maintenanceWindowEnded' })).toHaveLength(1);
  });

  it('when everything came back during the window, its summary is a quiet note in the thread of what came back, archived again', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    await w.discord.slashCommand({ name: 'maintenance', options: { node: 'node-a', duration: '1h', reason: 'firmware' }, user: OPERATOR });
    w.probe.setStatus(503);
    await w.cycles(5, MIN);
    w.probe.setStatus(200);
    await w.cycles(5, MIN); // frigate is back 10 minutes in: long before the end, past the reopen window
    expect(w.app.store.openIncidents()).toEqual([]);
    await w.cycles(55, MIN);
    expect(roleRings(w)).toBe(0);
    const thread = messageOf(w, 'target:frigate')!.thread!;
    await expect.poll(() => thread.messages.map((m) => m.content).at(-1)).toMatch(/^Maintenance window \(node node-a — firmware, by <@\d+>\) over after 1h — back: frigate$/);
    await expect.poll(() => messageOf(w, 'target:frigate')!.thread!.archived).toBe(true);
    expect(w.app.store.auditFor({ action: 'maintenanceWindowEnded' })).toHaveLength(1);
  });

  it('a second /maintenance over the same target replaces the window in force: one window, one report over the whole span', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    await w.discord.slashCommand({ name: 'maintenance', options: { target: 'frigate', duration: '30m', reason: 'firmware' }, user: OPERATOR });
    w.probe.setStatus(503);
    await w.cycles(20, MIN);
    await w.discord.slashCommand({ name: 'maintenance', options: { target: 'frigate', duration: '30m', reason: 'firmware, take two' }, user: OPERATOR });
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', user: OPERATOR }))).toMatch(/^Maintenance windows in force:\n\*\*frigate\*\* until [^\n]* — firmware, take two, by <@\d+>$/);
    await w.cycles(25, MIN); // past the first window's end, inside the second
    expect(roleRings(w)).toBe(0);
    await w.cycles(10, MIN);
    expect(roleRings(w)).toBe(1);
    expect(w.app.store.auditFor({ action: 'maintenanceWindowEnded' }).map((a) => a.detail.text)).toEqual(['Maintenance window (frigate — firmware, take two, by <@200000000000000001>) over after 50m — still down: frigate']);
  });

  it('is for operators only, refuses nonsense, and lets nothing but a configured target reach it', async () => {
    world = await startWorld();
    const w = world;
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', options: { target: 'frigate', duration: '1h' }, user: BYSTANDER }))).toMatch(/operator/i);
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', options: { target: 'ghost', duration: '1h' }, user: OPERATOR }))).toBe('“ghost” is not a configured target.');
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', options: { target: 'frigate', node: 'node-a', duration: '1h' }, user: OPERATOR }))).toBe('Give either node or target, not both.');
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', options: { node: 'Node_A!', duration: '1h' }, user: OPERATOR }))).toMatch(/not a Kubernetes node name/);
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', options: { node: 'node-a', duration: '8d' }, user: OPERATOR }))).toMatch(/too long; at most 7d/);
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', options: { node: 'node-a' }, user: OPERATOR }))).toMatch(/Give a duration/);
    expect(answer(await w.discord.slashCommand({ name: 'maintenance', options: { node: 'node-a', duration: 'off' }, user: OPERATOR }))).toBe('No maintenance window is in force over node node-a.');
    expect(w.app.store.unreportedWindows()).toEqual([]);
    expect(w.app.store.auditFor({ action: 'maintenanceRefused' }).map((a) => a.reason)).toEqual(expect.arrayContaining(['unknownTarget', 'bothSubjects', 'badNode', 'badDuration']));
    void IDS;
  });
});
