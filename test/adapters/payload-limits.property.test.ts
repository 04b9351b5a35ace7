/**
 * Property: whatever an incident holds — 1 to 1,000 targets, names up to 63 characters, causes and
 * probe details up to 10,000 characters of any Unicode, mentions and markdown — every payload
 * stormguard builds from it passes the Discord simulator's schema AND limit validation (the bodies
 * Discord would refuse with 50035), and email and push stay well-formed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AutocompleteInteraction, REST } from 'discord.js';
import { targetChoices, incidentChoices } from '../../commands/options.js';
import type { CommandContext } from '../../commands/types.js';
import type { DiscordConfig } from '../../src/config/types.js';
import { renderIncident, type IncidentView } from '../../src/core/render.js';
import { transition } from '../../src/core/lifecycle.js';
import { clip, DISCORD_LIMITS } from '../../src/core/text.js';
import type { Effect, Incident } from '../../src/core/types.js';
import { createDiscordSink } from '../../src/adapters/discord/sink.js';
import { baseSubject, composeEmail } from '../../src/adapters/email/compose.js';
import { createNtfySink } from '../../src/adapters/push/ntfy.js';
import type { DiscordRefs, PendingEffect, Store } from '../../src/adapters/sqlite/store.js';
import { validateBody, type Operation } from '../../src/sim/discord/validate.js';
import { evidenceText, type Evidence } from '../../src/core/evidence.js';
import { incident as baseIncident, target, T0, MIN } from '../core/fixtures.js';

const DISCORD: DiscordConfig = {
  token: 't',
  guildId: '100000000000000001',
  channelId: '100000000000000002',
  mentionRoleId: '100000000000000003',
  operatorRoleIds: [],
  apiUrl: 'http://127.0.0.1:1/api',
};

/** Hostile text: any Unicode, plus what formats or pings in Discord. */
const nasty = (max: number, size: fc.SizeForArbitrary = 'small') =>
  fc
    .array(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom('@everyone', '@here', '<@123456789012345678>', '<@&100000000000000003>', '<#1>', '<t:0:R>', '**bold**', '__u__', '`code`', '```', '> quote', '# head', '- item', '[link](https://x.y)', '||spoiler||', '\\', '\n', '😀'),
      ),
      { maxLength: 400, size },
    )
    .map((parts) => parts.join('').slice(0, max));

const targetName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,62}$/);
const nodeName = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,252}$/);

const world = fc.record({
  targets: fc.uniqueArray(
    fc.record({ name: targetName, health: fc.constantFrom('up' as const, 'down' as const, 'unknown' as const), detail: nasty(10_000) }),
    { minLength: 1, maxLength: 1000, selector: (t) => t.name, size: 'max' },
  ),
  nodes: fc.uniqueArray(fc.record({ name: nodeName, ready: fc.constantFrom('True' as const, 'False' as const, 'Unknown' as const, 'missing' as const), unschedulable: fc.boolean() }), {
    maxLength: 60,
    selector: (n) => n.name,
    size: 'max',
  }),
  cause: nasty(10_000, 'max'),
  subject: fc.oneof(targetName.map((n) => `target:${n}`), nodeName.map((n) => `node:${n}`), fc.constant('cluster')),
  state: fc.constantFrom('open' as const, 'acknowledged' as const, 'resolved' as const),
  nextRestart: fc.option(nasty(10_000, 'max'), { nil: null }),
  reason: nasty(10_000, 'max'),
  error: nasty(10_000, 'max'),
  silenced: fc.boolean(),
});

type World = typeof world extends fc.Arbitrary<infer W> ? W : never;

function incidentOf(w: World): Incident {
  return baseIncident({
    id: 4242,
    subject: w.subject,
    kind: w.subject.startsWith('node:') ? 'node' : w.subject === 'cluster' ? 'cluster' : 'target',
    state: w.state,
    cause: w.cause,
    targets: w.targets.map((t) => t.name),
    acknowledgedBy: w.state === 'open' ? null : '123456789012345678',
    acknowledgedAt: w.state === 'open' ? null : T0,
    resolvedAt: w.state === 'resolved' ? T0 : null,
  });
}

function viewOf(w: World, incident: Incident): IncidentView {
  return {
    incident,
    silence: w.silenced ? { id: 1, scope: { kind: 'everything' }, startsAt: T0, endsAt: T0 + 60 * MIN, createdBy: '123456789012345678', reason: w.reason, liftedAt: null } : null,
    targets: w.targets,
    nodes: w.nodes,
    nextRestart: w.nextRestart,
  };
}

/** Every note and ring the lifecycle can write for this incident, with the hostile texts inside. */
function lifecycleEffects(w: World, incident: Incident): Effect[] {
  const ctx = { now: T0 + 30 * MIN, reopenWindow: 10 * MIN, escalateAfter: 15 * MIN, silenced: false, actor: 'scheduler' };
  const open = { ...incident, state: 'open' as const, resolvedAt: null, acknowledgedBy: null };
  const steps = [
    transition(null, { type: 'fail', subject: w.subject, kind: open.kind, cause: w.cause, targets: open.targets }, ctx),
    transition({ ...open, targets: [] }, { type: 'fail', subject: w.subject, kind: 'node', cause: `${w.cause}!`, targets: open.targets }, ctx),
    transition(open, { type: 'recover', cause: w.cause }, ctx),
    transition({ ...open, state: 'resolved', resolvedAt: T0 + 25 * MIN }, { type: 'fail', subject: w.subject, kind: open.kind, cause: w.cause, targets: open.targets }, ctx),
    transition(open, { type: 'restartRequested', target: open.targets[0]!, automatic: false, by: '123456789012345678', reason: w.reason }, ctx),
    transition(open, { type: 'restartFinished', target: open.targets[0]!, ok: false, error: w.error }, ctx),
    transition(open, { type: 'tick' }, ctx),
    transition(open, { type: 'circuitOpen', target: open.targets[0]!, message: w.error }, ctx),
  ];
  return steps.flatMap((s) => s.effects);
}

/** The real Discord sink, its REST calls recorded instead of sent. */
function recordingSink(view: IncidentView) {
  const calls: Array<{ operation: Operation; body: unknown }> = [];
  const refs: DiscordRefs = { messageId: null, threadId: null, renderHash: null } as unknown as DiscordRefs;
  const store = {
    getDiscordRefs: () => refs,
    setDiscordRenderHash: (_id: number, hash: string) => Object.assign(refs, { renderHash: hash }),
    setDiscordMessage: (_id: number, messageId: string, threadId: string | null) => Object.assign(refs, { messageId, threadId }),
  } as unknown as Store;
  const operationOf = (method: string, route: string): Operation =>
    method === 'patch' ? (route.includes('/messages/') ? 'editMessage' : 'modifyChannel') : route.endsWith('/threads') ? 'startThread' : 'createMessage';
  const rest = {
    post: async (route: string, { body }: { body: unknown }) => {
      calls.push({ operation: operationOf('post', route), body });
      return { id: '200000000000000001' };
    },
    patch: async (route: string, { body }: { body: unknown }) => {
      calls.push({ operation: operationOf('patch', route), body });
      // A different rendering forces the edit on the next delivery.
      Object.assign(refs, { renderHash: 'stale' });
      return { id: '200000000000000001' };
    },
  } as unknown as REST;
  const sink = createDiscordSink({ rest, discord: DISCORD, store });
  return { sink, calls, refs };
}

function pending(effect: Effect, id: number): PendingEffect {
  return { id, incidentId: 4242, effect, attempts: 0 } as PendingEffect;
}

describe('every payload fits Discord whatever the incident holds', () => {
  it('message, edit, thread, notes and rings pass schema and limit validation', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const incident = incidentOf(w);
        const view = viewOf(w, incident);
        const { sink, calls, refs } = recordingSink(view);
        const effects: Effect[] = [{ type: 'postMessage', mention: true }, { type: 'editMessage' }, ...lifecycleEffects(w, incident), { type: 'archiveThread' }];
        let id = 1;
        for (const effect of effects) {
          if (effect.type === 'editMessage') Object.assign(refs, { renderHash: 'stale' });
          if (['postMessage', 'editMessage', 'threadNote', 'ring', 'archiveThread'].includes(effect.type)) await sink.deliver(pending(effect, id++), { incident, view, messageLink: null });
        }
        expect(calls.map((c) => c.operation)).toContain('editMessage');
        for (const call of calls) expect({ operation: call.operation, issues: validateBody(call.operation, call.body) }).toEqual({ operation: call.operation, issues: [] });
        // Rendering itself: within the per-field limits with room to spare in the 6,000 total.
        const rendered = renderIncident(view);
        const total = rendered.title.length + rendered.description.length + rendered.fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
        expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedsTotal);
      }),
      { numRuns: 40 },
    );
  });

  it('the evidence note and the /logs answer pass validation for any log and any events, unclipped by the sink or the router', async () => {
    const evidence: fc.Arbitrary<Evidence> = fc.record({
      target: targetName,
      source: fc.option(fc.record({ pod: nasty(300), container: fc.option(nasty(300)), previous: fc.boolean(), restartCount: fc.nat() })),
      log: fc.option(fc.oneof(nasty(70_000, 'max').map((text) => ({ ok: true as const, text })), nasty(5_000).map((why) => ({ ok: false as const, why })))),
      events: fc.array(fc.record({ reason: nasty(300), message: nasty(2_000), object: nasty(300), count: fc.nat(), lastSeen: fc.integer({ min: 0, max: 4e12 }) }), { maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(world, evidence, async (w, e) => {
        const incident = incidentOf(w);
        const { sink, calls } = recordingSink(viewOf(w, incident));
        const note = evidenceText(e, DISCORD_LIMITS.content);
        const reply = evidenceText(e, DISCORD_LIMITS.reply);
        // Fitted by itself: neither the sink's nor the router's last-resort clip is what keeps it valid.
        expect(note.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
        expect(reply.length).toBeLessThanOrEqual(DISCORD_LIMITS.reply);
        await sink.deliver(pending({ type: 'threadNote', text: note }, 1), { incident, view: viewOf(w, incident), messageLink: null });
        const posted = calls.filter((c) => c.operation === 'createMessage' && (c.body as { content?: string }).content === note);
        expect(posted).toHaveLength(1);
        for (const call of calls) expect({ operation: call.operation, issues: validateBody(call.operation, call.body) }).toEqual({ operation: call.operation, issues: [] });
        expect(validateBody('editWebhookMessage', { content: reply, allowed_mentions: { parse: [] } })).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it('replies and autocomplete answers pass validation', () => {
    fc.assert(
      fc.property(world, nasty(10_000), (w, answer) => {
        const reply = { content: clip(answer, DISCORD_LIMITS.reply), allowed_mentions: { parse: [] } };
        expect(validateBody('editWebhookMessage', reply)).toEqual([]);
        const config = { targets: w.targets.map((t) => target(t.name, { namespace: t.name.padEnd(63, 'n') })) };
        const open = w.targets.slice(0, 40).map((t, i) => baseIncident({ id: i + 1, subject: `target:${t.name}`, targets: [t.name] }));
        const ctx = { config, actions: { openIncidents: () => open } } as unknown as CommandContext;
        const interaction = { options: { getFocused: () => '' } } as unknown as AutocompleteInteraction;
        for (const choices of [targetChoices(interaction, ctx), incidentChoices(interaction, ctx)]) {
          expect(validateBody('interactionCallback', { type: 8, data: { choices } })).toEqual([]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('email and push stay well-formed: one-line subjects, escaped HTML, bounded push body', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const incident = incidentOf(w);
        const view = viewOf(w, incident);
        const email = composeEmail({ view, reason: 'fallback', baseSubject: baseSubject(view), discordLink: null });
        expect(email.subject).not.toMatch(/[\r\n]/);
        expect(email.html).not.toMatch(/<(?!\/?(?:html|body|p|div|h2|table|tr|th|td|br|a)\b|!doctype)/i);
        // Markdown escapes are for Discord; mail readers see the text as it was (a zero-width space only
        // where the generated text itself had one).
        if (!JSON.stringify(w).includes('\u200b')) expect(email.text).not.toContain('\u200b');
        const requests: Array<{ headers: Record<string, string>; body: string }> = [];
        const push = createNtfySink({
          ntfy: { url: 'http://127.0.0.1:1', topic: 't' },
          fetch: (async (_url: string, init: { headers: Record<string, string>; body: string }) => {
            requests.push(init);
            return new Response('{}', { status: 200 });
          }) as unknown as typeof fetch,
        });
        await push.deliver(pending({ type: 'push', reason: 'open' }, 1), { incident, view, messageLink: null });
        expect(Buffer.byteLength(requests[0]!.body)).toBeLessThanOrEqual(4096);
        expect(requests[0]!.headers['Title']).toMatch(/^[\u0020-\u007e]*$/);
      }),
      { numRuns: 40 },
    );
  });
});
