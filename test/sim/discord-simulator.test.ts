/**
 * The Discord simulator against the real discord.js client: login, messages, nonces, edits,
 * threads, mentions, command registration and body validation.
 */
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Routes,
  SlashCommandBuilder,
  type TextChannel,
  type ThreadChannel,
} from 'discord.js';
import { BOT_TOKEN, CHANNEL_ID, GUILD_ID, ONCALL_ROLE_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';

let h: DiscordHarness;

beforeEach(async () => {
  h = await startDiscordHarness();
});

afterEach(async () => {
  await h.close();
});

function incidents(): TextChannel {
  const channel = h.client.channels.cache.get(CHANNEL_ID);
  if (channel?.type !== ChannelType.GuildText) throw new Error('incidents channel not cached');
  return channel;
}

async function rejection(promise: Promise<unknown>): Promise<DiscordAPIError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiscordAPIError);
  return err as DiscordAPIError;
}

describe('login', () => {
  it('becomes ready with the guild, its roles and the incidents channel cached', () => {
    expect(h.client.isReady()).toBe(true);
    const guild = h.client.guilds.cache.get(GUILD_ID);
    expect(guild?.available).toBe(true);
    expect(guild?.roles.cache.get(ONCALL_ROLE_ID)?.name).toBe('oncall');
    expect(incidents().name).toBe('incidents');
    expect(h.client.application.id).toBeTruthy();
    expect(h.sim.gateway.identifies).toBe(1);
    expect(h.sim.violations).toEqual([]);
  });

  it('sends the bot token on authenticated routes and answers 401 without it', async () => {
    await incidents().send({ content: 'hello' });
    const posts = h.sim.requests.filter((r) => r.method === 'POST');
    expect(posts.every((r) => r.auth === 'bot')).toBe(true);
    const res = await fetch(`${h.client.rest.options.api}/v10/users/@me`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ code: 0, message: '401: Unauthorized' });
  });

  it('answers unknown routes with Discord-shaped 404s', async () => {
    const res = await fetch(`${h.client.rest.options.api}/v10/nothing/here`, { headers: { authorization: `Bot ${BOT_TOKEN}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 0, message: '404: Not Found' });
  });
});

describe('messages', () => {
  it('creates one message for a repeated nonce with enforceNonce', async () => {
    const first = await incidents().send({ content: 'incident opened', nonce: 'incident-42', enforceNonce: true });
    const again = await incidents().send({ content: 'incident opened', nonce: 'incident-42', enforceNonce: true });
    expect(again.id).toBe(first.id);
    const { messages } = h.sim.channel();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.nonce).toBe('incident-42');
    expect(h.sim.violations).toEqual([]);
  });

  it('counts edits and keeps the latest content, embeds and components', async () => {
    const message = await incidents().send({ content: 'v1', embeds: [{ title: 'frigate', description: 'down', color: 0xff0000 }] });
    await message.edit({ content: 'v2' });
    await message.edit({ embeds: [{ title: 'frigate', fields: [{ name: 'state', value: 'acknowledged', inline: true }] }] });
    const [view] = h.sim.channel().messages;
    expect(view?.editCount).toBe(2);
    expect(view?.content).toBe('v2');
    expect(view?.embeds).toEqual([{ title: 'frigate', fields: [{ name: 'state', value: 'acknowledged', inline: true }] }]);
    const fetched = await incidents().messages.fetch({ message: message.id, force: true });
    expect(fetched.editedTimestamp).not.toBeNull();
    expect(h.sim.violations).toEqual([]);
  });

  it('rejects an empty message like Discord', async () => {
    const err = await rejection(h.client.rest.post(Routes.channelMessages(CHANNEL_ID), { body: { content: '' } }));
    expect(err.code).toBe(50006);
  });
});

describe('threads', () => {
  it('starts a thread whose id is the message id, and refuses a second one', async () => {
    const message = await incidents().send({ content: 'incident' });
    const thread = await message.startThread({ name: 'frigate down' });
    expect(thread.id).toBe(message.id);
    expect(h.sim.channel().messages[0]?.thread?.name).toBe('frigate down');
    const err = await rejection(h.client.rest.post(Routes.threads(CHANNEL_ID, message.id), { body: { name: 'again' } }));
    expect(err.status).toBe(400);
    expect(err.code).toBe(160004);
    expect(h.sim.violations).toEqual([]);
  });

  it('posts silent notes that mention nobody', async () => {
    const message = await incidents().send({ content: `<@&${ONCALL_ROLE_ID}> frigate is down`, allowedMentions: { roles: [ONCALL_ROLE_ID] } });
    const thread = await message.startThread({ name: 'frigate down' });
    await thread.send({ content: 'restart refused: node k3s-2 is NotReady', flags: MessageFlags.SuppressNotifications, allowedMentions: { parse: [] } });
    await thread.send({ content: `escalating <@&${ONCALL_ROLE_ID}>`, flags: MessageFlags.SuppressNotifications, allowedMentions: { parse: [] } });
    const view = h.sim.channel().messages[0]?.thread;
    expect(view?.messages.map((m) => m.flags & 4096)).toEqual([4096, 4096]);
    expect(view?.messages.every((m) => m.mentions.roles.length === 0 && !m.mentions.everyone)).toBe(true);
    expect(h.sim.allMentions()).toEqual([expect.objectContaining({ kind: 'role', id: ONCALL_ROLE_ID, messageId: message.id, suppressed: false })]);
  });

  it('refuses a post into an archived thread (50083) until it is unarchived', async () => {
    const message = await incidents().send({ content: 'incident' });
    const thread = await message.startThread({ name: 'frigate down' });
    await thread.setArchived(true);
    expect(h.sim.channel().messages[0]?.thread?.archived).toBe(true);
    const err = await rejection(thread.send({ content: 'late note' }));
    expect(err.code).toBe(50083);
    await thread.setArchived(false);
    await thread.send({ content: 'late note' });
    expect(h.sim.channel(thread.id).messages.map((m) => m.content)).toEqual(['late note']);
    expect(h.sim.violations).toEqual([]);
  });

  it('serves the thread with GET /channels/{id} and locks it', async () => {
    const message = await incidents().send({ content: 'incident' });
    await message.startThread({ name: 'frigate down' });
    const fetched = (await h.client.channels.fetch(message.id, { force: true })) as ThreadChannel;
    expect(fetched.isThread()).toBe(true);
    expect(fetched.parentId).toBe(CHANNEL_ID);
    await fetched.edit({ archived: true, locked: true });
    expect(h.sim.channel().messages[0]?.thread).toMatchObject({ archived: true, locked: true });
  });
});

describe('bot restart', () => {
  it('a second client finds the thread and edits the original message without reposting', async () => {
    const message = await incidents().send({ content: 'incident v1', nonce: 'incident-1', enforceNonce: true });
    const thread = await message.startThread({ name: 'frigate down' });
    await thread.setArchived(true);
    await h.client.destroy();

    const again = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: h.client.rest.options.api, offset: 0 } });
    try {
      const ready = once(again, Events.ClientReady);
      await again.login(BOT_TOKEN);
      await ready;
      // Archived threads do not come with GUILD_CREATE; they must be fetched by id.
      expect(again.channels.cache.has(thread.id)).toBe(false);
      const fetched = (await again.channels.fetch(thread.id)) as ThreadChannel;
      expect(fetched.archived).toBe(true);
      const channel = again.channels.cache.get(CHANNEL_ID) as TextChannel;
      await channel.messages.edit(message.id, { content: 'incident v2' });
      await channel.send({ content: 'incident v1', nonce: 'incident-1', enforceNonce: true });
      expect(h.sim.channel().messages).toMatchObject([{ id: message.id, content: 'incident v2', editCount: 1 }]);
      expect(h.sim.gateway.identifies).toBe(2);
    } finally {
      await again.destroy();
    }
  });
});

describe('render', () => {
  it('prints the channel as a person would see it', async () => {
    const message = await incidents().send({
      content: `<@&${ONCALL_ROLE_ID}> frigate is down`,
      allowedMentions: { roles: [ONCALL_ROLE_ID] },
      embeds: [{ title: 'frigate — open', fields: [{ name: 'Node', value: 'k3s-2 NotReady' }] }],
    });
    await message.edit({ content: 'frigate is down' });
    const thread = await message.startThread({ name: 'frigate down' });
    await thread.send({ content: 'restart refused', flags: MessageFlags.SuppressNotifications, allowedMentions: { parse: [] } });
    expect(h.sim.render()).toBe(
      [
        '#incidents',
        `• frigate is down  [edited 1×; pings @&${ONCALL_ROLE_ID}]`,
        '  ┃ frigate — open',
        '  ┃ Node: k3s-2 NotReady',
        '  └─ thread "frigate down" (open, 1 messages)',
        '       • restart refused  [silent]',
      ].join('\n'),
    );
  });
});

describe('mentions', () => {
  it('pings nobody for @everyone and a role when allowed_mentions.parse is empty', async () => {
    await incidents().send({ content: `@everyone <@&${ONCALL_ROLE_ID}>`, allowedMentions: { parse: [] } });
    expect(h.sim.allMentions()).toEqual([]);
    expect(h.sim.channel().messages[0]?.mentions).toEqual({ roles: [], users: [], everyone: false, suppressed: false });
  });

  it('parses everything when allowed_mentions is absent, and never pings on edit', async () => {
    const m = await incidents().send({ content: `@here <@&${ONCALL_ROLE_ID}> <@123456789012345678>` });
    await m.edit({ content: `<@&${ONCALL_ROLE_ID}> again` });
    expect(h.sim.allMentions().map((r) => r.kind)).toEqual(['everyone', 'role', 'user']);
  });

  it('pings only listed roles and parsed kinds', async () => {
    await incidents().send({ content: `@everyone <@&${ONCALL_ROLE_ID}> <@&900000000000000009> <@42>`, allowedMentions: { roles: [ONCALL_ROLE_ID], parse: ['users'] } });
    expect(h.sim.channel().messages[0]?.mentions).toEqual({ roles: [ONCALL_ROLE_ID], users: ['42'], everyone: false, suppressed: false });
  });
});

describe('commands', () => {
  it('bulk-registers guild commands through discord.js and lists them', async () => {
    const restart = new SlashCommandBuilder()
      .setName('restart')
      .setDescription('Restart a target through the gate')
      .addStringOption((o) => o.setName('target').setDescription('Target').setRequired(true).setAutocomplete(true))
      .addStringOption((o) => o.setName('reason').setDescription('Why'));
    const status = new SlashCommandBuilder().setName('status').setDescription('Show status').setDefaultMemberPermissions(0n);
    const set = await h.client.application.commands.set([restart.toJSON(), status.toJSON(), { name: 'ack', description: 'Acknowledge' }], GUILD_ID);
    expect([...set.values()].map((c) => c.name).sort()).toEqual(['ack', 'restart', 'status']);
    const listed = await h.client.application.commands.fetch({ guildId: GUILD_ID });
    expect(listed.size).toBe(3);
    expect(h.sim.commands.find((c) => c.name === 'restart')?.['options']).toHaveLength(2);
    expect(h.sim.violations).toEqual([]);
  });
});

describe('validation', () => {
  it('records and rejects an unknown key', async () => {
    const err = await rejection(h.client.rest.post(Routes.channelMessages(CHANNEL_ID), { body: { content: 'x', colour: 'red' } }));
    expect(err.status).toBe(400);
    expect(err.code).toBe(50035);
    expect(err.rawError).toMatchObject({ message: 'Invalid Form Body', errors: { _errors: [expect.objectContaining({ message: 'unknown key(s): colour' })] } });
    expect(h.sim.violations).toEqual([
      { method: 'POST', path: `/channels/${CHANNEL_ID}/messages`, operation: 'createMessage', issues: [{ path: '', message: 'unknown key(s): colour' }] },
    ]);
    expect(h.sim.channel().messages).toEqual([]);
  });

  it('rejects a wrong type deep inside an embed', async () => {
    const message = await incidents().send({ content: 'x' });
    await rejection(h.client.rest.patch(Routes.channelMessage(CHANNEL_ID, message.id), { body: { embeds: [{ title: 42 }] } }));
    expect(h.sim.violations[0]?.issues).toEqual([{ path: 'embeds.0.title', message: 'expected string' }]);
    expect(h.sim.channel().messages[0]?.editCount).toBe(0);
  });

  it('enforces Discord limits the schema leaves looser', async () => {
    await rejection(incidents().send({ content: 'x'.repeat(2001) }));
    await rejection(incidents().send({ content: 'x', nonce: 'n'.repeat(26), enforceNonce: true }));
    await rejection(incidents().send({ embeds: [{ fields: Array.from({ length: 26 }, (_, i) => ({ name: `f${i}`, value: 'v' })) }] }));
    await rejection(h.client.rest.post(Routes.channelMessages(CHANNEL_ID), { body: { content: 'x', allowed_mentions: { parse: ['roles'], roles: [ONCALL_ROLE_ID] } } }));
    expect(h.sim.violations.map((v) => v.issues[0]?.path)).toEqual(['content', 'nonce', 'embeds.0.fields', 'allowed_mentions.roles']);
  });

  it('refuses an over-limit field with the errors object Discord sends, naming the field', async () => {
    const fields = [{ name: 'Targets', value: 'x'.repeat(1025) }];
    const err = await rejection(incidents().send({ embeds: [{ title: 'Incident', fields }] }));
    expect([err.status, err.code]).toEqual([400, 50035]);
    expect(err.rawError).toEqual({
      code: 50035,
      message: 'Invalid Form Body',
      errors: { embeds: { '0': { fields: { '0': { value: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 1024 or fewer in length.' }] } } } } } },
    });
    // discord.js flattens it the way people see it in logs.
    expect(err.message).toContain('embeds[0].fields[0].value[BASE_TYPE_MAX_LENGTH]: Must be 1024 or fewer in length.');
    const many = Array.from({ length: 7 }, (_, i) => ({ name: `f${i}`, value: 'y'.repeat(1000) }));
    const total = await rejection(incidents().send({ embeds: [{ title: 'Incident', fields: many }] }));
    expect(total.message).toContain('embeds[MAX_EMBED_SIZE_EXCEEDED]: Embed size exceeds maximum size of 6000');
    expect(h.sim.channel().messages).toEqual([]);
  });

  it('rejects a tolerated discord.js key when it carries a meaningful value', async () => {
    const message = await incidents().send({ content: 'x' });
    await rejection(h.client.rest.patch(Routes.channelMessage(CHANNEL_ID, message.id), { body: { content: 'y', enforce_nonce: true } }));
    expect(h.sim.violations[0]?.issues[0]?.message).toContain('enforce_nonce');
  });

  it('rejects a thread name longer than 100 characters', async () => {
    const message = await incidents().send({ content: 'x' });
    await rejection(message.startThread({ name: 'n'.repeat(101) }));
    expect(h.sim.violations[0]?.operation).toBe('startThread');
  });
});
