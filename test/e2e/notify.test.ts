import path from 'node:path';
import { Sqlite as Database } from '../../src/adapters/sqlite/driver.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimMessageView } from '../../src/sim/discord/index.js';
import { startNtfyReceiver, type NtfyReceiver, type Publish } from '../helpers/ntfy.js';
import { emailNotify, startSmtpServer, type SmtpServer } from '../helpers/smtp.js';
import { IDS, messageOf, OPERATOR, startWorld, topLevel, type World } from '../helpers/world.js';

const NTFY_TOKEN = 'tk_e2e-secret-token';

let world: World | undefined;
let smtp: SmtpServer | undefined;
let ntfy: NtfyReceiver | undefined;

afterEach(async () => {
  const violations = world?.discord.violations ?? [];
  await world?.close();
  await smtp?.close();
  await ntfy?.close();
  world = smtp = ntfy = undefined;
  // Every request body the bot sent must be valid for Discord's official schema.
  expect(violations).toEqual([]);
});

/** `notify.email` pointing at the loopback SMTP server, with a display name in From. */
const emailConfig = (port: number) => emailNotify(port, 'Stormguard <stormguard@example.org>');

function ntfyConfig(url: string) {
  return { url, topic: 'homelab-alerts', token: NTFY_TOKEN };
}

function embed(message: SimMessageView): { title: string; fields: Array<{ name: string; value: string }> } {
  return message.embeds[0] as { title: string; fields: Array<{ name: string; value: string }> };
}

function field(message: SimMessageView, name: string): string | undefined {
  return embed(message).fields.find((f) => f.name === name)?.value;
}

function incidentId(w: World, subject: string): number {
  const found = w.app.store.recentIncidents(0).find((i) => i.subject === subject);
  if (!found?.id) throw new Error(`no incident ${subject}`);
  return found.id;
}

/** Role mentions that rang (not suppressed), in the thread of `message`. */
function ringsInThread(w: World, message: SimMessageView | undefined): number {
  if (!message?.thread) return 0;
  return w.discord.allMentions().filter((r) => r.kind === 'role' && !r.suppressed && r.channelId === message.thread!.id).length;
}

/** The outbox rows of one type, read straight from the database file (attempts and last error included). */
function outboxRows(w: World, type: string): Array<{ id: number; incident_id: number; status: string; attempts: number; last_error: string | null }> {
  const db = new Database(path.join(w.dir, 'stormguard.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT id, incident_id, status, attempts, last_error FROM outbox WHERE type = ? ORDER BY id').all(type) as never;
  } finally {
    db.close();
  }
}

/** Publishes about one incident: ntfy titles are the incident's title, which starts with the target's or node's name. */
function pushesFor(publishes: Publish[], subject: string): Publish[] {
  const name = subject.slice(subject.indexOf(':') + 1);
  return publishes.filter((p) => p.title.startsWith(`stormguard: ${name} is `));
}

/** Reason of a push, from its body's label. */
function pushKind(p: Publish): string {
  if (p.body.startsWith('Reopened: ')) return 'reopen';
  if (p.body.startsWith('Escalation: ')) return 'escalation';
  if (p.body.startsWith('Silence ended: ')) return 'unmuted';
  return 'open';
}

describe('email against a real SMTP server', () => {
  it('fallback: one mail per incident, in its own thread, however long Discord is down; Discord catches up with the current state', async () => {
    smtp = await startSmtpServer();
    world = await startWorld({ notify: { escalateAfter: '3h', email: emailConfig(smtp.port) } });
    const w = world;
    w.discord.setRestDown(true);
    w.probe.setStatus(503);
    w.kube.setNodeReady('node-b', 'False');

    // Both incidents open while Discord cannot be reached; nothing is mailed before `fallbackAfter`.
    await w.cycles(2);
    expect(w.app.store.openIncidents()).toHaveLength(2);
    expect(smtp.mails).toHaveLength(0);
    await w.cycles(2); // 1m30s since the first failed delivery
    expect(smtp.mails).toHaveLength(0);

    await w.cycles(2); // past 2m
    expect(smtp.mails).toHaveLength(2);
    const [first, second] = smtp.mails;
    expect(new Set(smtp.mails.map((m) => m.messageId)).size).toBe(2);
    for (const mail of smtp.mails) {
      expect(mail.messageId).toMatch(/^<[^<>@\s]+@example\.org>$/);
      expect(mail.inReplyTo).toBeNull();
      expect(mail.references).toBeNull();
      expect(mail.to).toEqual(['oncall@example.org']);
      expect(mail.from).toBe('stormguard@example.org');
      expect(mail.text).toMatch(/^Discord cannot be reached/);
    }
    // Every mail sent is in the audit log (SPEC §2), naming its Message-ID.
    const sent = w.app.store.auditFor({ action: 'emailSent' });
    expect(sent.map((a) => [a.actor, a.reason])).toEqual([['scheduler', 'fallback'], ['scheduler', 'fallback']]);
    expect(sent.map((a) => a.detail['messageId']).sort()).toEqual(smtp.mails.map((m) => m.messageId).sort());
    expect([first!.subject, second!.subject].sort()).toEqual([
      expect.stringMatching(/^\[stormguard\] frigate is down /),
      expect.stringMatching(/^\[stormguard\] node-b is NotReady — /),
    ]);

    // frigate recovers during the outage; Discord stays down for half an hour: still two mails.
    w.probe.setStatus(200);
    await w.cycles(60);
    expect(smtp.mails).toHaveLength(2);
    expect(topLevel(w)).toHaveLength(0);
    const frigateId = incidentId(w, 'target:frigate');
    expect(w.app.store.getIncident(frigateId)?.state).toBe('resolved');
    expect(w.app.store.countEffects({ type: 'email' })).toBe(2);

    // Discord returns: one message per incident, each in its state now.
    w.discord.setRestDown(false);
    await w.cycles(12);
    expect(topLevel(w)).toHaveLength(2);
    const frigate = messageOf(w, 'target:frigate')!;
    const nodeB = messageOf(w, 'node:node-b')!;
    expect(embed(frigate).title).toMatch(/^frigate is back — down for (\d+[dhms])+$/);
    expect(frigate.thread?.archived).toBe(true);
    expect(embed(nodeB).title).toMatch(/^node-b is NotReady/);
    expect(field(nodeB, 'State')).toBe('open');
    expect(w.discord.countRequests({ method: 'POST', path: new RegExp(`^/channels/${IDS.channel}/messages$`), status: 200 })).toBe(2);
    expect(w.app.store.countEffects({ status: 'pending' })).toBe(0);
    expect(w.app.store.countEffects({ status: 'failed' })).toBe(0);
    // And no more mail once Discord answers again.
    await w.cycles(10);
    expect(smtp.mails).toHaveLength(2);
  });

  it('the escalation mail follows the fallback mail in the same mail thread', async () => {
    smtp = await startSmtpServer();
    world = await startWorld({ notify: { escalateAfter: '5m', email: emailConfig(smtp.port) } });
    const w = world;
    w.discord.setRestDown(true);
    w.probe.setStatus(503);
    await w.cycles(2); // frigate opens; its message cannot be posted
    await w.cycles(4); // past fallbackAfter
    expect(smtp.mails).toHaveLength(1);
    const fallback = smtp.mails[0]!;
    expect(fallback.inReplyTo).toBeNull();

    await w.cycles(8); // past escalateAfter (5m from the ring)
    expect(smtp.mails).toHaveLength(2);
    const escalation = smtp.mails[1]!;
    expect(escalation.subject).toMatch(/^\[stormguard\] ESCALATION: frigate is down /);
    expect(escalation.messageId).not.toBe(fallback.messageId);
    expect(escalation.inReplyTo).toBe(fallback.messageId);
    expect(escalation.references).toBe(fallback.messageId);

    // Once per incident: hours more of outage and then of Discord answering bring no third mail.
    await w.cycles(40);
    w.discord.setRestDown(false);
    await w.cycles(12);
    expect(smtp.mails).toHaveLength(2);
    // The escalation reached Discord too, once, as a ring in the thread.
    expect(ringsInThread(w, messageOf(w, 'target:frigate'))).toBe(1);
  });

  it('an SMTP server refusing mail (451) is retried and recorded, cycles carry on, and the mail arrives once it accepts', async () => {
    smtp = await startSmtpServer();
    world = await startWorld({ notify: { escalateAfter: '2m', email: emailConfig(smtp.port) } });
    const w = world;
    smtp.refuse({ code: 451, text: '4.7.1 Greylisted, try again later' });
    w.probe.setStatus(503);
    await w.cycles(2); // frigate opens
    await w.cycles(5); // escalates: the email is refused
    expect(w.app.store.auditFor({ action: 'escalated' })).toHaveLength(1);
    // Refused at the escalation and again at its first retry, 30 s later.
    expect(smtp.refusals).toBe(2);

    // While SMTP refuses, cycles run and incidents progress: node-b goes down and comes back.
    w.kube.setNodeReady('node-b', 'False');
    await w.cycles(3);
    expect(messageOf(w, 'node:node-b')).toBeDefined();
    w.kube.setNodeReady('node-b', 'True');
    await w.cycles(6);
    expect(embed(messageOf(w, 'node:node-b')!).title).toMatch(/^node-b is back — down for (\d+[dhms])+$/);
    expect(w.app.store.getIncident(incidentId(w, 'node:node-b'))?.state).toBe('resolved');

    const [refused] = outboxRows(w, 'email');
    expect(outboxRows(w, 'email')).toHaveLength(1);
    expect(refused!.status).toBe('pending');
    expect(refused!.attempts).toBeGreaterThan(1);
    expect(refused!.last_error).toContain('451');
    expect(smtp.refusals).toBe(refused!.attempts);
    expect(smtp.mails).toHaveLength(0);
    expect(w.app.store.auditFor({ action: 'emailSent' })).toEqual([]);

    smtp.refuse(null);
    await w.cycles(12);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toMatch(/ESCALATION: frigate is down/);
    const [delivered] = outboxRows(w, 'email');
    expect(delivered!.status).toBe('done');
    expect(w.app.store.auditFor({ action: 'emailSent' }).map((a) => [a.subject, a.reason])).toEqual([['target:frigate', 'escalation']]);
    await w.cycles(10);
    expect(smtp.mails).toHaveLength(1);
  });
});

describe('ntfy push against a loopback receiver', () => {
  it('pushes only on open, reopen, escalation and when a silence that muted the opening ends', async () => {
    ntfy = await startNtfyReceiver();
    world = await startWorld({ notify: { escalateAfter: '10m', ntfy: ntfyConfig(ntfy.url) } });
    const w = world;
    const frigate = 'target:frigate';

    // Open: one push, with everything a phone needs.
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(ntfy.publishes).toHaveLength(1);
    const opened = ntfy.publishes[0]!;
    const message = messageOf(w, frigate)!;
    expect(opened.method).toBe('POST');
    expect(opened.path).toBe('/homelab-alerts');
    // Titled as the incident's message is, not by its subject.
    expect(opened.headers['title']).toBe('stormguard: frigate is down (HTTP 503)');
    expect(opened.headers['priority']).toBe('high');
    expect(opened.headers['tags']).toBe('rotating_light');
    expect(opened.headers['click']).toBe(`https://discord.com/channels/${IDS.guild}/${IDS.channel}/${message.id}`);
    expect(opened.headers['authorization']).toBe(`Bearer ${NTFY_TOKEN}`);
    expect(opened.body).toMatch(/^\[open\] target:frigate: /);

    // Cycles, an acknowledgement, a restart and the resolution push nothing.
    await w.cycles(3);
    await w.discord.slashCommand({ name: 'ack', user: OPERATOR });
    await w.cycles(1);
    const restart = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    expect(restart.reply?.content ?? restart.followUps[0]?.content).toMatch(/Restart/i);
    await w.cycles(2);
    w.probe.setStatus(200);
    await w.cycles(3);
    expect(w.app.store.getIncident(incidentId(w, frigate))?.state).toBe('resolved');
    expect(ntfy.publishes).toHaveLength(1);

    // Fails again within the reopen window: one push.
    w.probe.setStatus(503);
    await w.cycles(2);
    expect(ntfy.publishes).toHaveLength(2);
    const reopened = ntfy.publishes[1]!;
    expect(pushKind(reopened)).toBe('reopen');
    expect(reopened.headers['priority']).toBe('high');
    expect(reopened.headers['click']).toBe(opened.headers['click']);
    expect(reopened.body).toMatch(/^Reopened: \[open\] target:frigate: /);

    // Nobody acknowledges it: one escalation push after `escalateAfter`, and no more after that.
    await w.cycles(19);
    expect(pushesFor(ntfy.publishes, frigate).map(pushKind)).toEqual(['open', 'reopen']);
    await w.cycles(2);
    expect(pushesFor(ntfy.publishes, frigate).map(pushKind)).toEqual(['open', 'reopen', 'escalation']);
    const escalated = ntfy.publishes.at(-1)!;
    expect(escalated.headers['tags']).toBe('sos');
    expect(escalated.headers['priority']).toBe('high');
    expect(escalated.headers['authorization']).toBe(`Bearer ${NTFY_TOKEN}`);
    await w.cycles(30);
    w.probe.setStatus(200);
    await w.cycles(4);
    expect(w.app.store.getIncident(incidentId(w, frigate))?.state).toBe('resolved');
    expect(pushesFor(ntfy.publishes, frigate).map(pushKind)).toEqual(['open', 'reopen', 'escalation']);

    // A silenced opening pushes nothing; when the silence ends with hass still down, one push.
    await w.discord.slashCommand({ name: 'silence', options: { duration: '30m', target: 'hass', reason: 'upgrade' }, user: OPERATOR });
    w.kube.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await w.cycles(4);
    expect(messageOf(w, 'target:hass')).toBeDefined();
    expect(pushesFor(ntfy.publishes, 'target:hass')).toEqual([]);
    await w.cycles(54);
    expect(pushesFor(ntfy.publishes, 'target:hass')).toEqual([]);
    await w.cycles(4);
    const hassPushes = pushesFor(ntfy.publishes, 'target:hass');
    expect(hassPushes.map(pushKind)).toEqual(['unmuted']);
    expect(hassPushes[0]!.headers['priority']).toBe('default');
    expect(hassPushes[0]!.headers['click']).toBe(`https://discord.com/channels/${IDS.guild}/${IDS.channel}/${messageOf(w, 'target:hass')!.id}`);
    w.kube.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, true);
    await w.cycles(4);
    expect(pushesFor(ntfy.publishes, 'target:hass')).toHaveLength(1);

    // Pushes per incident: frigate open, reopen, escalation; hass only when its silence ended.
    expect(ntfy.publishes.map((p) => `${p.title} ${pushKind(p)}`)).toEqual([
      'stormguard: frigate is down (HTTP 503) open',
      'stormguard: frigate is down (HTTP 503) reopen',
      'stormguard: frigate is down (HTTP 503) escalation',
      'stormguard: hass is down (0/1 pods ready) unmuted',
    ]);
  });
});

describe('escalation', () => {
  it('an open, unacknowledged incident escalates once after escalateAfter — ring, email and push — and acknowledging first prevents all three', async () => {
    smtp = await startSmtpServer();
    ntfy = await startNtfyReceiver();
    world = await startWorld({ notify: { escalateAfter: '5m', email: emailConfig(smtp.port), ntfy: ntfyConfig(ntfy.url) } });
    const w = world;
    w.kube.setNodeReady('node-b', 'False'); // node:node-b opens at the first cycle
    w.probe.setStatus(503); // target:frigate opens at the second
    await w.cycles(2);
    const nodeB = messageOf(w, 'node:node-b')!;
    const frigate = messageOf(w, 'target:frigate')!;
    expect(nodeB).toBeDefined();
    expect(frigate).toBeDefined();
    const ack = await w.discord.slashCommand({ name: 'ack', user: OPERATOR, channelId: frigate.thread!.id });
    expect(ack.reply?.content).toContain('Acknowledged');

    // Just before node-b's deadline (rung 4m30s ago): nothing escalated.
    await w.cycles(8);
    expect(w.app.store.auditFor({ action: 'escalated' })).toEqual([]);
    expect(ringsInThread(w, nodeB)).toBe(0);

    await w.cycles(1); // 5m since node-b rang
    expect(ringsInThread(w, messageOf(w, 'node:node-b'))).toBe(1);
    const ring = w.discord.allMentions().filter((r) => r.channelId === nodeB.thread!.id);
    expect(ring).toEqual([expect.objectContaining({ kind: 'role', id: IDS.mentionRole, suppressed: false })]);
    const ringMessage = w.discord.channel(nodeB.thread!.id).messages.find((m) => m.id === ring[0]!.messageId)!;
    expect(ringMessage.content).toMatch(new RegExp(`^<@&${IDS.mentionRole}> Still open and unacknowledged after 5m: `));
    expect(ringMessage.flags & 4096).toBe(0);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.subject).toMatch(/^\[stormguard\] ESCALATION: node-b is NotReady — /);
    expect(smtp.mails[0]!.text).toContain(`Discord: https://discord.com/channels/${IDS.guild}/${IDS.channel}/${nodeB.id}`);
    expect(pushesFor(ntfy.publishes, 'node:node-b').map(pushKind)).toEqual(['open', 'escalation']);

    // Once: an hour more brings no second escalation; the acknowledged incident never escalates.
    await w.cycles(120);
    expect(ringsInThread(w, messageOf(w, 'node:node-b'))).toBe(1);
    expect(ringsInThread(w, messageOf(w, 'target:frigate'))).toBe(0);
    expect(smtp.mails).toHaveLength(1);
    expect(pushesFor(ntfy.publishes, 'node:node-b').map(pushKind)).toEqual(['open', 'escalation']);
    expect(pushesFor(ntfy.publishes, 'target:frigate').map(pushKind)).toEqual(['open']);
    expect(w.app.store.auditFor({ action: 'escalated' }).map((a) => a.subject)).toEqual(['node:node-b']);
    // Besides the two openings, the escalation is the only ping.
    expect(w.discord.allMentions().filter((r) => !r.suppressed)).toHaveLength(3);
  });
});
