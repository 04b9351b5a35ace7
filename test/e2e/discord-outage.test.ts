import path from 'node:path';
import { Sqlite as Database } from '../../src/adapters/sqlite/driver.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiscordRequestRecord, SimMessageView } from '../../src/sim/discord/index.js';
import { emailNotify, startSmtpServer, type SmtpServer } from '../helpers/smtp.js';
import { IDS, messageOf, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
let smtp: SmtpServer | undefined;

afterEach(async () => {
  const violations = world?.discord.violations ?? [];
  await world?.close();
  await smtp?.close();
  world = smtp = undefined;
  // Every request body the bot sent must be valid for Discord's official schema.
  expect(violations).toEqual([]);
});

function title(message: SimMessageView): string {
  return (message.embeds[0] as { title: string }).title;
}

/**
 * What the thread of an incident must hold: every `threadNote` and `ring` the outbox recorded for
 * it, in order, as the sink writes them (a ring starts with the role mention).
 */
function expectedNotes(w: World, incidentId: number): string[] {
  const db = new Database(path.join(w.dir, 'stormguard.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare("SELECT payload_json FROM outbox WHERE incident_id = ? AND type IN ('threadNote', 'ring') ORDER BY id")
      .all(incidentId) as Array<{ payload_json: string }>;
    return rows.map((r) => {
      const effect = JSON.parse(r.payload_json) as { type: string; text: string };
      return effect.type === 'ring' ? `<@&${IDS.mentionRole}> ${effect.text}` : effect.text;
    });
  } finally {
    db.close();
  }
}

/** A request Discord did not answer successfully: the connection died, a 5xx, or a 429. */
function failed(r: DiscordRequestRecord): boolean {
  return r.status === 0 || r.status === 429 || r.status >= 500;
}

describe('a Discord outage during an incident’s life', () => {
  it('5xx, 429, a REST outage and a dropped gateway lose nothing and duplicate nothing; the fallback email goes out once', async () => {
    smtp = await startSmtpServer();
    world = await startWorld({
      notify: {
        escalateAfter: '3h',
        email: emailNotify(smtp.port),
      },
    });
    const w = world;

    // node-a goes down under a burst of 5xx: more failures than discord.js retries by itself (1 + 3).
    w.discord.failNext(6, 503);
    w.kube.setNodeReady('node-a', 'False');
    w.probe.setStatus(503);
    await w.cycles(1);
    expect(topLevel(w)).toHaveLength(0);
    expect(w.app.store.countEffects({ type: 'postMessage', status: 'pending' })).toBe(1);
    await w.cycles(2); // frigate joins the node's incident; the post goes through
    expect(topLevel(w)).toHaveLength(1);

    // The node comes back under rate limits (short retry_after: discord.js waits in real time) and 502s.
    w.discord.rateLimitNext(2, 0.2);
    w.discord.failNext(2, 502);
    w.kube.setNodeReady('node-a', 'True');
    await w.cycles(1);
    expect(w.discord.countRequests({ status: 429 })).toBe(2);
    expect(w.discord.countRequests({ status: 502 })).toBe(2);

    // REST goes down for good while frigate is restarted (after the node's grace); the gateway drops too.
    w.discord.setRestDown(true);
    await w.cycles(3);
    w.discord.dropGateway();
    await w.cycles(5);
    expect(w.kube.restarts.length).toBeGreaterThanOrEqual(1);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toBe('[stormguard] node-a is Ready again — 1 of 1 service still down');

    // Still down: frigate recovers and the incident resolves; node-b has a short outage of its own.
    w.probe.setStatus(200);
    w.kube.setNodeReady('node-b', 'False');
    await w.cycles(4);
    w.kube.setNodeReady('node-b', 'True');
    await w.cycles(6);
    expect(w.app.store.openIncidents()).toEqual([]);
    expect(topLevel(w)).toHaveLength(1);

    // Discord returns, grudgingly at first.
    w.discord.setRestDown(false);
    w.discord.failNext(2, 500);
    w.discord.rateLimitNext(1, 0.2);
    await w.discord.waitForGateway();
    await w.cycles(12);
    expect(w.discord.countRequests({ status: 503 })).toBe(6);
    expect(w.discord.countRequests({ status: 500 })).toBe(2);
    expect(w.discord.countRequests({ status: 429 })).toBe(3);

    const incidents = w.app.store.recentIncidents(0);
    expect(incidents.map((i) => i.subject).sort()).toEqual(['node:node-a', 'node:node-b']);
    expect(topLevel(w)).toHaveLength(incidents.length);
    for (const incident of incidents) {
      const message = messageOf(w, incident.subject)!;
      expect(message, incident.subject).toBeDefined();
      expect(title(message)).toMatch(new RegExp(`^${incident.subject.replace(/^node:/, '')} is back — down for (\\d+[dhms])+$`));
      // Resolved: only the Export button is left.
      expect((message.components as Array<{ components: Array<{ label: string }> }>).flatMap((row) => row.components.map((c) => c.label))).toEqual(['Export']);
      expect(message.thread?.archived).toBe(true);
      // Every transition's note once, in order: none missing, none twice.
      const notes = message.thread!.messages.map((m) => m.content);
      expect(notes, incident.subject).toEqual(expectedNotes(w, incident.id!));
      expect(notes.some((n) => n.startsWith('Resolved: '))).toBe(true);
    }
    expect(messageOf(w, 'node:node-a')!.thread!.messages.some((m) => m.content.startsWith('Restarting frigate'))).toBe(true);
    // One successful create per incident; a retried create carries the same nonce.
    const creates = w.discord.requests.filter((r) => r.method === 'POST' && r.path === `/channels/${IDS.channel}/messages`);
    expect(creates.filter((r) => r.status === 200)).toHaveLength(incidents.length);
    expect(new Set(creates.map((r) => (r.body as { nonce: string }).nonce)).size).toBe(incidents.length);
    // The outbox is drained, nothing given up on.
    expect(w.app.store.countEffects({ status: 'pending' })).toBe(0);
    expect(w.app.store.countEffects({ status: 'failed' })).toBe(0);
    // One fallback email per incident Discord was not told about, ever.
    expect(smtp.mails.map((m) => m.subject).sort()).toEqual(['[stormguard] node-a is Ready again — 1 of 1 service still down', '[stormguard] node-b is NotReady']);
    await w.cycles(10);
    expect(smtp.mails).toHaveLength(2);
    expect(w.discord.gateway.resumes + w.discord.gateway.identifies).toBeGreaterThan(1);

    // While REST was down (18 cycles) each delivery pass cost at most one request: a failed channel
    // waits for the next pass instead of trying every pending effect.
    expect(w.discord.countRequests({ status: 0 })).toBeLessThanOrEqual(18);
    expect(w.discord.requests.filter(failed).length).toBe(w.discord.countRequests({ status: 0 }) + 6 + 2 + 2 + 3);
  });

  it('rings nobody for an incident that was acknowledged or resolved before Discord came back', async () => {
    world = await startWorld({ notify: { escalateAfter: '2m' } });
    const w = world;
    w.discord.setRestDown(true);
    w.probe.setStatus(503);
    // Opens (post with mention queued), escalates (ring queued), then recovers — all while Discord is down.
    await w.cycles(8);
    w.probe.setStatus(200);
    await w.cycles(3);
    expect(w.app.store.recentIncidents(0).map((i) => i.state)).toEqual(['resolved']);
    w.discord.setRestDown(false);
    // Enough cycles for the longest backoff (5 minutes) to come due.
    await w.cycles(12);

    const [message] = w.discord.channel().messages;
    expect(message!.embeds).toEqual([expect.objectContaining({ title: expect.stringMatching(/^frigate is back — down for /) })]);
    // The queued opening mention and escalation ring arrive as quiet text: no phone rings for it.
    expect(w.discord.allMentions().filter((r) => !r.suppressed)).toEqual([]);
    expect(message!.thread!.messages.some((m) => m.content.startsWith('Still open and unacknowledged'))).toBe(true);
    expect(w.discord.violations).toEqual([]);
  });
});

describe('a Discord login that outlives its timeout', () => {
  it('failing late does not tear down the login that succeeded after it: the gateway stays up and incidents are posted', async () => {
    // Attempt 1's first request (GET /gateway/bot) is answered only after 5 s: it times out after 0.5 s
    // and is retried at once; attempt 2 connects. Then attempt 1's request is answered 401, so its
    // login fails — long after stormguard gave up on it.
    world = await startWorld({}, {}, {
      beforeStart: (discord) => discord.setLatency(5_000),
      discordLogin: { timeoutMs: 500, baseDelayMs: 100, maxDelayMs: 100 },
    });
    const w = world;
    w.discord.setLatency(0);
    await w.discord.waitForGateway();
    w.discord.failNext(1, 401);
    await expect.poll(() => w.discord.countRequests({ method: 'GET', path: /\/gateway\/bot$/, status: 401 }), { timeout: 15_000 }).toBe(1);

    await expect.poll(() => w.app.readiness().checks.discord, { timeout: 5_000 }).toBe(true);
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(topLevel(w)).toHaveLength(1);
    expect(w.app.readiness().checks.discord).toBe(true);
  });
});
