/**
 * Files through the simulator: the real discord.js sends `payload_json` + `files[n]` multipart bodies,
 * the simulator records every byte, and refuses what Discord refuses (over 10 files, over 10 MiB, a
 * reference to a file that was never uploaded).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscordAPIError, Events, MessageFlags, Routes, type Interaction, type TextChannel } from 'discord.js';
import { fitFiles, sendWithFiles, withFiles, DISCORD_FILE_LIMITS } from '../../src/adapters/discord/files.js';
import { replyOptions } from '../../src/runtime/interactions/answer.js';
import { MAX_FILE_BYTES } from '../../src/sim/discord/index.js';
import { BOT_TOKEN, CHANNEL_ID, OPERATOR_ROLE_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';

let h: DiscordHarness;
const alice = { id: '500000000000000001', roles: [OPERATOR_ROLE_ID] };
/** Bytes that are not UTF-8 (a NUL, lone continuation bytes): a text round trip would change them. */
const binary = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0x0d]), randomBytes(4096)]);

beforeEach(async () => {
  h = await startDiscordHarness();
});

afterEach(async () => {
  await h.close();
});

function incidents(): TextChannel {
  return h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: number | string }> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof DiscordAPIError)) throw new Error(`expected a DiscordAPIError, got ${String(err)}`);
  return { status: err.status, code: err.code };
}

describe('a channel message with files', () => {
  it('is recorded byte for byte, with its filename and content type, and discord.js reads it back', async () => {
    const sent = await sendWithFiles(incidents(), 'post-mortem of #7', [
      { name: 'incident-7.md', data: '# Incident #7\n\nnode k3s-2 NotReady — 4 min\n', description: 'the export' },
      { name: 'dump.bin', data: binary },
    ]);
    const [message] = h.sim.channel().messages;
    expect(message?.content).toBe('post-mortem of #7');
    expect(message?.attachments.map((a) => [a.filename, a.description, a.size])).toEqual([
      ['incident-7.md', 'the export', Buffer.byteLength('# Incident #7\n\nnode k3s-2 NotReady — 4 min\n')],
      ['dump.bin', null, binary.length],
    ]);
    expect(message?.attachments[0]?.bytes.toString('utf8')).toBe('# Incident #7\n\nnode k3s-2 NotReady — 4 min\n');
    expect(message?.attachments[1]?.bytes.equals(binary)).toBe(true);
    // discord.js names no type for bytes it cannot recognise; the multipart part says octet-stream.
    expect(message?.attachments[1]?.contentType).toBe('application/octet-stream');
    // Discord answers with the attachment objects; discord.js builds its Attachments from them.
    expect([...sent.attachments.values()].map((a) => [a.name, a.size])).toEqual([
      ['incident-7.md', message?.attachments[0]?.size],
      ['dump.bin', binary.length],
    ]);
    const request = h.sim.requests.find((r) => r.method === 'POST' && r.path === `/channels/${CHANNEL_ID}/messages`);
    expect(request?.files.map((f) => f.index)).toEqual(['0', '1']);
    expect(h.sim.violations).toEqual([]);
  });

  it('takes a file of exactly 10 MiB, and exactly 10 files', async () => {
    const big = Buffer.alloc(MAX_FILE_BYTES, 7);
    await incidents().send({ content: 'at the limit', files: [{ attachment: big, name: 'big.bin' }] });
    expect(h.sim.channel().messages[0]?.attachments[0]?.size).toBe(10 * 1024 * 1024);
    const ten = Array.from({ length: 10 }, (_, i) => ({ attachment: Buffer.from(`file ${i}`), name: `f${i}.txt` }));
    await incidents().send({ content: 'ten files', files: ten });
    expect(h.sim.channel().messages[1]?.attachments.map((a) => a.bytes.toString())).toEqual(ten.map((_, i) => `file ${i}`));
  });

  it('refuses a file over 10 MiB with 413 40005, and posts nothing', async () => {
    const tooBig = Buffer.alloc(MAX_FILE_BYTES + 1, 1);
    expect(await refusal(incidents().send({ content: 'too big', files: [{ attachment: tooBig, name: 'big.bin' }] }))).toEqual({ status: 413, code: 40005 });
    expect(h.sim.channel().messages).toEqual([]);
  });

  it('refuses an eleventh file with 400 50035 naming the attachments', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => ({ attachment: Buffer.from(`file ${i}`), name: `f${i}.txt` }));
    expect(await refusal(incidents().send({ content: 'too many', files: eleven }))).toEqual({ status: 400, code: 50035 });
    expect(h.sim.violations.flatMap((v) => v.issues.map((i) => i.path))).toEqual(['attachments']);
    expect(h.sim.channel().messages).toEqual([]);
    h.sim.violations.length = 0;
  });

  it('refuses an attachment that names no uploaded file', async () => {
    const body = { content: 'dangling', attachments: [{ id: '1', filename: 'ghost.md' }] };
    const files = [{ name: 'real.md', data: Buffer.from('x') }];
    expect(await refusal(h.client.rest.post(Routes.channelMessages(CHANNEL_ID), { body, files }))).toEqual({ status: 400, code: 50035 });
    expect(h.sim.violations.flatMap((v) => v.issues.map((i) => i.path))).toEqual(['attachments.0.id']);
    h.sim.violations.length = 0;
  });

  it('refuses a files[n] part without a filename', async () => {
    const form = new FormData();
    form.append('payload_json', JSON.stringify({ content: 'nameless' }));
    form.append('files[0]', 'just text, no filename');
    const res = await fetch(`${h.client.rest.options.api}/v10/channels/${CHANNEL_ID}/messages`, { method: 'POST', body: form, headers: { authorization: `Bot ${BOT_TOKEN}` } });
    expect([res.status, ((await res.json()) as { code: number }).code]).toEqual([400, 50035]);
    expect(h.sim.channel().messages).toEqual([]);
  });

  it('keeps on edit only the attachments the edit lists, and adds its new files', async () => {
    const message = await incidents().send({ content: 'v1', files: [{ attachment: Buffer.from('one'), name: 'one.txt' }] });
    const kept = message.attachments.first()!;
    // Raw REST: discord.js serialises an Attachment whole, keys the (strict) simulator does not declare.
    const route = Routes.channelMessage(CHANNEL_ID, message.id);
    await h.client.rest.patch(route, { body: { content: 'v2', attachments: [{ id: kept.id }, { id: '0' }] }, files: [{ name: 'two.txt', data: Buffer.from('two') }] });
    expect(h.sim.channel().messages[0]?.attachments.map((a) => [a.id, a.filename])).toEqual([
      [kept.id, 'one.txt'],
      [expect.any(String), 'two.txt'],
    ]);
    await message.edit({ content: 'v3' });
    expect(h.sim.channel().messages[0]?.attachments.map((a) => a.filename)).toEqual(['one.txt', 'two.txt']);
    await message.edit({ content: 'v4', attachments: [] });
    expect(h.sim.channel().messages[0]?.attachments).toEqual([]);
    expect(h.sim.violations).toEqual([]);
  });
});

describe('an interaction answered with a file', () => {
  function answer(handler: (i: Interaction) => Promise<unknown>): void {
    h.client.on(Events.InteractionCreate, (i) => void handler(i));
  }

  it('a deferred ephemeral reply edited with the export (the router path) carries the file to that person only', async () => {
    const markdown = '# Incident #3\n\n| at | what |\n|---|---|\n| 10:00 | opened |\n';
    answer(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.editReply(replyOptions({ content: 'Incident #3, as Markdown.', files: [{ name: 'incident-3.md', data: markdown }] }));
    });
    const result = await h.sim.slashCommand({ name: 'incident', options: { id: 3, format: 'md' }, user: alice });
    expect(result.reply).toMatchObject({ content: 'Incident #3, as Markdown.', ephemeral: true });
    expect(result.reply?.attachments.map((a) => [a.filename, a.bytes.toString('utf8')])).toEqual([['incident-3.md', markdown]]);
    expect(h.sim.channel().messages).toEqual([]);
    expect(h.sim.violations).toEqual([]);
  });

  it('an immediate ephemeral reply (callback 4) and a follow-up carry their files', async () => {
    answer(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.reply({ ...withFiles('json', [{ name: 'incident-3.json', data: '{"id":3}' }]), flags: MessageFlags.Ephemeral });
      await i.followUp({ ...withFiles('raw', [{ name: 'dump.bin', data: binary }]), flags: MessageFlags.Ephemeral });
    });
    const result = await h.sim.slashCommand({ name: 'incident', user: alice });
    expect(result.callbacks.map((c) => c.type)).toEqual([4]);
    expect(result.reply?.attachments.map((a) => [a.filename, a.bytes.toString()])).toEqual([['incident-3.json', '{"id":3}']]);
    await expect.poll(() => result.followUps).toHaveLength(1);
    expect(result.followUps[0]?.attachments[0]?.bytes.equals(binary)).toBe(true);
    expect(result.followUps[0]?.ephemeral).toBe(true);
    expect(h.sim.violations).toEqual([]);
  });

  it('an answer whose file is over the limit says so instead of failing with 413', async () => {
    answer(async (i) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply({ flags: MessageFlags.Ephemeral });
      await i.editReply(replyOptions({ content: 'Incident #3.', files: [{ name: 'incident 3.md', data: Buffer.alloc(DISCORD_FILE_LIMITS.bytes + 1) }] }));
    });
    const result = await h.sim.slashCommand({ name: 'incident', user: alice });
    expect(result.reply?.content).toBe("(not attached, over Discord's 10 files of 10 MiB: incident_3.md)\nIncident #3.");
    expect(result.reply?.attachments).toEqual([]);
  });
});

describe('fitFiles', () => {
  it('keeps the first ten files within 10 MiB, makes names safe, and names what it left out', () => {
    const files = Array.from({ length: 11 }, (_, i) => ({ name: `f ${i}.txt`, data: 'x' }));
    const fit = fitFiles([{ name: 'big.bin', data: Buffer.alloc(DISCORD_FILE_LIMITS.bytes + 1) }, ...files]);
    expect(fit.files.map((f) => f.name)).toEqual(files.slice(0, 10).map((_, i) => `f_${i}.txt`));
    expect(fit.left).toEqual(['big.bin', 'f_10.txt']);
  });
});
