/**
 * Interactions through the simulator: slash commands, buttons and autocomplete, answered by the real
 * discord.js client the way stormguard's router does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Events,
  MessageFlags,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import { CHANNEL_ID, GUILD_ID, OPERATOR_ROLE_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';

let h: DiscordHarness;
const seen: Interaction[] = [];
const alice = { id: '500000000000000001', roles: [OPERATOR_ROLE_ID] };

beforeEach(async () => {
  seen.length = 0;
  h = await startDiscordHarness();
  h.client.on(Events.InteractionCreate, (i) => seen.push(i));
});

afterEach(async () => {
  expect(h.sim.violations).toEqual([]);
  await h.close();
});

function incidents(): TextChannel {
  return h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
}

describe('slash commands', () => {
  it('delivers the member roles; a deferred ephemeral reply shows its edited content', async () => {
    h.client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.editReply({ content: `restart of ${i.options.getString('target', true)} refused: node k3s-2 is NotReady` });
    });
    const result = await h.sim.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: alice });
    const i = seen[0];
    expect(i?.isChatInputCommand() && i.commandName).toBe('restart');
    expect(i?.inCachedGuild() && [...i.member.roles.cache.keys()]).toContain(OPERATOR_ROLE_ID);
    expect(i?.channelId).toBe(CHANNEL_ID);
    expect(i?.guildId).toBe(GUILD_ID);
    expect(result.deferred).toBe(true);
    expect(result.callbacks.map((c) => c.type)).toEqual([5]);
    expect(result.reply).toMatchObject({ content: 'restart of frigate refused: node k3s-2 is NotReady', ephemeral: true });
    // Ephemeral answers never show in the channel.
    expect(h.sim.channel().messages).toEqual([]);
  });

  it('shows a public reply in the channel and records follow-ups', async () => {
    h.client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply({ content: 'all targets healthy', allowedMentions: { parse: [] } });
      await i.followUp({ content: 'details for you', flags: MessageFlags.Ephemeral });
    });
    const result = await h.sim.slashCommand({ name: 'status', user: { id: '500000000000000002' } });
    expect(result.reply).toMatchObject({ content: 'all targets healthy', ephemeral: false });
    await expect.poll(() => result.followUps).toHaveLength(1);
    expect(result.followUps[0]).toMatchObject({ content: 'details for you', ephemeral: true });
    expect(h.sim.channel().messages.map((m) => m.content)).toEqual(['all targets healthy']);
  });

  it('answers withResponse with the interaction callback resource', async () => {
    const responses: unknown[] = [];
    h.client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      const response = await i.deferReply({ flags: MessageFlags.Ephemeral, withResponse: true });
      responses.push(response.resource?.message?.id);
      await i.editReply('done');
    });
    const result = await h.sim.slashCommand({ name: 'status', user: alice });
    expect(responses).toEqual([result.reply?.messageId]);
  });

  it('can come from a thread or a DM', async () => {
    const message = await incidents().send({ content: 'incident' });
    await message.startThread({ name: 'frigate down' });
    h.client.on(Events.InteractionCreate, async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: `in ${i.channelId ?? 'none'} / ${i.guildId ?? 'dm'}`, flags: MessageFlags.Ephemeral });
    });
    const inThread = await h.sim.slashCommand({ name: 'ack', user: alice, channelId: message.id });
    expect(seen[0]?.channel?.type).toBe(ChannelType.PublicThread);
    expect(inThread.reply?.content).toBe(`in ${message.id} / ${GUILD_ID}`);
    const dm = await h.sim.slashCommand({ name: 'ack', user: alice, guildId: null });
    expect(seen[1]?.inGuild()).toBe(false);
    expect(dm.reply?.content).toMatch(/ \/ dm$/);
  });

  it('types options from the registered command', async () => {
    await h.client.application.commands.set(
      [{ name: 'silence', description: 'Silence', options: [{ type: 3, name: 'duration', description: 'How long', required: true }] }],
      GUILD_ID,
    );
    h.client.on(Events.InteractionCreate, async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: i.options.getString('duration', true), flags: MessageFlags.Ephemeral });
    });
    const result = await h.sim.slashCommand({ name: 'silence', options: { duration: '1h' }, user: alice });
    expect(result.reply?.content).toBe('1h');
    expect(seen[0]?.isChatInputCommand() && seen[0].commandId).toBe(h.sim.commands[0]?.id);
  });

  it('fails clearly when the bot never answers', async () => {
    await h.close();
    h = await startDiscordHarness({ replyTimeoutMs: 200 });
    await expect(h.sim.slashCommand({ name: 'status', user: alice })).rejects.toThrow(/not answered within 200ms \(callbacks: none\)/);
  });

  it('forgets an interaction answered after the deadline (10062)', async () => {
    await h.close();
    h = await startDiscordHarness({ answerDeadlineMs: 50, replyTimeoutMs: 300 });
    const errors: unknown[] = [];
    h.client.on(Events.InteractionCreate, async (i) => {
      await new Promise((r) => setTimeout(r, 120));
      if (i.isChatInputCommand()) await i.reply({ content: 'late' }).catch((e: unknown) => errors.push(e));
    });
    await expect(h.sim.slashCommand({ name: 'status', user: alice })).rejects.toThrow(/not answered/);
    expect(errors).toEqual([expect.objectContaining({ code: 10062 })]);
  });
});

describe('buttons', () => {
  it('clicks a button on the incident message and sees the updated message', async () => {
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId('ack:42').setLabel('Acknowledge').setStyle(ButtonStyle.Primary),
      new ButtonBuilder().setCustomId('silence:42:1h').setLabel('Silence 1h').setStyle(ButtonStyle.Secondary),
    );
    const message = await incidents().send({ content: 'frigate is down', components: [row] });
    h.client.on(Events.InteractionCreate, async (i) => {
      if (!i.isButton()) return;
      await i.update({ content: `frigate is down — acknowledged by <@${i.user.id}>`, components: [] });
    });
    const result = await h.sim.clickButton({ customId: 'ack:42', messageId: message.id, user: alice });
    const i = seen[0];
    expect(i?.isButton() && i.customId).toBe('ack:42');
    expect(i?.isButton() && i.message.id).toBe(message.id);
    expect(result.callbacks.map((c) => c.type)).toEqual([7]);
    expect(result.reply).toMatchObject({ messageId: message.id, content: `frigate is down — acknowledged by <@${alice.id}>`, ephemeral: false, editCount: 1 });
    expect(h.sim.channel().messages[0]).toMatchObject({ editCount: 1, components: [] });
    // An edit never pings, even when it names someone.
    expect(h.sim.allMentions()).toEqual([]);
  });

  it('supports deferUpdate followed by editReply', async () => {
    const message = await incidents().send({ content: 'frigate is down' });
    h.client.on(Events.InteractionCreate, async (i) => {
      if (!i.isButton()) return;
      await i.deferUpdate();
      await i.editReply({ content: 'frigate is down — restarting' });
    });
    const result = await h.sim.clickButton({ customId: 'restart:42', messageId: message.id, user: alice });
    expect(result.callbacks.map((c) => c.type)).toEqual([6]);
    expect(h.sim.channel().messages[0]).toMatchObject({ content: 'frigate is down — restarting', editCount: 1 });
  });
});

describe('autocomplete', () => {
  it('resolves with the choices the bot responds with', async () => {
    h.client.on(Events.InteractionCreate, async (i) => {
      if (!i.isAutocomplete()) return;
      const typed = i.options.getFocused();
      const targets = ['frigate', 'home-assistant', 'jellyfin'].filter((t) => t.startsWith(typed));
      await i.respond(targets.map((t) => ({ name: t, value: t })));
    });
    const choices = await h.sim.autocomplete({ name: 'restart', focused: { name: 'target', value: 'fr' }, options: { reason: 'x' }, user: alice });
    expect(choices).toEqual([{ name: 'frigate', value: 'frigate' }]);
    const i = seen[0];
    expect(i?.isAutocomplete() && i.options.getString('reason')).toBe('x');
  });
});
