/**
 * Fault injection against the real discord.js client: 429s, 5xx, a dead REST API, gateway drops
 * and outages — and what discord.js does about each.
 */
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Events, HTTPError, MessageFlags, type TextChannel } from 'discord.js';
import { CHANNEL_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';

let h: DiscordHarness;
const alice = { id: '500000000000000001' };

beforeEach(async () => {
  h = await startDiscordHarness();
  h.client.on(Events.InteractionCreate, async (i) => {
    if (i.isChatInputCommand()) await i.reply({ content: `pong ${i.commandName}`, flags: MessageFlags.Ephemeral });
  });
});

afterEach(async () => {
  expect(h.sim.violations).toEqual([]);
  await h.close();
});

function incidents(): TextChannel {
  return h.client.channels.cache.get(CHANNEL_ID) as TextChannel;
}

const postsToChannel = { method: 'POST', path: `/channels/${CHANNEL_ID}/messages` };

describe('REST faults', () => {
  it('honours a 429 retry_after and then succeeds', async () => {
    h.sim.rateLimitNext(1, 0.2);
    const started = performance.now();
    await incidents().send({ content: 'after a rate limit' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(h.sim.requests.filter((r) => r.path === postsToChannel.path).map((r) => r.status)).toEqual([429, 200]);
    expect(h.sim.channel().messages).toHaveLength(1);
  });

  it('sends Discord rate-limit headers and body with the 429', async () => {
    h.sim.rateLimitNext(1, 0.5);
    const res = await fetch(`${h.client.rest.options.api}/v10/gateway`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('0.5');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-scope')).toBe('user');
    expect(await res.json()).toEqual({ code: 0, message: 'You are being rate limited.', retry_after: 0.5, global: false });
  });

  it('retries 5xx (up to `retries`) and succeeds without a duplicate', async () => {
    h.sim.failNext(2, 502);
    await incidents().send({ content: 'after two 502s' });
    expect(h.sim.countRequests(postsToChannel)).toBe(3);
    expect(h.sim.countRequests({ ...postsToChannel, status: 502 })).toBe(2);
    expect(h.sim.channel().messages).toHaveLength(1);
  });

  it('gives up after retries are exhausted with an HTTPError', async () => {
    h.sim.failNext(10, 500);
    await expect(incidents().send({ content: 'never' })).rejects.toBeInstanceOf(HTTPError);
    // discord.js: 1 attempt + 3 retries, immediately, with no backoff.
    expect(h.sim.countRequests(postsToChannel)).toBe(4);
    h.sim.failNext(0);
  });

  it('a dead REST API fails the call; it works again when it is back', async () => {
    h.sim.setRestDown(true);
    await expect(incidents().send({ content: 'lost' })).rejects.toThrow();
    h.sim.setRestDown(false);
    await incidents().send({ content: 'back' });
    expect(h.sim.channel().messages.map((m) => m.content)).toEqual(['back']);
  });

  it('a nonce makes a retried create idempotent', async () => {
    await incidents().send({ content: 'opened', nonce: 'incident-7', enforceNonce: true });
    h.sim.setRestDown(true);
    await expect(incidents().send({ content: 'opened', nonce: 'incident-7', enforceNonce: true })).rejects.toThrow();
    h.sim.setRestDown(false);
    await incidents().send({ content: 'opened', nonce: 'incident-7', enforceNonce: true });
    expect(h.sim.channel().messages).toHaveLength(1);
  });

  it('adds latency', async () => {
    h.sim.setLatency(100);
    const started = performance.now();
    await incidents().send({ content: 'slow' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    h.sim.setLatency(0);
  });
});

describe('gateway faults', () => {
  it('resumes after a dropped connection and still delivers interactions', async () => {
    expect((await h.sim.slashCommand({ name: 'status', user: alice })).reply?.content).toBe('pong status');
    h.sim.dropGateway();
    // Dispatched while the client is away: kept and replayed on RESUME.
    const missed = h.sim.slashCommand({ name: 'ack', user: alice });
    await once(h.client, Events.ShardResume);
    expect((await missed).reply?.content).toBe('pong ack');
    expect(h.sim.gateway).toMatchObject({ identifies: 1, resumes: 1 });
    expect(h.sim.gateway.replayed).toBeGreaterThanOrEqual(1);
    expect((await h.sim.slashCommand({ name: 'silence', user: alice })).reply?.content).toBe('pong silence');
  });

  it('resumes after a close with code 4000', async () => {
    h.sim.dropGateway({ code: 4000 });
    await once(h.client, Events.ShardResume);
    expect(h.sim.gateway.resumes).toBe(1);
    expect((await h.sim.slashCommand({ name: 'status', user: alice })).reply?.content).toBe('pong status');
  });

  it('reconnects after a gateway outage', async () => {
    const errors: unknown[] = [];
    h.client.on(Events.ShardError, (e) => errors.push(e));
    h.sim.setGatewayDown(true);
    await expect.poll(() => h.sim.gateway.refused, { timeout: 3000 }).toBeGreaterThan(0);
    h.sim.setGatewayDown(false);
    await h.sim.waitForGateway();
    expect((await h.sim.slashCommand({ name: 'status', user: alice })).reply?.content).toBe('pong status');
    expect(errors.length).toBeGreaterThan(0);
  });

  it('acknowledges heartbeats', async () => {
    await h.close();
    h = await startDiscordHarness({ heartbeatIntervalMs: 50 });
    await new Promise((r) => setTimeout(r, 250));
    expect(h.client.ws.ping).toBeGreaterThanOrEqual(0);
    expect(h.client.ws.status).toBe(0);
    h.client.on(Events.InteractionCreate, async (i) => {
      if (i.isChatInputCommand()) await i.reply({ content: 'alive', flags: MessageFlags.Ephemeral });
    });
    expect((await h.sim.slashCommand({ name: 'status', user: alice })).reply?.content).toBe('alive');
  });
});
