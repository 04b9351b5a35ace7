/**
 * Evidence in the thread (issue 22 item 4), end to end: the real bot, client-node against the Kubernetes
 * simulator (which serves `pods/{name}/log` as the kubelet does), discord.js against the Discord
 * simulator. An incident that opens knowing which container fails gets ONE quiet thread note with that
 * container's last log lines — the previous container once it restarted — and the Warning events, with
 * secrets redacted from everything Discord receives; the Logs button and /logs answer the same excerpt
 * ephemerally; `diagnosis.logs: false` reads no log at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SUPPRESS_NOTIFICATIONS } from '../../src/adapters/discord/payload.js';
import { answer, BYSTANDER, buttonId, closeWorldChecked, messageOf, OPERATOR, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

const FRIGATE = { kind: 'Deployment', name: 'frigate' } as const;
const SECRETS = ['hunter2', 'sk-live-0123456789abcdef', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmcmlnYXRlIn0.c2lnbmF0dXJlLXNpZw'];

/** What the crashed frigate container wrote before it exited: the cause, and secrets a real app leaks. */
const PREVIOUS_LOG = [
  '2026-12-07T10:00:00Z INFO frigate starting',
  `2026-12-07T10:00:01Z DEBUG connecting to mqtt://frigate:hunter2@mqtt.nvr.svc:1883 with password=hunter2`,
  `2026-12-07T10:00:01Z DEBUG api_key=${SECRETS[1]} Authorization: Bearer ${SECRETS[2]}`,
  '2026-12-07T10:00:02Z ERROR config: detectors.coral: no such device ```` @everyone',
  '2026-12-07T10:00:02Z FATAL exiting with code 1',
];

/** The log the running (current) container shows: never what the note should quote once it restarted. */
const CURRENT_LOG = ['2026-12-07T10:05:00Z INFO frigate starting again (current container)'];

function threadNotes(w: World): Array<{ content: string; flags: number }> {
  return topLevel(w)[0]?.thread?.messages ?? [];
}

function evidenceNotes(w: World) {
  return threadNotes(w).filter((m) => m.content.startsWith('**Evidence for frigate**'));
}

/** Everything Discord received: every REST body and every interaction answer. */
function everythingDiscordGot(w: World): string {
  return JSON.stringify([w.discord.requests.map((r) => r.body), w.discord.interactions, topLevel(w)]);
}

function logRequests(w: World): Array<{ path: string; query: Record<string, string> }> {
  return w.kube.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/log'));
}

async function crashingFrigate(overrides: Record<string, unknown> = {}): Promise<World> {
  world = await startWorld({ notify: { escalateAfter: '3h' }, ...overrides });
  world.kube.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1 });
  world.kube.setLogs('nvr', FRIGATE, 'main', PREVIOUS_LOG, { previous: true });
  world.kube.setLogs('nvr', FRIGATE, 'main', CURRENT_LOG);
  world.probe.setStatus(503);
  await world.cycles(2);
  return world;
}

describe('the evidence note', () => {
  it("an incident that opens with a crashing container gets ONE quiet note with its previous container's log, redacted, and the Warning events", async () => {
    const w = await crashingFrigate();
    const incident = w.app.store.openIncidents()[0]!;
    expect(incident.diagnoses?.frigate?.reason).toBe('crashLoop');

    const notes = evidenceNotes(w);
    expect(notes).toHaveLength(1);
    const note = notes[0]!;
    expect(note.flags & SUPPRESS_NOTIFICATIONS).toBe(SUPPRESS_NOTIFICATIONS);
    expect(note.content).toMatch(/^\*\*Evidence for frigate\*\* — last 50 lines of the previous container main \(pod frigate-[a-z0-9-]+, restarted \d+ times?\):\n```\n/);
    expect(note.content).toContain('FATAL exiting with code 1');
    expect(note.content).toContain('password=[redacted]');
    expect(note.content).not.toContain('current container');
    // A fence in the log cannot close the code block: exactly the two of the note itself.
    expect(note.content.split('```')).toHaveLength(3);
    expect(note.content).toMatch(/Warning events:\n- \*\*BackOff\*\*/);
    expect(note.content.length).toBeLessThanOrEqual(2000);

    // The kubelet was asked for the previous container's last 50 lines, once.
    const reads = logRequests(w);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.query).toMatchObject({ container: 'main', previous: 'true', tailLines: '50' });

    // Later cycles and a changing restart count add no second note.
    await w.cycles(6);
    expect(evidenceNotes(w)).toHaveLength(1);
    expect(logRequests(w)).toHaveLength(1);
    for (const secret of SECRETS) expect(everythingDiscordGot(w)).not.toContain(secret);
    // The audit log records what was read, never what it said.
    const audit = w.app.store.auditFor({ action: 'evidenceQueued' });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({ target: 'frigate', container: 'main', previous: true, log: 'read' });
    expect(JSON.stringify(audit)).not.toContain('hunter2');
  });

  it('a log the API refuses (RBAC without pods/log) is one line saying why; the incident goes on', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.kube.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1 });
    // Only the log is refused: the list and watch of pods stay allowed.
    w.kube.setRbac([
      { verbs: ['get', 'list', 'watch'], resources: ['nodes', 'pods', 'events'] },
      { verbs: ['get', 'list', 'watch', 'patch'], resources: ['deployments', 'statefulsets', 'daemonsets'], apiGroups: ['apps'] },
      { verbs: ['get', 'list', 'watch', 'create', 'update'], resources: ['leases'], apiGroups: ['coordination.k8s.io'] },
    ]);
    w.probe.setStatus(503);
    await w.cycles(2);
    const notes = evidenceNotes(w);
    expect(notes).toHaveLength(1);
    expect(notes[0]!.content.split('\n')[1]).toMatch(/^logs unavailable: HTTP 403: /);
    expect(notes[0]!.content).not.toContain('```');
    expect(topLevel(w)).toHaveLength(1);
  });

  it('a container that never restarted is read as it runs (no previous container)', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.kube.failPods('nvr', FRIGATE, { kind: 'imagePull', reason: 'ImagePullBackOff', message: 'Back-off pulling image "frigate:0.99"' });
    w.probe.setStatus(503);
    await w.cycles(2);
    const reads = logRequests(w);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.query.previous).toBeUndefined();
    // The kubelet's answer for a container that never started, said in one line.
    expect(evidenceNotes(w)[0]!.content).toMatch(/\nlogs unavailable: HTTP 400: container "main" in pod "frigate-[^"]+" is waiting to start/);
  });
});

describe('logs on demand', () => {
  it('the Logs button and /logs answer the same excerpt, only to the operator who asked; others are refused', async () => {
    const w = await crashingFrigate();
    const message = messageOf(w, 'target:frigate')!;
    const click = await w.discord.clickButton({ customId: buttonId(message, 'Logs'), messageId: message.id, user: OPERATOR });
    const clicked = click.followUps[0] ?? click.reply!;
    expect(clicked.ephemeral).toBe(true);
    expect(answer(click)).toMatch(/^\*\*Evidence for frigate\*\* — last 50 lines of the previous container main/);
    expect(answer(click)).toContain('FATAL exiting with code 1');

    const slash = await w.discord.slashCommand({ name: 'logs', options: { target: 'frigate' }, user: OPERATOR });
    expect(slash.reply!.ephemeral).toBe(true);
    expect(answer(slash)).toContain('FATAL exiting with code 1');
    expect(answer(slash)).toContain('password=[redacted]');
    expect(answer(slash).length).toBeLessThanOrEqual(2000);
    // Everything fitted: no file beside it.
    expect(slash.reply!.attachments).toEqual([]);

    const refused = await w.discord.slashCommand({ name: 'logs', options: { target: 'frigate' }, user: BYSTANDER });
    expect(answer(refused)).toBe('You need an operator role to do that.');
    const unknown = await w.discord.slashCommand({ name: 'logs', options: { target: 'nvr/secrets' }, user: OPERATOR });
    expect(answer(unknown)).not.toContain('Evidence');
    for (const secret of SECRETS) expect(everythingDiscordGot(w)).not.toContain(secret);
    // The note, the button and the command: three reads, each of the previous container.
    expect(logRequests(w).map((r) => r.query.previous)).toEqual(['true', 'true', 'true']);
  });
  it('a log longer than the message goes whole beside it as logs-<target>.txt, redacted, from the button and /logs alike', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    // 49 lines and the secret: the 50 the API returns for tailLines=50.
    const long = Array.from({ length: 49 }, (_, i) => `2026-12-07T10:00:${String(i).padStart(2, '0')}Z INFO line ${i} ${'x'.repeat(80)}`);
    w.kube.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1 });
    w.kube.setLogs('nvr', FRIGATE, 'main', [...long.slice(0, 10), 'DEBUG password=hunter2', ...long.slice(10)], { previous: true });
    w.probe.setStatus(503);
    await w.cycles(2);

    const slash = await w.discord.slashCommand({ name: 'logs', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(slash)).toMatch(/\(clipped; \d+ more lines\)/);
    expect(answer(slash)).not.toContain('INFO line 0 ');
    expect(slash.reply!.attachments.map((a) => a.filename)).toEqual(['logs-frigate.txt']);
    const file = slash.reply!.attachments[0]!.bytes.toString('utf8');
    for (const line of long) expect(file).toContain(line);
    expect(file).toContain('password=[redacted]');
    expect(file).not.toContain('hunter2');

    const message = messageOf(w, 'target:frigate')!;
    const click = await w.discord.clickButton({ customId: buttonId(message, 'Logs'), messageId: message.id, user: OPERATOR });
    const clicked = click.followUps[0] ?? click.reply!;
    expect(clicked.attachments.map((a) => a.filename)).toEqual(['logs-frigate.txt']);
    expect(clicked.attachments[0]!.bytes.toString('utf8')).toBe(file);
  });
});

describe('diagnosis.logs: false', () => {
  it('reads no log at all: no note, and /logs shows the Warning events only', async () => {
    const w = await crashingFrigate({ diagnosis: { logs: false } });
    expect(w.app.store.openIncidents()[0]?.diagnoses?.frigate?.reason).toBe('crashLoop');
    await w.cycles(4);
    expect(evidenceNotes(w)).toHaveLength(0);
    const slash = await w.discord.slashCommand({ name: 'logs', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(slash)).toContain('log excerpts are off');
    expect(answer(slash)).toContain('Warning events:');
    expect(logRequests(w)).toHaveLength(0);
    expect(w.kube.countRequests({ pathPrefix: '/api/v1/namespaces/nvr/pods/' })).toBe(0);
  });
});
