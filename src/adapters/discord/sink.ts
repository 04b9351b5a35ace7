import { Routes, type REST } from 'discord.js';
import type { DiscordConfig } from '../../config/types.js';
import { incidentTitle, renderIncident, type IncidentView } from '../../core/render.js';
import { clip, DISCORD_LIMITS, escapeMarkdown, oneLine } from '../../core/text.js';
import { isDiscordEffect, type Incident } from '../../core/types.js';
import type { Logger } from '../../log.js';
import type { Store } from '../sqlite/store.js';
import { EffectError, type EffectSink, type PendingEffect } from '../../core/delivery.js';
import { classifyDiscordError, discordCode, INVALID_FORM_BODY, THREAD_ALREADY_CREATED, THREAD_ARCHIVED } from './errors.js';
import { incidentPayload, minimalIncidentPayload, NO_MENTIONS, nonceFor, payloadHash, roleMention, SUPPRESS_NOTIFICATIONS, type IncidentPayload } from './payload.js';

/** What the Discord sink needs. */
export interface DiscordSinkDeps {
  rest: REST;
  discord: DiscordConfig;
  store: Store;
  /** Builds what the incident's message shows from current state (delivery renders the latest state). */
  view: (incident: Incident) => IncidentView;
  /** Where to say what Discord refused (the fields of a 400). */
  logger?: Logger;
  /**
   * Called when Discord refused the incident's full message and got the minimal one instead: the
   * people did not see it all, which counts as "Discord could not be told" for the email fallback.
   */
  onMessageRefused?: (incident: Incident) => void;
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
   * the fields it named and sends the minimal message instead, so the incident is never lost.
   */
  async function sendIncidentMessage(incident: Incident, what: string, send: (payload: IncidentPayload) => Promise<unknown>): Promise<MessageJson> {
    const view = deps.view(incident);
    try {
      return (await send(incidentPayload(renderIncident(view)))) as MessageJson;
    } catch (err) {
      if (discordCode(err) !== INVALID_FORM_BODY) throw classifyDiscordError(err, what, discord.channelId);
      deps.logger?.error(
        { incidentId: incident.id, refused: err instanceof Error ? err.message : String(err) },
        `discord refused incident #${incident.id}'s message (${what}); sent a minimal one instead — this is a stormguard bug, please report the refused fields`,
      );
      deps.onMessageRefused?.(incident);
      return call<MessageJson>(`${what} (minimal)`, () => send(minimalIncidentPayload(view)));
    }
  }

  /** Posts the incident's message unless it exists, then makes sure its thread exists; returns the thread id. */
  async function ensureMessage(incident: Incident, mention: boolean): Promise<{ messageId: string; threadId: string }> {
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
      const view = deps.view(incident);
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
      const message = await sendIncidentMessage(incident, 'post incident message', (body) =>
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
      unrecorded.set(id, messageId);
      store.setDiscordMessage(id, messageId, null);
      unrecorded.delete(id);
      refs = store.getDiscordRefs(id)!;
    }
    let threadId = refs.threadId;
    if (!threadId) {
      threadId = await startThread(incident, messageId);
      store.setDiscordMessage(id, messageId, threadId);
    }
    return { messageId, threadId };
  }

  async function startThread(incident: Incident, messageId: string): Promise<string> {
    try {
      const thread = (await rest.post(Routes.threads(discord.channelId, messageId), {
        body: { name: threadName(deps.view(incident)), auto_archive_duration: 10080 },
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

  async function editIfChanged(incident: Incident, messageId: string): Promise<void> {
    const payload = incidentPayload(renderIncident(deps.view(incident)));
    const hash = payloadHash(payload);
    if (store.getDiscordRefs(incident.id!)?.renderHash === hash) return;
    await sendIncidentMessage(incident, 'edit incident message', (body) =>
      rest.patch(Routes.channelMessage(discord.channelId, messageId), { body: { ...body, allowed_mentions: NO_MENTIONS } }),
    );
    // The full rendering's hash even after a minimal edit: the next edit waits for a real change.
    store.setDiscordRenderHash(incident.id!, hash);
  }

  return {
    async deliver(pending: PendingEffect, incident: Incident | null) {
      const effect = pending.effect;
      if (!isDiscordEffect(effect)) throw new EffectError(`discord sink cannot deliver ${effect.type}`, false);
      if (!incident || incident.id === null) throw new EffectError(`discord: effect ${pending.id} has no incident`, false);
      switch (effect.type) {
        case 'postMessage': {
          const { messageId } = await ensureMessage(incident, effect.mention);
          await editIfChanged(incident, messageId);
          return;
        }
        case 'editMessage': {
          const { messageId } = await ensureMessage(incident, false);
          await editIfChanged(incident, messageId);
          return;
        }
        case 'threadNote': {
          const { threadId } = await ensureMessage(incident, false);
          await postInThread(
            threadId,
            { content: clipContent(effect.text), flags: SUPPRESS_NOTIFICATIONS, allowed_mentions: NO_MENTIONS, nonce: nonceFor('effect', pending.id), enforce_nonce: true },
            'post thread note',
          );
          return;
        }
        case 'ring': {
          const { threadId } = await ensureMessage(incident, false);
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
          return;
        }
        case 'archiveThread': {
          const { threadId } = await ensureMessage(incident, false);
          await call('archive thread', () => rest.patch(Routes.channel(threadId), { body: { archived: true } }));
          return;
        }
      }
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
