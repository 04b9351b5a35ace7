/**
 * The delivery pass renders once: one incident with a post, a note, an email and a push due in one pass
 * builds its view once, and email and push link the message Discord created in that same pass. The real
 * sinks against the Discord simulator, a real SMTP server and an ntfy receiver on loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordSink } from '../../src/adapters/discord/sink.js';
import { createEmailSink } from '../../src/adapters/email/sink.js';
import { createNtfySink } from '../../src/adapters/push/ntfy.js';
import { openDatabase } from '../../src/adapters/sqlite/open.js';
import { createStore, type Store } from '../../src/adapters/sqlite/store.js';
import type { IncidentView } from '../../src/core/render.js';
import type { Incident } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { deliverPending } from '../../src/runtime/outbox.js';
import { incidentMessageLink } from '../../src/runtime/view.js';
import { incident } from '../core/fixtures.js';
import { CHANNEL_ID, GUILD_ID, ONCALL_ROLE_ID, startDiscordHarness, type DiscordHarness } from '../helpers/discordClient.js';
import { startNtfyReceiver, type NtfyReceiver } from '../helpers/ntfy.js';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp.js';

const T0 = 1_700_000_000_000;
const DISCORD = { token: 'unused', guildId: GUILD_ID, channelId: CHANNEL_ID, mentionRoleId: ONCALL_ROLE_ID, operatorRoleIds: [], apiUrl: 'unused' };

let dir: string;
let store: Store;
let discord: DiscordHarness;
let smtp: SmtpServer;
let ntfy: NtfyReceiver;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-render-once-'));
  store = createStore(openDatabase(path.join(dir, 'db.sqlite')), { now: () => T0 });
  [discord, smtp, ntfy] = await Promise.all([startDiscordHarness(), startSmtpServer(), startNtfyReceiver()]);
});
afterEach(async () => {
  await Promise.all([discord.close(), smtp.close(), ntfy.close()]);
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the delivery pass renders once', () => {
  it('builds the view of an incident with a post, a note, an email and a push due once, and email and push link the message just posted', async () => {
    const a = store.insertIncident({ ...incident({ subject: 'node:node-a' }), id: null });
    store.enqueueEffect(a.id, { type: 'postMessage', mention: true }, T0);
    store.enqueueEffect(a.id, { type: 'threadNote', text: 'node-a is NotReady' }, T0);
    store.enqueueEffect(a.id, { type: 'email', reason: 'escalation' }, T0);
    store.enqueueEffect(a.id, { type: 'push', reason: 'open' }, T0);
    const built: number[] = [];
    const view = (i: Incident): IncidentView => {
      built.push(i.id!);
      return { incident: i, silence: null, targets: [], nodes: [], nextRestart: null };
    };

    const report = await deliverPending({
      store,
      sinks: {
        discord: createDiscordSink({ rest: discord.client.rest, discord: DISCORD, store }),
        email: createEmailSink({ email: { smtp: { host: '127.0.0.1', port: smtp.port, secure: false }, from: 'stormguard@example.org', to: ['oncall@example.org'], fallbackAfter: 120_000 }, store, clock: () => T0 }),
        push: createNtfySink({ ntfy: { url: ntfy.url, topic: 'stormguard' }, clock: () => T0 }),
      },
      clock: () => T0,
      logger: silentLogger(),
      view,
      messageLink: (id) => incidentMessageLink(store, DISCORD, id),
    });

    expect(report).toEqual({ delivered: 4, retried: 0, failed: 0 });
    // Before: 6 — the Discord sink built it 4 times for the post (its text, its body, the thread's name, the edit check), email and push once each.
    expect(built).toEqual([a.id]);
    const link = `https://discord.com/channels/${GUILD_ID}/${CHANNEL_ID}/${store.getDiscordRefs(a.id!)!.messageId}`;
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.text).toContain(`Discord: ${link}`);
    expect(ntfy.publishes.map((p) => p.headers.click)).toEqual([link]);
  });
});
