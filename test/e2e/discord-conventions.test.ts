/**
 * Discord conventions (issue 11) with the real bot and the real discord.js against the Discord
 * simulator, every body validated against Discord's schema: `/incidents`, `/silence` offering its
 * durations and listing silences, and per-target links as link buttons.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { answer, BYSTANDER, IDS, OPERATOR, startWorld, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  if (!world) return;
  const violations = world.discord.violations;
  await world.close();
  world = undefined;
  expect(violations).toEqual([]);
});

const GRAFANA = 'https://grafana.example.com/d/frigate';
const RUNBOOK = 'https://wiki.example.com/runbooks/frigate';

describe('Discord conventions', () => {
  it('/incidents lists the open incidents newest first, with state, age, who acknowledged and a link — for anyone', async () => {
    world = await startWorld();
    const w = world;
    expect(answer(await w.discord.slashCommand({ name: 'incidents', user: BYSTANDER }))).toBe('No incident is open.');
    w.probe.setStatus(503);
    await w.cycles(2);
    w.kube.setNodeReady('node-b', 'False');
    await w.cycles(1);
    const [first, second] = w.discord.channel().messages;
    await w.discord.slashCommand({ name: 'ack', options: { incident: '1' }, user: OPERATOR });

    const reply = answer(await w.discord.slashCommand({ name: 'incidents', user: BYSTANDER }));
    const lines = reply.split('\n');
    expect(lines[0]).toBe('2 open incidents, newest first:');
    expect(lines[1]).toMatch(/^\*\*#2 node:node-b\*\* — open, not acknowledged · since <t:\d+:R> · \[message\]\(https:\/\/discord\.com\/channels\//);
    expect(lines[1]).toContain(`/${IDS.guild}/${IDS.channel}/${second!.id})`);
    expect(lines[2]).toMatch(new RegExp(`^\\*\\*#1 target:frigate\\*\\* — acknowledged by <@${IDS.operator}> · since <t:\\d+:R>`));
    expect(lines[2]).toContain(`/${first!.id})`);
    // An ephemeral reply that pings nobody, although it names the person who acknowledged.
    expect(w.discord.allMentions().filter((r) => r.kind === 'user')).toEqual([]);
  });

  it('/silence offers 15m, 1h, 4h, 1d and off, keeps a typed duration, and lists silences when called without one', async () => {
    world = await startWorld();
    const w = world;
    const offered = await w.discord.autocomplete({ name: 'silence', focused: { name: 'duration', value: '' }, user: OPERATOR });
    expect(offered.map((c) => c.value)).toEqual(['15m', '1h', '4h', '1d', 'off']);
    const typed = await w.discord.autocomplete({ name: 'silence', focused: { name: 'duration', value: '1h30m' }, user: OPERATOR });
    expect(typed).toEqual([{ name: '1h30m', value: '1h30m' }]);
    const prefix = await w.discord.autocomplete({ name: 'silence', focused: { name: 'duration', value: '1' }, user: OPERATOR });
    expect(prefix.map((c) => c.value)).toEqual(['15m', '1h', '1d']);
    // The target option still completes targets.
    const targets = await w.discord.autocomplete({ name: 'silence', focused: { name: 'target', value: 'fri' }, user: OPERATOR });
    expect(targets.map((c) => c.value)).toEqual(['frigate']);

    expect(answer(await w.discord.slashCommand({ name: 'silence', user: OPERATOR }))).toBe('Nothing is silenced.');
    await w.discord.slashCommand({ name: 'silence', options: { duration: '1h30m', target: 'frigate', reason: 'camera firmware' }, user: OPERATOR });
    await w.discord.slashCommand({ name: 'silence', options: { duration: '4h' }, user: OPERATOR });
    const listed = answer(await w.discord.slashCommand({ name: 'silence', user: OPERATOR }));
    expect(listed.split('\n')).toEqual([
      'Silenced now:',
      expect.stringMatching(new RegExp(`^\\*\\*frigate\\*\\* until <t:\\d+:f> \\(<t:\\d+:R>\\) by <@${IDS.operator}> — camera firmware$`)),
      expect.stringMatching(/^\*\*everything\*\* until <t:\d+:f>/),
    ]);
  });

  it('puts each target’s links on its incident message as link buttons, kept after it resolves', async () => {
    world = await startWorld({
      targets: [
        { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' }, autoRestart: false, links: [{ label: 'Grafana', url: GRAFANA }, { label: 'Runbook', url: RUNBOOK }] },
        { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' } },
      ],
    });
    const w = world;
    w.kube.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, false);
    await w.cycles(2);
    const [message] = w.discord.channel().messages;
    const rows = message!.components as Array<{ components: Array<Record<string, unknown>> }>;
    expect(rows).toHaveLength(2);
    expect(rows[0]!.components.map((b) => b['label'])).toEqual(['Acknowledge', 'Silence 1h', 'Restart', 'Logs']);
    expect(rows[1]!.components).toEqual([
      { type: 2, style: 5, label: 'Grafana', url: GRAFANA },
      { type: 2, style: 5, label: 'Runbook', url: RUNBOOK },
    ]);

    w.kube.setPodsReady('nvr', { kind: 'Deployment', name: 'frigate' }, true);
    await w.cycles(2);
    const [resolved] = w.discord.channel().messages;
    expect((resolved!.embeds[0] as { color: number }).color).toBe(0x2ecc71);
    expect(resolved!.components).toEqual([{ type: 1, components: [{ type: 2, style: 5, label: 'Grafana', url: GRAFANA }, { type: 2, style: 5, label: 'Runbook', url: RUNBOOK }] }]);
  });
});
