import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exportIncident } from '../../src/runtime/export.js';
import { timelineOf } from '../../src/core/timeline.js';
import { runCli, ROOT } from '../helpers/cliProcess.js';
import { startNtfyReceiver, type NtfyReceiver } from '../helpers/ntfy.js';
import { emailNotify, startSmtpServer, type SmtpServer } from '../helpers/smtp.js';
import { buttonId, closeWorldChecked, IDS, OPERATOR, startWorld, topLevel, type World } from '../helpers/world.js';
import type { TestClock } from '../helpers/engine.js';

const EXPORT_CONFIG = { discord: { guildId: IDS.guild, channelId: IDS.channel }, timeZone: 'Europe/Berlin' };
const GOLDEN = path.join(ROOT, 'test/fixtures/export');
let world: World | undefined;
let smtp: SmtpServer | undefined;
let ntfy: NtfyReceiver | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
  await smtp?.close();
  await ntfy?.close();
  smtp = ntfy = undefined;
});

/**
 * The seed's story on the test clock: node-a goes NotReady while frigate (pinned to it) answers 503;
 * a person acknowledges after 5 minutes, asks for a restart that the gate refuses, the node comes back,
 * stormguard restarts frigate once, and frigate recovers.
 */
async function seedStory(): Promise<World> {
  let clock: TestClock | undefined;
  // Discord's snowflakes follow the test clock too, so message ids (and the export's links) are the same every run.
  const w = await startWorld({ notify: { escalateAfter: '3h' }, timeZone: 'Europe/Berlin' }, {}, { discordSim: { now: () => clock?.now() ?? Date.parse('2026-11-25T20:00:00Z') } });
  clock = w.clock;
  w.kube.setNodeReady('node-a', 'False');
  w.probe.setStatus(503);
  await w.cycles(2);
  expect(topLevel(w)).toHaveLength(1);
  await w.cycles(10); // five minutes pass before anyone looks
  const ack = await w.discord.slashCommand({ name: 'ack', user: OPERATOR });
  expect(ack.reply?.content).toMatch(/^Acknowledged/);
  const refused = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate', reason: 'try | it\nnow' }, user: OPERATOR });
  expect(refused.reply?.content).toMatch(/node-a.*NotReady/);
  w.kube.setNodeReady('node-a', 'True');
  await w.cycles(3);
  expect(w.kube.restarts).toHaveLength(1);
  w.probe.setStatus(200);
  await w.cycles(3);
  await w.app.cycles.deliver();
  expect(w.app.store.openIncidents()).toEqual([]);
  return w;
}

describe('the seed’s story, then its export (SPEC §13)', () => {
  it('has every milestone in order, MTTA and MTTR on the test clock, and the refused /restart with its reason', async () => {
    world = await seedStory();
    const w = world;
    const incident = w.app.store.recentIncidents(0).find((i) => i.subject === 'node:node-a')!;
    const doc = JSON.parse(exportIncident(w.app.store, EXPORT_CONFIG, incident.id!, 'json')!) as {
      schema: string;
      milestones: Record<'started' | 'detected' | 'acknowledged' | 'mitigated' | 'resolved', string | null>;
      mttaSeconds: number;
      mttrSeconds: number;
      refused: Array<{ kind: string; reason: string; actor: { type: string; id?: string }; source: string; text: string }>;
      timeline: Array<{ kind: string; source: string; where?: string }>;
    };
    expect(doc.schema).toBe('stormguard.incident/v1');
    const m = doc.milestones;
    for (const key of ['started', 'detected', 'acknowledged', 'mitigated', 'resolved'] as const) expect(m[key], key).not.toBeNull();
    const at = (key: keyof typeof m) => Date.parse(m[key]!);
    expect(at('started')).toBeLessThanOrEqual(at('detected'));
    expect(at('detected')).toBeLessThanOrEqual(at('acknowledged'));
    expect(at('acknowledged')).toBeLessThanOrEqual(at('mitigated'));
    expect(at('mitigated')).toBeLessThanOrEqual(at('resolved'));
    // A NotReady node is an incident at the first cycle (20:00:30); the /ack came eleven cycles later (20:06:00).
    expect(m.detected).toBe('2026-11-25T20:00:30.000Z');
    expect(m.acknowledged).toBe('2026-11-25T20:06:00.000Z');
    expect(doc.mttaSeconds).toBe(5 * 60 + 30);
    expect(doc.mttrSeconds).toBe((at('resolved') - at('started')) / 1000);
    expect(m.resolved).toBe(new Date(incident.resolvedAt!).toISOString());
    // The person's /restart, refused with the gate's reason; and the scheduler's own refusals beside it.
    expect(doc.refused.filter((e) => e.actor.type === 'user')).toEqual([
      expect.objectContaining({ kind: 'restartRefused', reason: 'nodeNotReady', actor: { type: 'user', id: IDS.operator }, source: 'slashCommand', text: 'Restart of frigate refused: node node-a is NotReady' }),
    ]);
    expect(doc.refused.filter((e) => e.actor.type === 'stormguard').map((e) => e.reason)).toEqual(['nodeNotReady', 'nodeRecovering', 'cooldown']);
    // The ring of the opening message is in the timeline, once; so is the posted message.
    expect(doc.timeline.filter((e) => e.kind === 'rung')).toEqual([expect.objectContaining({ where: 'discordRole', source: 'automatic' })]);
    expect(doc.timeline.filter((e) => e.kind === 'opened')).toHaveLength(1);

    // The figures people track: observed once each, at the moment, by the incident's kind.
    const metrics = await w.app.metrics.registry.getMetricsAsJSON();
    const histogram = (name: string) => metrics.find((m) => m.name === name)!.values as Array<{ metricName?: string; labels: Record<string, unknown>; value: number }>;
    const sum = (name: string) => histogram(name).find((v) => v.metricName === `${name}_sum` && v.labels.kind === 'node')?.value;
    const count = (name: string) => histogram(name).find((v) => v.metricName === `${name}_count` && v.labels.kind === 'node')?.value;
    expect([count('stormguard_incident_time_to_acknowledge_seconds'), sum('stormguard_incident_time_to_acknowledge_seconds')]).toEqual([1, 5 * 60 + 30]);
    expect([count('stormguard_incident_time_to_resolve_seconds'), sum('stormguard_incident_time_to_resolve_seconds')]).toEqual([1, doc.mttrSeconds]);
  });

  it('exports the same Markdown and JSON as the golden files, from the database and through the real CLI', async () => {
    world = await seedStory();
    const w = world;
    const id = w.app.store.recentIncidents(0).find((i) => i.subject === 'node:node-a')!.id!;
    const md = exportIncident(w.app.store, EXPORT_CONFIG, id, 'md')!;
    const json = exportIncident(w.app.store, EXPORT_CONFIG, id, 'json')!;
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.mkdirSync(GOLDEN, { recursive: true });
      fs.writeFileSync(path.join(GOLDEN, 'seed-story.md'), md);
      fs.writeFileSync(path.join(GOLDEN, 'seed-story.json'), json);
    }
    expect(md).toBe(fs.readFileSync(path.join(GOLDEN, 'seed-story.md'), 'utf8'));
    expect(json).toBe(fs.readFileSync(path.join(GOLDEN, 'seed-story.json'), 'utf8'));

    // The CLI prints the same from the database file, in a process of its own.
    const config = path.join(w.dir, 'export.yaml');
    fs.writeFileSync(config, `database: { path: ${JSON.stringify(path.join(w.dir, "stormguard.db"))} }\ntimeZone: Europe/Berlin\ndiscord: { token: x, guildId: "${IDS.guild}", channelId: "${IDS.channel}", operatorRoleIds: [] }\ntargets:\n  - { name: frigate, namespace: nvr, workload: { kind: Deployment, name: frigate } }\n`);
    await w.app.close();
    const printed = runCli(['export', String(id), '--config', config], { cwd: w.dir });
    expect(printed.stderr).toBe('');
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(md);
    const asJson = runCli(['export', `#${id}`, '--format', 'json', '--config', config], { cwd: w.dir });
    expect(asJson.status).toBe(0);
    expect(asJson.stdout).toBe(json);
    const missing = runCli(['export', '999', '--config', config], { cwd: w.dir });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no incident #999');
    const badFormat = runCli(['export', String(id), '--format', 'pdf', '--config', config], { cwd: w.dir });
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toContain('--format must be md or json');
    // The app was closed for the CLI; the world's close starts from a fresh bot.
    await w.restartBot();
  }, 180_000);

  it('records nothing twice: one timeline entry per audit record, each kind of the story once where it happened once', async () => {
    world = await seedStory();
    const w = world;
    const id = w.app.store.recentIncidents(0).find((i) => i.subject === 'node:node-a')!.id!;
    const kinds = timelineOf(w.app.store.timelineRecords(id)).map((e) => e.kind);
    for (const once of ['detected', 'opened', 'acknowledged', 'restartRequested', 'restartSucceeded', 'resolved'] as const) {
      expect(kinds.filter((k) => k === once), once).toHaveLength(1);
    }
  });
});

describe('people in the timeline: /note, /incident export, the Export button', () => {
  it('/note in the thread adds a timeline entry and a quiet note that says who; escaped, pinging nobody; refused outside a thread', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(2);
    const message = topLevel(w)[0]!;
    const thread = message.thread!.id;
    const text = 'UPS | died\n**twice** @everyone <@&' + IDS.mentionRole + '>';
    const noted = await w.discord.slashCommand({ name: 'note', options: { text }, user: OPERATOR, channelId: thread });
    expect(noted.reply?.ephemeral).toBe(true);
    expect(noted.reply?.content).toMatch(/^Noted in the timeline of incident #\d+/);
    await expect.poll(() => topLevel(w)[0]!.thread!.messages.some((m) => m.content.startsWith('📝'))).toBe(true);
    const posted = topLevel(w)[0]!.thread!.messages.find((m) => m.content.startsWith('📝'))!;
    expect(posted.content.startsWith(`📝 Note from <@${IDS.operator}>: UPS \\| died`)).toBe(true);
    expect(posted.flags & 4096).toBe(4096);
    expect(posted.mentions.everyone).toBe(false);
    expect(posted.mentions.roles).toEqual([]);
    const id = w.app.store.openIncidents()[0]!.id!;
    const notes = timelineOf(w.app.store.timelineRecords(id)).filter((e) => e.kind === 'note');
    expect(notes).toEqual([expect.objectContaining({ actor: { type: 'user', id: IDS.operator }, source: 'slashCommand', text })]);

    const outside = await w.discord.slashCommand({ name: 'note', options: { text: 'hello' }, user: OPERATOR });
    expect(outside.reply?.content).toMatch(/Use \/note in an incident’s thread/);
    expect(w.app.store.auditFor({ action: 'noteRefused' }).map((a) => a.reason)).toEqual(['notInThread']);

    // The Acknowledge button is a button in the timeline, not a slash command.
    await w.discord.clickButton({ customId: buttonId(message, 'Acknowledge'), messageId: message.id, user: OPERATOR });
    expect(timelineOf(w.app.store.timelineRecords(id)).find((e) => e.kind === 'acknowledged')?.source).toBe('button');
  });

  it('/incident export answers ephemerally with incident-<n>.json, and the Export button with incident-<n>.md: the same bytes as the CLI’s', async () => {
    world = await seedStory();
    const w = world;
    const id = w.app.store.recentIncidents(0).find((i) => i.subject === 'node:node-a')!.id!;
    const command = await w.discord.slashCommand({
      name: 'incident',
      options: [{ name: 'export', type: 1, options: [{ name: 'id', type: 4, value: id }, { name: 'format', type: 3, value: 'json' }] }],
      user: OPERATOR,
    });
    expect(command.reply?.ephemeral).toBe(true);
    expect(command.reply?.content).toBe(`Incident #${id}: timeline as JSON (stormguard.incident/v1).`);
    expect(command.reply?.attachments.map((a) => a.filename)).toEqual([`incident-${id}.json`]);
    expect(command.reply?.attachments[0]!.bytes.toString('utf8')).toBe(fs.readFileSync(path.join(GOLDEN, 'seed-story.json'), 'utf8'));

    const message = topLevel(w)[0]!;
    const clicked = await w.discord.clickButton({ customId: buttonId(message, 'Export'), messageId: message.id, user: OPERATOR });
    expect(clicked.reply?.ephemeral).toBe(true);
    expect(clicked.reply?.attachments.map((a) => a.filename)).toEqual([`incident-${id}.md`]);
    expect(clicked.reply?.attachments[0]!.bytes.toString('utf8')).toBe(fs.readFileSync(path.join(GOLDEN, 'seed-story.md'), 'utf8'));

    const missing = await w.discord.slashCommand({ name: 'incident', options: [{ name: 'export', type: 1, options: [{ name: 'id', type: 4, value: 99 }] }], user: OPERATOR });
    expect(missing.reply?.content).toBe('There is no incident #99.');
    expect(missing.reply?.attachments).toEqual([]);
  });
});

describe('rings and fallbacks in the timeline, recorded where they happen', () => {
  it('each ring that reached people is one entry saying where: the role, ntfy and email, at the opening and the escalation', async () => {
    smtp = await startSmtpServer();
    ntfy = await startNtfyReceiver();
    world = await startWorld({ notify: { escalateAfter: '5m', email: emailNotify(smtp.port), ntfy: { url: ntfy.url, topic: 'homelab-alerts' } } });
    const w = world;
    w.kube.setNodeReady('node-b', 'False');
    await w.cycles(1);
    await w.cycles(11); // past escalateAfter
    await w.app.cycles.deliver();
    await expect.poll(() => smtp!.mails.length).toBe(1);
    const id = w.app.store.openIncidents()[0]!.id!;
    const entries = timelineOf(w.app.store.timelineRecords(id));
    const rings = entries.filter((e) => e.kind === 'rung').map((e) => [e.where, e.reason]);
    expect(rings.sort()).toEqual([
      ['discordRole', 'escalation'],
      ['discordRole', 'open'],
      ['email', 'escalation'],
      ['ntfy', 'escalation'],
      ['ntfy', 'open'],
    ]);
    expect(entries.filter((e) => e.kind === 'escalated').map((e) => e.reason)).toEqual(['unacknowledged']);
  });

  it('the fallback email is one entry (emailFallbackSent), not also a ring', async () => {
    smtp = await startSmtpServer();
    world = await startWorld({ notify: { escalateAfter: '3h', email: emailNotify(smtp.port) } });
    const w = world;
    w.discord.setRestDown(true);
    w.probe.setStatus(503);
    await w.cycles(8); // past fallbackAfter (2m)
    await expect.poll(() => smtp!.mails.length).toBe(1);
    const id = w.app.store.openIncidents()[0]!.id!;
    const kinds = timelineOf(w.app.store.timelineRecords(id)).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'emailFallbackSent')).toHaveLength(1);
    // Discord was never told: no message posted, no role rung.
    expect(kinds).not.toContain('opened');
    expect(kinds).not.toContain('rung');
    w.discord.setRestDown(false);
  });
});
