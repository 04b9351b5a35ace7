import { afterEach, describe, expect, it } from 'vitest';
import { answer, buttonId, closeWorldChecked, IDS, OPERATOR, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

describe('Discord actions the other tests do not pin down', () => {
  it('an empty operator list lets nobody act (fail closed), while /status still answers', async () => {
    world = await startWorld({}, { operatorRoleIds: [] });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    const restart = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(restart)).toMatch(/nobody may act/);
    const click = await w.discord.clickButton({ customId: buttonId(topLevel(w)[0]!, 'Acknowledge'), messageId: topLevel(w)[0]!.id, user: OPERATOR });
    expect(answer(click)).toMatch(/nobody may act/);
    expect(w.app.store.openIncidents()[0]!.state).toBe('open');
    const status = await w.discord.slashCommand({ name: 'status', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(status)).toMatch(/^\*\*frigate\*\* 🔴 down/);
    expect(answer(status)).not.toContain('hass');
  });

  it('the Restart button goes through the same gate as /restart: refused on a NotReady node, carried out once it is Ready', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.kube.setNodeReady('node-a', 'False');
    w.probe.setStatus(503);
    await w.cycles(2);
    const message = topLevel(w)[0]!;
    const refused = await w.discord.clickButton({ customId: buttonId(message, 'Restart'), messageId: message.id, user: OPERATOR });
    expect(answer(refused)).toMatch(/Not restarting frigate: node node-a is NotReady/);
    expect(w.app.store.auditFor({ action: 'restartRefused' }).map((a) => a.reason)).toEqual(['nodeNotReady']);
    expect(w.kube.restarts).toHaveLength(0);

    w.kube.setNodeReady('node-a', 'True');
    const allowed = await w.discord.clickButton({ customId: buttonId(message, 'Restart'), messageId: message.id, user: OPERATOR });
    expect(answer(allowed)).toMatch(/Restarting frigate/);
    expect(w.kube.restarts).toHaveLength(1);
    // The note is delivered after the person got their answer.
    await expect.poll(() => topLevel(w)[0]!.thread!.messages.some((m) => m.content.startsWith(`Restarting frigate by <@${IDS.operator}>`))).toBe(true);
  });

  it('the Silence 1h button mutes the incident’s escalation and automatic restarts for an hour', async () => {
    world = await startWorld({ notify: { escalateAfter: '10m' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    const message = topLevel(w)[0]!;
    const clicked = await w.discord.clickButton({ customId: buttonId(message, 'Silence 1h'), messageId: message.id, user: OPERATOR });
    expect(answer(clicked)).toMatch(/Silenced frigate until/);
    const restartsBefore = w.kube.restarts.length;
    await w.cycles(60); // 30 minutes: past escalateAfter, inside the silence
    expect(roleRings(w)).toBe(1);
    expect(w.kube.restarts.length).toBe(restartsBefore);
    expect(w.app.store.auditFor({ action: 'restartSkipped' }).map((a) => a.reason)).toContain('silenced');
  });

  it('answers the person before the delivery pass: the ephemeral reply comes before the thread note', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    const thread = topLevel(w)[0]!.thread!.id;
    const from = w.discord.requests.length;
    const acked = await w.discord.slashCommand({ name: 'ack', user: OPERATOR });
    expect(answer(acked)).toMatch(/^Acknowledged incident #\d+/);
    await expect.poll(() => topLevel(w)[0]!.thread!.messages.some((m) => m.content.startsWith('Acknowledged by'))).toBe(true);
    const after = w.discord.requests.slice(from);
    const reply = after.findIndex((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'));
    const note = after.findIndex((r) => r.method === 'POST' && r.path === `/channels/${thread}/messages`);
    expect(reply).toBeGreaterThanOrEqual(0);
    expect(note).toBeGreaterThan(reply);
  });

  it('/ack names an incident when several are open, and refuses to guess', async () => {
    world = await startWorld();
    const w = world;
    w.probe.setStatus(503);
    w.kube.setNodeReady('node-b', 'False');
    await w.cycles(2);
    const guess = await w.discord.slashCommand({ name: 'ack', user: OPERATOR });
    expect(answer(guess)).toMatch(/2 incidents are open; name one/);
    const node = w.app.store.openIncidents().find((i) => i.subject === 'node:node-b')!;
    const named = await w.discord.slashCommand({ name: 'ack', options: { incident: String(node.id) }, user: OPERATOR });
    // A reply names the incident as its card does, by its title, never by its subject.
    expect(answer(named)).toBe(`Acknowledged incident #${node.id} “node-b is NotReady — 1 service affected”.`);
    expect(Object.fromEntries(w.app.store.openIncidents().map((i) => [i.subject, i.state]))).toEqual({
      'target:frigate': 'open',
      'node:node-b': 'acknowledged',
    });
  });

  it('a reopen rings the role again, in the same message’s thread', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    w.probe.setStatus(200);
    await w.cycles(2);
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(2);
    const ring = w.discord.allMentions().filter((r) => r.kind === 'role' && !r.suppressed)[1]!;
    expect(ring.channelId).toBe(topLevel(w)[0]!.thread!.id);
  });
});

describe('a button stormguard did not make', () => {
  it('is answered ephemerally and audited, and changes nothing', async () => {
    world = await startWorld();
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    const message = topLevel(w)[0]!;
    const click = await w.discord.clickButton({ customId: 'ack:not-a-number', messageId: message.id, user: OPERATOR });
    expect(click.reply?.ephemeral).toBe(true);
    expect(answer(click)).toBe('stormguard does not know this button; use /status or the buttons on an incident message.');
    expect(w.app.store.auditFor({ action: 'buttonRefused' }).map((a) => [a.actor, a.reason])).toEqual([[IDS.operator, 'unknownButton']]);
    expect(w.app.store.openIncidents()[0]!.state).toBe('open');
  });
});
