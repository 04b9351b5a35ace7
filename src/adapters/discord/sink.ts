import { Routes, type REST } from 'discord.js';
import type { DiscordConfig } from '../../config/types.js';
import { incidentTitle, renderIncident, type IncidentView } from '../../core/render.js';
import { clip, DISCORD_LIMITS, escapeMarkdown, oneLine } from '../../core/text.js';
import { isDiscordEffect, type Incident } from '../../core/types.js';
import type { Logger } from '../../log.js';
import type { Store } from '../sqlite/store.js';
import { EffectError, type DeliveryContext, type EffectSink, type PendingEffect } from '../../core/delivery.js';
import { classifyDiscordError, discordCode, INVALID_FORM_BODY, THREAD_ALREADY_CREATED, THREAD_ARCHIVED } from './errors.js';
import { incidentPayload, minimalIncidentPayload, NO_MENTIONS, nonceFor, payloadHash, roleMention, SUPPRESS_NOTIFICATIONS, type IncidentPayload } from './payload.js';

/** What the Discord sink needs. */
export interface DiscordSinkDeps {
  rest: REST;
  discord: DiscordConfig;
  store: Store;
  /** Where to say what Discord refused (the fields of a 400). */
  logger?: Logger;
}

/** One delivery's incident, the view the pass built for it, and whether Discord refused its full message. */
interface Delivery {
  incident: Incident;
  view: IncidentView;
  messageRefused: boolean;
  /** The message this delivery posted, and whether it (or a ring in the thread) mentioned the role: the timeline's records. */
  posted?: string;
  rang?: boolean;
}

interface MessageJson {
  id: string;
}

/**
 * Delivers incident effects to Discord: exactly one top-level message per incident (nonce with
 * `enforce_nonce`, id saved as soon as Discord returns it), edits only when the rendering changed,
 * one thread per incident with quiet notes, rings that mention the role, and archiving on resolve.
 */
export function createDiscordSink(deps: DiscordSinkDeps): EffectSink {
  const { rest, discord, store } = deps;
  // Messages Discord created whose id the database refused to record (disk full, locked): the id is
  // kept here and recorded first on the next attempt, so the message is never posted a second time.
  const unrecorded = new Map<number, string>();

  async function call<T>(what: string, fn: () => Promise<unknown>): Promise<T> {
    try {
      return (await fn()) as T;
    } catch (err) {
      throw classifyDiscordError(err, what, discord.channelId);
    }
  }

  /**
   * Sends the incident's message; when Discord refuses the body (400, 50035: a limit we missed), logs
   * the fields it named and sends the minimal message instead, so the incident is never lost (and the
   * delivery says so: the people did not see it all).
   */
  async function sendIncidentMessage(delivery: Delivery, what: string, send: (payload: IncidentPayload) => Promise<unknown>): Promise<MessageJson> {
    const { incident, view } = delivery;
    try {
      return (await send(incidentPayload(renderIncident(view)))) as MessageJson;
    } catch (err) {
      if (discordCode(err) !== INVALID_FORM_BODY) throw classifyDiscordError(err, what, discord.channelId);
      deps.logger?.error(
        { incidentId: incident.id, refused: err instanceof Error ? err.message : String(err) },
        `discord refused incident #${incident.id}'s message (${what}); sent a minimal one instead — this is a stormguard bug, please report the refused fields`,
      );
      delivery.messageRefused = true;
      return call<MessageJson>(`${what} (minimal)`, () => send(minimalIncidentPayload(view)));
    }
  }

  /** Posts the incident's message unless it exists, then makes sure its thread exists; returns the thread id. */
  async function ensureMessage(delivery: Delivery, mention: boolean): Promise<{ messageId: string; threadId: string }> {
    const { incident, view } = delivery;
    const id = incident.id!;
    let refs = store.getDiscordRefs(id)!;
    let messageId = refs.messageId;
    const posted = unrecorded.get(id);
    if (!messageId && posted !== undefined) {
      store.setDiscordMessage(id, posted, null);
      unrecorded.delete(id);
      messageId = posted;
      refs = store.getDiscordRefs(id)!;
    }
    if (!messageId) {
      const payload = incidentPayload(renderIncident(view));
      // Remember what we are about to post BEFORE posting. After a crash, Discord answers the repeated
      // nonce with the first message and its first body: keeping the first attempt's hash makes the
      // edit below bring that message to the current state.
      if (refs.renderHash === null) store.setDiscordRenderHash(id, payloadHash(payload));
      // Ring only while the incident still needs someone: a post delayed by an outage until after
      // the incident was acknowledged or resolved must not wake anybody.
      const ring = mention && incident.state === 'open' && discord.mentionRoleId !== undefined;
      // The content never changes (edits cannot ring or un-ring); state lives in the embed.
      const text = `Incident #${id}: ${escapeMarkdown(oneLine(incidentTitle(view)))}`;
      const message = await sendIncidentMessage(delivery, 'post incident message', (body) =>
        rest.post(Routes.channelMessages(discord.channelId), {
          body: {
            content: ring ? `${roleMention(discord.mentionRoleId!)} ${text}` : text,
            ...body,
            // The same nonce after a crash makes Discord return the first message instead of a second one.
            nonce: nonceFor('incident', id),
            enforce_nonce: true,
            allowed_mentions: ring ? { parse: [], roles: [discord.mentionRoleId!] } : NO_MENTIONS,
          },
        }),
      );
      messageId = message.id;
      delivery.posted = messageId;
      if (ring) delivery.rang = true;
      unrecorded.set(id, messageId);
      store.setDiscordMessage(id, messageId, null);
      unrecorded.delete(id);
      refs = store.getDiscordRefs(id)!;
    }
    let threadId = refs.threadId;
    if (!threadId) {
      threadId = await startThread(view, messageId);
      store.setDiscordMessage(id, messageId, threadId);
    }
    return { messageId, threadId };
  }

  async function startThread(view: IncidentView, messageId: string): Promise<string> {
    try {
      const thread = (await rest.post(Routes.threads(discord.channelId, messageId), {
        body: { name: threadName(view), auto_archive_duration: 10080 },
      })) as MessageJson;
      return thread.id;
    } catch (err) {
      // A crash after Discord created the thread: a message's thread has the message's id.
      if (discordCode(err) === THREAD_ALREADY_CREATED) return messageId;
      throw classifyDiscordError(err, 'start thread', discord.channelId);
    }
  }

  async function postInThread(threadId: string, body: Record<string, unknown>, what: string): Promise<void> {
    try {
      await rest.post(Routes.channelMessages(threadId), { body });
    } catch (err) {
      if (discordCode(err) !== THREAD_ARCHIVED) throw classifyDiscordError(err, what, discord.channelId);
      // Resolved incidents archive their thread; a reopen or late note unarchives it first.
      await call('unarchive thread', () => rest.patch(Routes.channel(threadId), { body: { archived: false } }));
      await call(what, () => rest.post(Routes.channelMessages(threadId), { body }));
    }
  }

  async function editIfChanged(delivery: Delivery, messageId: string): Promise<void> {
    const { incident, view } = delivery;
    const payload = incidentPayload(renderIncident(view));
    const hash = payloadHash(payload);
    if (store.getDiscordRefs(incident.id!)?.renderHash === hash) return;
    await sendIncidentMessage(delivery, 'edit incident message', (body) =>
      rest.patch(Routes.channelMessage(discord.channelId, messageId), { body: { ...body, allowed_mentions: NO_MENTIONS } }),
    );
    // The full rendering's hash even after a minimal edit: the next edit waits for a real change.
    store.setDiscordRenderHash(incident.id!, hash);
  }

  async function deliverEffect(pending: PendingEffect, delivery: Delivery): Promise<void> {
    const { effect } = pending;
    const { incident } = delivery;
    if (!isDiscordEffect(effect)) throw new EffectError(`discord sink cannot deliver ${effect.type}`, false);
    switch (effect.type) {
      case 'postMessage': {
        const { messageId } = await ensureMessage(delivery, effect.mention);
        await editIfChanged(delivery, messageId);
        return;
      }
      case 'editMessage': {
        const { messageId } = await ensureMessage(delivery, false);
        await editIfChanged(delivery, messageId);
        return;
      }
      case 'threadNote': {
        const { threadId } = await ensureMessage(delivery, false);
        await postInThread(
          threadId,
          { content: clipContent(effect.text), flags: SUPPRESS_NOTIFICATIONS, allowed_mentions: NO_MENTIONS, nonce: nonceFor('effect', pending.id), enforce_nonce: true },
          'post thread note',
        );
        return;
      }
      case 'ring': {
        const { threadId } = await ensureMessage(delivery, false);
        // As for the post: a ring that arrives after the incident was acknowledged or resolved is a quiet note.
        const role = incident.state === 'open' ? discord.mentionRoleId : undefined;
        await postInThread(
          threadId,
          {
            content: clipContent(role ? `${roleMention(role)} ${effect.text}` : effect.text),
            allowed_mentions: role ? { parse: [], roles: [role] } : NO_MENTIONS,
            ...(role ? {} : { flags: SUPPRESS_NOTIFICATIONS }),
            nonce: nonceFor('effect', pending.id),
            enforce_nonce: true,
          },
          'ring the role',
        );
        if (role) delivery.rang = true;
        return;
      }
      case 'archiveThread': {
        const { threadId } = await ensureMessage(delivery, false);
        await call('archive thread', () => rest.patch(Routes.channel(threadId), { body: { archived: true } }));
        return;
      }
    }
  }

  return {
    async deliver(pending: PendingEffect, context: DeliveryContext | null) {
      const effect = pending.effect;
      if (!isDiscordEffect(effect)) throw new EffectError(`discord sink cannot deliver ${effect.type}`, false);
      if (!context || context.incident.id === null) throw new EffectError(`discord: effect ${pending.id} has no incident`, false);
      const delivery: Delivery = { incident: context.incident, view: context.view, messageRefused: false };
      await deliverEffect(pending, delivery);
      return {
        messageRefused: delivery.messageRefused,
        ...(delivery.posted !== undefined ? { postedMessageId: delivery.posted } : {}),
        ...(delivery.rang ? { rang: 'discordRole' as const } : {}),
      };
    },
  };
}

/** Thread names are 1–100 characters of one line (plain text: no markdown is rendered there). */
function threadName(view: IncidentView): string {
  return clip(oneLine(`#${view.incident.id} ${incidentTitle(view)}`), DISCORD_LIMITS.threadName);
}

/** Message content is at most 2000 characters. */
function clipContent(text: string): string {
  return clip(text, DISCORD_LIMITS.content);
}
