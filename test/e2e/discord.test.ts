import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessageView } from '../../src/sim/discord/index.js';
import { BYSTANDER, IDS, messageOf, OPERATOR, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

const MIN = 60_000;
let world: World | undefined;

afterEach(async () => {
  if (!world) return;
  const violations = world.discord.violations;
  await world.close();
  world = undefined;
  // Every request body the bot sent must be valid for Discord's official schema.
  expect(violations).toEqual([]);
});

function embedText(message: SimMessageView): string {
  return JSON.stringify(message.embeds);
}

function threadNotes(message: SimMessageView): string[] {
  return message.thread?.messages.map((m) => m.content) ?? [];
}

describe('Discord, end to end (real discord.js against the simulators)', () => {
  it('the motivating outage: one message, one mention, a quiet thread, a refused /restart, one restart, resolved', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.kube.setNodeReady('node-a', 'False');
    w.probe.setStatus(503);
    await w.cycles(2);

    expect(topLevel(w)).toHaveLength(1);
    const [message] = topLevel(w);
    expect(message!.content).toContain(`<@&${IDS.mentionRole}>`);
    expect(roleRings(w)).toBe(1);
    expect(message!.thread).not.toBeNull();
    expect(embedText(message!)).toContain('node-a');
    expect(embedText(message!)).toContain('frigate');

    // An hour of cycles: still one message, edited only when something changed.
    const editsBefore = topLevel(w)[0]!.editCount;
    await w.cycles(120);
    expect(topLevel(w)).toHaveLength(1);
    expect(topLevel(w)[0]!.editCount).toBe(editsBefore);
    expect(w.kube.restarts).toHaveLength(0);

    // A person asks for a restart: refused, ephemerally, naming the node and why.
    const refused = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    expect(refused.reply?.ephemeral).toBe(true);
    expect(refused.reply?.content).toMatch(/node-a.*NotReady/);
    expect(w.kube.restarts).toHaveLength(0);

    // The node returns: after the grace period, exactly one restart, noted quietly in the thread.
    w.kube.setNodeReady('node-a', 'True');
    await w.cycles(3);
    expect(w.kube.restarts).toHaveLength(1);
    const thread = topLevel(w)[0]!.thread!;
    const restartNote = thread.messages.find((m) => m.content.includes('Restarting frigate'));
    expect(restartNote?.flags).toBe(4096);

    // frigate is healthy again: resolved, thread archived, still one message and one mention.
    w.probe.setStatus(200);
    await w.cycles(3);
    const final = topLevel(w);
    expect(final).toHaveLength(1);
    expect(embedText(final[0]!)).toContain('Resolved');
    expect(final[0]!.components).toEqual([]);
    expect(final[0]!.thread?.archived).toBe(true);
    expect(roleRings(w)).toBe(1);
    expect(w.kube.restarts).toHaveLength(1);
    // Every thread note is quiet.
    for (const note of final[0]!.thread!.messages) expect(note.flags & 4096).toBe(4096);
  });

  it('a bot restart mid-incident keeps editing the same message', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(topLevel(w)).toHaveLength(1);

    await w.restartBot();
    await w.cycles(2);
    const ack = await w.discord.slashCommand({ name: 'ack', user: OPERATOR });
    expect(ack.reply?.content).toContain('Acknowledged');
    w.probe.setStatus(200);
    await w.cycles(4);

    expect(topLevel(w)).toHaveLength(1);
    expect(w.discord.countRequests({ method: 'POST', path: new RegExp(`^/channels/${IDS.channel}/messages$`) })).toBe(1);
    expect(topLevel(w)[0]!.editCount).toBeGreaterThan(0);
    expect(embedText(topLevel(w)[0]!)).toContain('Resolved');
  });

  it('/ack in the thread acknowledges that incident, and the button does the same', async () => {
    world = await startWorld();
    const w = world;
    w.probe.setStatus(503);
    w.kube.setNodeReady('node-b', 'False'); // hass's node: a second incident
    await w.cycles(2);
    expect(topLevel(w)).toHaveLength(2);
    const frigateMessage = messageOf(w, 'target:frigate')!;

    const ack = await w.discord.slashCommand({ name: 'ack', user: OPERATOR, channelId: frigateMessage.thread!.id });
    expect(ack.reply?.ephemeral).toBe(true);
    expect(ack.reply?.content).toContain('Acknowledged');
    await w.app.cycles.deliver();
    const after = topLevel(w).find((m) => m.id === frigateMessage.id)!;
    expect(embedText(after)).toContain(`<@${IDS.operator}>`);
    expect(threadNotes(after).some((n) => n.includes('Acknowledged by'))).toBe(true);

    const nodeMessage = messageOf(w, 'node:node-b')!;
    const ackButton = (nodeMessage.components as Array<{ components: Array<{ custom_id: string; label: string }> }>)[0]!.components.find((c) => c.label === 'Acknowledge')!;
    const clicked = await w.discord.clickButton({ customId: ackButton.custom_id, messageId: nodeMessage.id, user: OPERATOR });
    expect(clicked.followUps.concat(clicked.reply ? [clicked.reply] : []).some((r) => r.content.includes('Acknowledged'))).toBe(true);
    expect(w.app.store.openIncidents().map((i) => i.state)).toEqual(['acknowledged', 'acknowledged']);
    // Acknowledged incidents do not escalate.
    await w.cycles(40);
    expect(roleRings(w)).toBe(2);
  });

  it('/silence mutes the next incident’s mention and automatic restarts, and rings when it expires', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    const silenced = await w.discord.slashCommand({ name: 'silence', options: { duration: '1h', target: 'frigate', reason: 'upgrading' }, user: OPERATOR });
    expect(silenced.reply?.content).toContain('Silenced frigate');

    w.probe.setStatus(503);
    await w.cycles(10);
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(0);
    expect(w.kube.restarts).toHaveLength(0);

    // The silence runs out while frigate is still down: the muted notification is sent then.
    await w.cycles(110);
    expect(roleRings(w)).toBe(1);
    expect(w.kube.restarts.length).toBeGreaterThan(0);
  });

  it('/silence off lifts a silence', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    await w.discord.slashCommand({ name: 'silence', options: { duration: '2d' }, user: OPERATOR });
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(roleRings(w)).toBe(0);
    const lifted = await w.discord.slashCommand({ name: 'silence', options: { duration: 'off' }, user: OPERATOR });
    expect(lifted.reply?.content).toContain('Lifted');
    await w.cycles(1);
    expect(roleRings(w)).toBe(1);
  });

  it('refuses, ephemerally and audited, without side effects', async () => {
    world = await startWorld();
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    const before = { restarts: w.kube.restarts.length, silences: w.app.store.activeSilences(w.clock.now()).length };
    const attempts = [
      { why: 'not an operator', call: () => w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: BYSTANDER }), expect: /operator role/ },
      { why: 'another guild', call: () => w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR, guildId: IDS.otherGuild }), expect: /only answers in the server/ },
      { why: 'a DM', call: () => w.discord.slashCommand({ name: 'ack', user: OPERATOR, guildId: null }), expect: /direct messages/ },
      { why: 'unknown target', call: () => w.discord.slashCommand({ name: 'restart', options: { target: 'kube-apiserver' }, user: OPERATOR }), expect: /not a configured target/ },
      { why: 'duration 0', call: () => w.discord.slashCommand({ name: 'silence', options: { duration: '0' }, user: OPERATOR }), expect: /duration|unit/i },
      { why: 'duration 8d', call: () => w.discord.slashCommand({ name: 'silence', options: { duration: '8d' }, user: OPERATOR }), expect: /at most 7d/ },
      { why: 'duration banana', call: () => w.discord.slashCommand({ name: 'silence', options: { duration: 'banana' }, user: OPERATOR }), expect: /not a duration/ },
      { why: 'button by a bystander', call: () => w.discord.clickButton({ customId: `restart:${w.app.store.openIncidents()[0]!.id}`, messageId: topLevel(w)[0]!.id, user: BYSTANDER }), expect: /operator role/ },
    ];
    for (const attempt of attempts) {
      const auditsBefore = w.app.store.auditFor({}).filter((a) => a.action.endsWith('Refused')).length;
      const result = await attempt.call();
      const reply = result.reply ?? result.followUps[0];
      expect(reply?.ephemeral, attempt.why).toBe(true);
      expect(reply?.content, attempt.why).toMatch(attempt.expect);
      const auditsAfter = w.app.store.auditFor({}).filter((a) => a.action.endsWith('Refused')).length;
      expect(auditsAfter, attempt.why).toBe(auditsBefore + 1);
    }
    expect(w.kube.restarts.length).toBe(before.restarts);
    expect(w.app.store.activeSilences(w.clock.now()).length).toBe(before.silences);
  });

  it('text from a probe or a person never pings anyone', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503, `@everyone <@&${IDS.mentionRole}> <@${IDS.operator}> down`);
    await w.cycles(2);
    await w.discord.slashCommand({ name: 'silence', options: { duration: '1h', target: 'hass', reason: `@here <@&${IDS.mentionRole}>` }, user: OPERATOR });
    await w.discord.slashCommand({ name: 'restart', options: { target: 'hass', reason: `@everyone <@&${IDS.mentionRole}>` }, user: OPERATOR });
    await w.app.cycles.deliver();
    const rings = w.discord.allMentions().filter((r) => !r.suppressed);
    // The opening message rings the role once; nothing else pings anyone.
    expect(rings).toEqual([expect.objectContaining({ kind: 'role', id: IDS.mentionRole })]);
    // The probe's text is shown, made inert: it can neither ping nor render as a mention.
    const shown = JSON.stringify(topLevel(w));
    expect(shown).toContain('@\u200beveryone \\\\<@&');
    expect(shown).not.toMatch(/@everyone|(?<!\\\\)<@&\d+> down/);
  });

  it('offers targets and incidents as autocomplete choices', async () => {
    world = await startWorld();
    const w = world;
    const targets = await w.discord.autocomplete({ name: 'restart', focused: { name: 'target', value: 'fri' }, user: OPERATOR });
    expect(targets.map((c) => c.value)).toEqual(['frigate']);
    w.probe.setStatus(503);
    await w.cycles(2);
    const incidents = await w.discord.autocomplete({ name: 'ack', focused: { name: 'incident', value: '' }, user: OPERATOR });
    expect(incidents.map((c) => c.name)).toEqual([expect.stringContaining('target:frigate')]);
  });

  it('/status shows health, nodes, the incident and what the gate says now', async () => {
    world = await startWorld();
    const w = world;
    w.kube.setNodeReady('node-a', 'False');
    w.probe.setStatus(503);
    await w.cycles(2);
    const status = await w.discord.slashCommand({ name: 'status', user: BYSTANDER });
    expect(status.reply?.ephemeral).toBe(true);
    expect(status.reply?.content).toMatch(/frigate.*down.*node-a NotReady.*incident #\d+ node:node-a.*restart now: no — node node-a is NotReady/);
    expect(status.reply?.content).toMatch(/hass.*restart now: allowed/);
  });
});
