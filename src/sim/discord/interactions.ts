/**
 * Interactions a simulated person starts (slash command, button, autocomplete): the
 * INTERACTION_CREATE payloads, and the record of how the bot answered each one.
 */
import { randomBytes } from 'node:crypto';
import { MAX_FILE_BYTES, type StoredAttachment } from './attachments.js';
import type { ApiUser, DiscordModel, StoredChannel, StoredMessage } from './model.js';

const EPHEMERAL = 64;

/** The person who interacts. `roles` are role ids (guild interactions only). */
export interface SimActor {
  id: string;
  username?: string;
  roles?: string[];
}

/** Options of a slash command as a name→value map, or Discord's raw option array. */
export type SimCommandOptions = Record<string, string | number | boolean> | Array<Record<string, unknown>>;

/** What a person saw of one response message. */
export interface VisibleReply {
  messageId: string;
  content: string;
  embeds: unknown[];
  components: unknown[];
  ephemeral: boolean;
  editCount: number;
  /** Files attached, bytes included (what a person could download). */
  attachments: StoredAttachment[];
}

/** One interaction callback the bot sent (`POST /interactions/{id}/{token}/callback`). */
export interface CallbackRecord {
  type: number;
  data: unknown;
}

/** A live view of how the bot answered one interaction; getters read the current state. */
export interface InteractionResult {
  readonly id: string;
  readonly kind: 'command' | 'button' | 'autocomplete';
  /** Command name, or the button's custom id. */
  readonly name: string;
  readonly userId: string;
  readonly callbacks: readonly CallbackRecord[];
  /** The first callback was type 5 or 6. */
  readonly deferred: boolean;
  /** The original response as it looks now (for a button: the message the button is on). */
  readonly reply: VisibleReply | null;
  readonly followUps: VisibleReply[];
  /** Autocomplete choices (callback type 8), else null. */
  readonly choices: Array<{ name: string; value: string | number }> | null;
}

/** Internal bookkeeping of one interaction. */
export interface InteractionRecord {
  id: string;
  token: string;
  kind: InteractionResult['kind'];
  name: string;
  userId: string;
  channelId: string;
  /** Real-time start, for Discord's 3-second answer deadline. */
  startedAtMs: number;
  /** For a button: the message the button is on (what type 6/7 callbacks edit). */
  sourceMessage: StoredMessage | null;
  callbacks: CallbackRecord[];
  original: StoredMessage | null;
  followUps: StoredMessage[];
  choices: Array<{ name: string; value: string | number }> | null;
  settled: boolean;
  onSettled: Array<() => void>;
  view: InteractionResult;
}

/** Creates the record (and its live view) of a new interaction. */
export function newRecord(
  model: DiscordModel,
  kind: InteractionRecord['kind'],
  name: string,
  userId: string,
  channelId: string,
  sourceMessage: StoredMessage | null = null,
): InteractionRecord {
  const record: InteractionRecord = {
    id: model.snowflake(),
    token: `sim.${randomBytes(24).toString('base64url')}`,
    kind,
    name,
    userId,
    channelId,
    startedAtMs: performance.now(),
    sourceMessage,
    callbacks: [],
    original: null,
    followUps: [],
    choices: null,
    settled: false,
    onSettled: [],
    view: undefined as unknown as InteractionResult,
  };
  record.view = {
    id: record.id,
    kind,
    name,
    userId,
    get callbacks() {
      return record.callbacks;
    },
    get deferred() {
      const first = record.callbacks[0]?.type;
      return first === 5 || first === 6;
    },
    get reply() {
      return record.original ? visible(record.original) : null;
    },
    get followUps() {
      return record.followUps.map(visible);
    },
    get choices() {
      return record.choices;
    },
  };
  return record;
}

/** Marks the interaction answered for good and wakes whoever waits for it. */
export function settle(record: InteractionRecord): void {
  if (record.settled) return;
  record.settled = true;
  for (const wake of record.onSettled.splice(0)) wake();
}

function visible(m: StoredMessage): VisibleReply {
  return {
    messageId: m.id,
    content: m.content,
    embeds: m.embeds,
    components: m.components,
    ephemeral: (m.flags & EPHEMERAL) !== 0,
    editCount: m.editCount,
    attachments: m.attachments,
  };
}

/** A Discord user object for a simulated person. */
export function apiUser(actor: SimActor): ApiUser {
  return { id: actor.id, username: actor.username ?? `user-${actor.id}`, discriminator: '0', global_name: null, avatar: null };
}

/** Fields common to every INTERACTION_CREATE, for a guild (`guildId` set) or a DM (`null`). */
export function basePayload(
  model: DiscordModel,
  record: InteractionRecord,
  type: number,
  actor: SimActor,
  channel: StoredChannel | null,
  guildId: string | null,
): Record<string, unknown> {
  const user = apiUser(actor);
  const common = {
    id: record.id,
    application_id: model.options.applicationId,
    type,
    token: record.token,
    version: 1,
    // Discord computes these for the bot in that channel; the simulated bot is an administrator.
    app_permissions: '8',
    locale: 'en-US',
    // discord.js reads both unconditionally and throws on their absence.
    entitlements: [],
    // The limit the simulator enforces on uploads (10 MiB, Discord's default).
    attachment_size_limit: MAX_FILE_BYTES,
  };
  if (guildId === null) {
    const dm = { id: record.channelId, type: 1, last_message_id: null, recipients: [user], flags: 0 };
    return { ...common, user, channel: dm, channel_id: dm.id, context: 1, authorizing_integration_owners: {} };
  }
  const member = {
    user,
    roles: actor.roles ?? [],
    permissions: '0',
    joined_at: new Date(0).toISOString(),
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    nick: null,
    avatar: null,
    premium_since: null,
    communication_disabled_until: null,
  };
  const channelObject = channel ? model.apiChannel(channel) : { id: record.channelId, type: 0, guild_id: guildId };
  return {
    ...common,
    guild_id: guildId,
    guild: { id: guildId, locale: 'en-US', features: [] },
    guild_locale: 'en-US',
    member,
    channel: channelObject,
    channel_id: record.channelId,
    context: 0,
    authorizing_integration_owners: { '0': guildId },
  };
}

/** Discord's option array for `options`, typed from the registered command when it is known. */
export function commandOptions(model: DiscordModel, commandName: string, options: SimCommandOptions | undefined): Array<Record<string, unknown>> {
  if (options === undefined) return [];
  if (Array.isArray(options)) return options;
  const declared = model.commands.find((c) => c.name === commandName)?.['options'];
  const declaredType = (name: string): number | undefined =>
    Array.isArray(declared) ? (declared as Array<Record<string, unknown>>).find((o) => o['name'] === name)?.['type'] as number | undefined : undefined;
  return Object.entries(options).map(([name, value]) => ({ name, type: declaredType(name) ?? inferType(value), value }));
}

function inferType(value: string | number | boolean): number {
  if (typeof value === 'boolean') return 5;
  if (typeof value === 'number') return Number.isInteger(value) ? 4 : 10;
  return 3;
}
