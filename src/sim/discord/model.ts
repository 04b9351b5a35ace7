/**
 * The simulated guild's state — channels, threads, messages, commands — and its rendering into the
 * JSON shapes Discord's REST API and gateway return. Mutations take already-validated bodies.
 */
import { apiAttachment, type StoredAttachment } from './attachments.js';
import { resolveMentions, type AllowedMentions, type MentionSet } from './mentions.js';
import { PERMISSION, channelPermissions, type Overwrite } from './permissions.js';

const DISCORD_EPOCH = 1420070400000n;
/** A text channel; a public thread. */
export const CHANNEL_TEXT = 0;
export const CHANNEL_PUBLIC_THREAD = 11;
const EPHEMERAL = 64;

/** A Discord user object (the bot, a webhook author, a person who interacts). */
export interface ApiUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
}

/** A message as the simulator stores it. */
export interface StoredMessage {
  id: string;
  channelId: string;
  author: ApiUser;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  nonce: string | number | null;
  editCount: number;
  mentions: MentionSet;
  createdAt: number;
  editedAt: number | null;
  /** Set for interaction responses and follow-ups (Discord sends them through the app's webhook). */
  webhookId: string | null;
  /** Message type: 0 default, 20 chat-input command response. */
  type: number;
  /** Uploaded files, in the order Discord lists them. */
  attachments: StoredAttachment[];
}

/** A channel (the incidents text channel, or a thread started from one of its messages). */
export interface StoredChannel {
  id: string;
  type: number;
  name: string;
  parentId: string | null;
  archived: boolean;
  locked: boolean;
  createdAt: number;
  archivedAt: number | null;
  /** Visible messages in order; ephemeral interaction responses never appear here. */
  messages: StoredMessage[];
  /** First message per nonce, for `enforce_nonce`. */
  nonces: Map<string, StoredMessage>;
  /** Permission overwrites (threads have none: they follow their parent). */
  overwrites: Overwrite[];
}

/** A guild role as the simulator keeps it. */
export interface StoredRole {
  id: string;
  name: string;
  permissions: bigint;
  mentionable: boolean;
  managed: boolean;
}

/** Who owns the guild, its roles' permissions, and the bot's membership: what permissions come from. */
export interface GuildAccess {
  ownerId: string;
  /** The bot is a member (false: it was never invited, or was kicked). */
  botInGuild: boolean;
  /** Roles the bot has besides its managed role. */
  botRoleIds: string[];
}

/** A registered guild command. */
export interface StoredCommand extends Record<string, unknown> {
  id: string;
  name: string;
}

/** A ping that rang at message creation. */
export interface Ring {
  messageId: string;
  channelId: string;
  kind: 'role' | 'user' | 'everyone';
  /** Role or user id; null for `@everyone`/`@here`. */
  id: string | null;
  /** The message had SUPPRESS_NOTIFICATIONS: mentioned, but no push. */
  suppressed: boolean;
  at: number;
}

/** Fields a message-like body may carry (validated beforehand). */
export interface MessageBody {
  content?: string | null;
  embeds?: unknown[] | null;
  components?: unknown[] | null;
  flags?: number | null;
  allowed_mentions?: AllowedMentions | null;
  nonce?: string | number | null;
  enforce_nonce?: boolean | null;
}

/** Construction options of the model. */
export interface ModelOptions {
  guildId: string;
  channelId: string;
  channelName: string;
  guildName: string;
  applicationId: string;
  botUserId: string;
  roles: Array<{ id: string; name: string; permissions?: bigint; mentionable?: boolean }>;
  /** @everyone's guild-wide permissions (default none). */
  everyonePermissions?: bigint;
  /** The bot's managed role's permissions (default Administrator: nothing is refused). */
  botPermissions?: bigint;
  botRoleIds?: string[];
  botInGuild?: boolean;
  /** The incidents channel's permission overwrites. */
  channelOverwrites?: Overwrite[];
  /** More channels in the guild (a voice channel is type 2, a category 4, a forum 15). */
  extraChannels?: Array<{ id: string; name: string; type: number; overwrites?: Overwrite[] }>;
  now: () => number;
}

/** The guild, its channels and the bot's application, plus id generation. */
export class DiscordModel {
  readonly channels = new Map<string, StoredChannel>();
  readonly messages = new Map<string, StoredMessage>();
  readonly rings: Ring[] = [];
  commands: StoredCommand[] = [];
  readonly bot: ApiUser;
  /** The bot's managed role (Administrator by default, so permission checks pass). */
  readonly botRoleId: string;
  /** Guild roles by id, @everyone (the guild's id) and the bot's managed role included. */
  readonly roles = new Map<string, StoredRole>();
  readonly access: GuildAccess;
  private lastId = 0n;

  constructor(readonly options: ModelOptions) {
    this.bot = { id: options.botUserId, username: 'stormguard', discriminator: '0', global_name: null, avatar: null, bot: true };
    const incidents = newChannel(options.channelId, CHANNEL_TEXT, options.channelName, null, options.now());
    incidents.overwrites = [...(options.channelOverwrites ?? [])];
    this.channels.set(options.channelId, incidents);
    for (const extra of options.extraChannels ?? []) {
      const channel = newChannel(extra.id, extra.type, extra.name, null, options.now());
      channel.overwrites = [...(extra.overwrites ?? [])];
      this.channels.set(extra.id, channel);
    }
    this.botRoleId = this.snowflake();
    const role = (id: string, name: string, permissions: bigint, mentionable: boolean, managed = false): [string, StoredRole] => [id, { id, name, permissions, mentionable, managed }];
    this.roles = new Map([
      role(options.guildId, '@everyone', options.everyonePermissions ?? 0n, false),
      role(this.botRoleId, 'stormguard', options.botPermissions ?? PERMISSION.ADMINISTRATOR, false, true),
      ...options.roles.map((r) => role(r.id, r.name, r.permissions ?? 0n, r.mentionable ?? true)),
    ]);
    this.access = { ownerId: '1', botInGuild: options.botInGuild ?? true, botRoleIds: [...(options.botRoleIds ?? [])] };
  }

  /** The bot's permissions in a channel or thread (a thread's are its parent's), as Discord computes them. */
  botPermissions(channel: StoredChannel): bigint {
    if (!this.access.botInGuild) return 0n;
    const parent = channel.parentId === null ? channel : (this.channels.get(channel.parentId) ?? channel);
    const rolePermissions = new Map([...this.roles].map(([id, r]) => [id, r.permissions]));
    return channelPermissions(
      { id: this.options.guildId, ownerId: this.access.ownerId, rolePermissions },
      { id: this.bot.id, roleIds: [this.botRoleId, ...this.access.botRoleIds] },
      parent.overwrites,
    );
  }

  now(): number {
    return this.options.now();
  }

  /** A fresh snowflake: time-ordered like Discord's, strictly increasing even with a frozen clock. */
  snowflake(): string {
    const fromClock = (BigInt(Math.max(0, this.now())) - DISCORD_EPOCH) << 22n;
    this.lastId = fromClock > this.lastId ? fromClock : this.lastId + 1n;
    return this.lastId.toString();
  }

  /** Adds a message; `body` is already validated. Pings are computed here, once, at creation. */
  addMessage(channel: StoredChannel, body: MessageBody, author: ApiUser, extra: { webhookId?: string; type?: number; attachments?: StoredAttachment[] } = {}): StoredMessage {
    const flags = body.flags ?? 0;
    const content = body.content ?? '';
    const message: StoredMessage = {
      id: this.snowflake(),
      channelId: channel.id,
      author,
      content,
      embeds: body.embeds ?? [],
      components: body.components ?? [],
      flags,
      nonce: body.nonce ?? null,
      editCount: 0,
      mentions: this.pingable(channel, author, extra.webhookId, resolveMentions(content, body.allowed_mentions, flags)),
      createdAt: this.now(),
      editedAt: null,
      webhookId: extra.webhookId ?? null,
      type: extra.type ?? 0,
      attachments: extra.attachments ?? [],
    };
    this.messages.set(message.id, message);
    if ((flags & EPHEMERAL) === 0) {
      channel.messages.push(message);
      this.ring(message);
    }
    if (body.nonce !== undefined && body.nonce !== null && !channel.nonces.has(nonceKey(body.nonce)))
      channel.nonces.set(nonceKey(body.nonce), message);
    return message;
  }

  /**
   * What the author may actually ping: the bot pings @everyone and roles that are not mentionable
   * only with Mention Everyone in the channel (interaction responses are not checked).
   */
  private pingable(channel: StoredChannel, author: ApiUser, webhookId: string | undefined, mentions: MentionSet): MentionSet {
    if (author.id !== this.bot.id || webhookId !== undefined) return mentions;
    if ((this.botPermissions(channel) & PERMISSION.MENTION_EVERYONE) !== 0n) return mentions;
    return { ...mentions, everyone: false, roles: mentions.roles.filter((id) => this.roles.get(id)?.mentionable === true) };
  }

  /** The first message created in `channel` with this nonce, if any. */
  byNonce(channel: StoredChannel, nonce: string | number): StoredMessage | undefined {
    return channel.nonces.get(nonceKey(nonce));
  }

  /** Applies an edit; fields absent from `body` stay (attachments: `undefined` keeps them), and an edit never pings. */
  editMessage(message: StoredMessage, body: MessageBody, attachments?: StoredAttachment[]): void {
    if (attachments !== undefined) message.attachments = attachments;
    if (body.content !== undefined) message.content = body.content ?? '';
    if (body.embeds !== undefined) message.embeds = body.embeds ?? [];
    if (body.components !== undefined) message.components = body.components ?? [];
    // Only SUPPRESS_EMBEDS (4) can be changed by an edit; other flags are kept.
    if (body.flags !== undefined && body.flags !== null) message.flags = (message.flags & ~4) | (body.flags & 4);
    message.editCount++;
    message.editedAt = this.now();
  }

  /** Starts a public thread on `message`; the thread's id is the message's id, as in Discord. */
  startThread(parent: StoredChannel, message: StoredMessage, name: string): StoredChannel {
    const thread = newChannel(message.id, CHANNEL_PUBLIC_THREAD, name, parent.id, this.now());
    this.channels.set(thread.id, thread);
    return thread;
  }

  /** Replaces the guild's commands, keeping the id of a command whose name is unchanged. */
  overwriteCommands(bodies: Array<Record<string, unknown>>): StoredCommand[] {
    const old = new Map(this.commands.map((c) => [c.name, c.id]));
    this.commands = bodies.map((body) => {
      const name = String(body['name']);
      return {
        id: old.get(name) ?? this.snowflake(),
        application_id: this.options.applicationId,
        guild_id: this.options.guildId,
        version: this.snowflake(),
        type: 1,
        description: '',
        default_member_permissions: null,
        dm_permission: true,
        nsfw: false,
        options: [],
        ...body,
        name,
      };
    });
    return this.commands;
  }

  private ring(message: StoredMessage): void {
    const { mentions } = message;
    const base = { messageId: message.id, channelId: message.channelId, suppressed: mentions.suppressed, at: message.createdAt };
    if (mentions.everyone) this.rings.push({ ...base, kind: 'everyone', id: null });
    for (const id of mentions.roles) this.rings.push({ ...base, kind: 'role', id });
    for (const id of mentions.users) this.rings.push({ ...base, kind: 'user', id });
  }

  /** The message as `GET /channels/{c}/messages/{m}` returns it. */
  apiMessage(m: StoredMessage): Record<string, unknown> {
    const thread = this.channels.get(m.id);
    return {
      id: m.id,
      type: m.type,
      channel_id: m.channelId,
      guild_id: this.options.guildId,
      author: m.author,
      content: m.content,
      timestamp: iso(m.createdAt),
      edited_timestamp: m.editedAt === null ? null : iso(m.editedAt),
      tts: false,
      mention_everyone: m.mentions.everyone,
      mentions: m.mentions.users.map((id) => ({ id, username: `user-${id}`, discriminator: '0', global_name: null, avatar: null })),
      mention_roles: m.mentions.roles,
      attachments: m.attachments.map((a) => apiAttachment(a, m.channelId)),
      embeds: m.embeds,
      components: m.components,
      pinned: false,
      flags: m.flags | (thread ? 32 : 0),
      ...(m.nonce !== null ? { nonce: m.nonce } : {}),
      ...(m.webhookId ? { webhook_id: m.webhookId, application_id: this.options.applicationId } : {}),
      ...(thread && thread.id !== m.channelId ? { thread: this.apiChannel(thread) } : {}),
    };
  }

  /** The channel or thread object. */
  apiChannel(c: StoredChannel): Record<string, unknown> {
    const last = c.messages.at(-1)?.id ?? null;
    const common = { id: c.id, type: c.type, guild_id: this.options.guildId, name: c.name, last_message_id: last, rate_limit_per_user: 0, flags: 0 };
    if (c.type !== CHANNEL_PUBLIC_THREAD) {
      return { ...common, position: 0, permission_overwrites: c.overwrites.map(apiOverwrite), parent_id: null, topic: null, nsfw: false };
    }
    return {
      ...common,
      parent_id: c.parentId,
      owner_id: this.bot.id,
      message_count: c.messages.length,
      total_message_sent: c.messages.length,
      member_count: 1,
      thread_metadata: {
        archived: c.archived,
        locked: c.locked,
        auto_archive_duration: 1440,
        archive_timestamp: iso(c.archivedAt ?? c.createdAt),
        create_timestamp: iso(c.createdAt),
      },
    };
  }

  /** The bot's guild member object. */
  botMember(): Record<string, unknown> {
    return { user: this.bot, roles: [this.botRoleId, ...this.access.botRoleIds], joined_at: iso(0), deaf: false, mute: false, flags: 0, pending: false, nick: null, avatar: null, premium_since: null, communication_disabled_until: null };
  }

  /** The guild's roles as `GET /guilds/{id}/roles` and GUILD_CREATE return them. */
  apiRoles(): Array<Record<string, unknown>> {
    return [...this.roles.values()].map((r, position) => ({
      id: r.id, name: r.name, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false, icon: null,
      unicode_emoji: null, position, permissions: r.permissions.toString(), managed: r.managed, mentionable: r.mentionable, flags: 0,
      // A bot's managed role names the bot, as Discord's does (discord.js finds `botRole` by it).
      ...(r.id === this.botRoleId ? { tags: { bot_id: this.bot.id } } : {}),
    }));
  }

  /** The bot's application object (READY and `GET /applications/@me`). */
  apiApplication(): Record<string, unknown> {
    return { id: this.options.applicationId, name: 'stormguard', flags: 0, bot_public: false, bot_require_code_grant: false, description: '', icon: null, bot: this.bot };
  }

  /** The GUILD_CREATE payload: what discord.js needs to cache the guild, its roles and channels. */
  guildCreate(): Record<string, unknown> {
    const { guildId, guildName, roles } = this.options;
    const channels = [...this.channels.values()];
    return {
      id: guildId, name: guildName, icon: null, splash: null, discovery_splash: null, banner: null, description: null,
      owner_id: this.access.ownerId, afk_channel_id: null, afk_timeout: 300, verification_level: 0, default_message_notifications: 1,
      explicit_content_filter: 0, mfa_level: 0, nsfw_level: 0, premium_tier: 0, premium_subscription_count: 0,
      system_channel_id: null, system_channel_flags: 0, rules_channel_id: null, public_updates_channel_id: null,
      safety_alerts_channel_id: null, vanity_url_code: null, preferred_locale: 'en-US', features: [],
      max_members: 500000, max_video_channel_users: 25, application_id: null, widget_enabled: false,
      premium_progress_bar_enabled: false, joined_at: iso(0), large: false, unavailable: false,
      member_count: 2 + roles.length,
      roles: this.apiRoles(),
      emojis: [], stickers: [], voice_states: [], presences: [], stage_instances: [], guild_scheduled_events: [], soundboard_sounds: [],
      members: [this.botMember()],
      channels: channels.filter((c) => c.type !== CHANNEL_PUBLIC_THREAD).map((c) => this.apiChannel(c)),
      // Only active threads arrive with the guild, as in Discord; archived ones must be fetched.
      threads: channels.filter((c) => c.type === CHANNEL_PUBLIC_THREAD && !c.archived).map((c) => this.apiChannel(c)),
    };
  }
}

function newChannel(id: string, type: number, name: string, parentId: string | null, at: number): StoredChannel {
  return { id, type, name, parentId, archived: false, locked: false, createdAt: at, archivedAt: null, messages: [], nonces: new Map(), overwrites: [] };
}

function apiOverwrite(o: Overwrite): Record<string, unknown> {
  return { id: o.id, type: o.type, allow: o.allow.toString(), deny: o.deny.toString() };
}

function nonceKey(nonce: string | number): string {
  return `${typeof nonce}:${nonce}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
