/**
 * A Discord REST + gateway simulator for tests and `stormguard demo`: the real discord.js 14 client
 * logs in to it over loopback (`rest: { api: apiUrl }`), receives READY/GUILD_CREATE and
 * INTERACTION_CREATE, and its every request body is checked against Discord's official OpenAPI
 * schema (strict). Simulated people run slash commands, click buttons and type into autocomplete;
 * views show the channel as a person would see it, including who was actually pinged.
 */
import type { GatewayStats } from './gateway.js';
import { Gateway, INTENT } from './gateway.js';
import {
  basePayload,
  commandOptions,
  newRecord,
  type InteractionRecord,
  type InteractionResult,
  type SimActor,
  type SimCommandOptions,
} from './interactions.js';
import { DiscordModel, type Ring, type StoredCommand } from './model.js';
import type { Overwrite } from './permissions.js';
import type { RestContext, Violation } from './rest.js';
import { DiscordHttpServer, type DiscordRequestRecord, type RestFaults } from './server.js';
import { channelView, renderChannel, type SimChannelView } from './views.js';

export type { GatewayStats, InteractionResult, SimActor, SimCommandOptions, Ring, StoredCommand, Violation, DiscordRequestRecord };
export type { VisibleReply, CallbackRecord } from './interactions.js';
export type { MentionSet } from './mentions.js';
export type { StoredAttachment, UploadedFile } from './attachments.js';
export { MAX_ATTACHMENTS, MAX_FILE_BYTES } from './attachments.js';
export type { SimChannelView, SimMessageView, SimThreadView, SimThreadMessageView } from './views.js';
export type { BodyIssue, Operation } from './validate.js';
export { renderChannel } from './views.js';
export { PERMISSION, channelPermissions, type Overwrite } from './permissions.js';

/** Options of `createDiscordSimulator`. */
export interface DiscordSimulatorOptions {
  guildId: string;
  /** The incidents text channel. */
  channelId: string;
  botToken: string;
  applicationId?: string;
  botUserId?: string;
  /** Guild roles besides `@everyone` and the bot's own (permissions default to none, mentionable to true). */
  roles?: Array<{ id: string; name: string; permissions?: bigint; mentionable?: boolean }>;
  /** @everyone's guild-wide permissions (default none). */
  everyonePermissions?: bigint;
  /** The bot's managed role's permissions (default Administrator, so nothing is refused). */
  botPermissions?: bigint;
  /** Roles of `roles` the bot also has. */
  botRoleIds?: string[];
  /** False: the bot was never invited (READY lists no guild; guild and channel routes answer 50001). */
  botInGuild?: boolean;
  /** The incidents channel's permission overwrites. */
  channelOverwrites?: Overwrite[];
  /** More channels in the guild, e.g. a voice channel (type 2) someone put in `channelId` by mistake. */
  extraChannels?: Array<{ id: string; name: string; type: number; overwrites?: Overwrite[] }>;
  channelName?: string;
  guildName?: string;
  /** Clock for timestamps, snowflakes and the request log (default `Date.now`). */
  now?: () => number;
  /** HELLO's heartbeat interval (default 41250, Discord's). */
  heartbeatIntervalMs?: number;
  /** Real milliseconds the bot has to acknowledge an interaction (default 3000, Discord's). */
  answerDeadlineMs?: number;
  /** How long `slashCommand`/`clickButton`/`autocomplete` wait for a settled answer (default 5000). */
  replyTimeoutMs?: number;
}

/** Who interacts, and where (default: the incidents channel of the configured guild). */
interface Where {
  user: SimActor;
  /** A channel or thread id. */
  channelId?: string;
  /** `null` makes it a DM. */
  guildId?: string | null;
}

/** The running simulator and its test/demo API. */
export interface DiscordSimulator {
  /** Listens on 127.0.0.1; `apiUrl` goes into discord.js's `rest.api`. */
  start(): Promise<{ apiUrl: string; gatewayUrl: string }>;
  stop(): Promise<void>;

  /**
   * Dispatches a chat-input command and resolves once it is answered for good: a reply, or a
   * deferral followed by an edit of the original response or a follow-up.
   */
  slashCommand(o: Where & { name: string; options?: SimCommandOptions }): Promise<InteractionResult>;
  /** Clicks a button (component type 2) on a message the bot posted; resolves like `slashCommand`. */
  clickButton(o: Where & { customId: string; messageId: string }): Promise<InteractionResult>;
  /** Types into an autocomplete option; resolves with the choices the bot offered. */
  autocomplete(
    o: Where & { name: string; focused: { name: string; value: string }; options?: SimCommandOptions },
  ): Promise<Array<{ name: string; value: string | number }>>;

  /**
   * The next `n` message bodies with embed fields are refused with 400 50035 naming
   * `embeds.0.fields.0.value`, as if Discord enforced a limit stormguard does not know.
   */
  refuseFieldBodies(n: number): void;
  /**
   * Replaces a channel's permission overwrites (default: the incidents channel), e.g. to take Send
   * Messages away and give it back; a logged-in bot with the GUILDS intent gets CHANNEL_UPDATE.
   */
  setChannelOverwrites(overwrites: Overwrite[], channelId?: string): void;
  /** Changes a role's guild-wide permissions (the guild's id is `@everyone`); the bot gets GUILD_ROLE_UPDATE (GUILDS intent). */
  setRolePermissions(roleId: string, permissions: bigint): void;
  /** Sets which of the guild's roles the bot has besides its managed role; the bot gets GUILD_MEMBER_UPDATE of itself (no intent needed). */
  setBotRoles(roleIds: string[]): void;
  /** The next `n` REST requests fail with `status` (default 500) before reaching any route. */
  failNext(n: number, status?: number): void;
  /**
   * While set, every request for the incidents channel (its messages, its threads) is refused with this
   * status and JSON error code, as Discord refuses a bot it turned away (403 40004, 20001…); null lifts it.
   */
  refuseChannel(refusal: { status: number; code: number; message: string } | null): void;
  /** The next `n` REST requests get a per-route 429 telling the client to wait `retryAfterSeconds`. */
  rateLimitNext(n: number, retryAfterSeconds: number): void;
  /** While down, every REST connection is destroyed without an answer. */
  setRestDown(down: boolean): void;
  /** Real-time delay before each REST answer. */
  setLatency(ms: number): void;
  /** Kills the gateway connection (1006) or closes it with `code`; discord.js resumes. */
  dropGateway(options?: { code?: number }): void;
  /** While down, the gateway connection dies and new handshakes are refused. */
  setGatewayDown(down: boolean): void;
  /** Resolves once the bot holds a live gateway session (READY or RESUMED sent). */
  waitForGateway(): Promise<void>;
  readonly gateway: GatewayStats;

  /** A channel or thread as a person sees it (default: the incidents channel). */
  channel(channelId?: string): SimChannelView;
  /** Plain text of a channel view (default: the incidents channel). */
  render(view?: SimChannelView): string;
  /** Every ping at message creation, anywhere, in order. */
  allMentions(): Ring[];
  /** Every REST request, in order. */
  readonly requests: DiscordRequestRecord[];
  /** Calls `listener` right after each REST answer is written (its effect is real); returns an unsubscribe. */
  onAnswered(listener: (request: DiscordRequestRecord) => void): () => void;
  /** Requests matching the filter (a path string matches as a prefix). */
  countRequests(filter?: RequestFilter): number;
  resetRequests(): void;
  /** Request bodies that failed validation; tests assert this stays empty. */
  readonly violations: Violation[];
  /** The guild commands as last registered. */
  readonly commands: StoredCommand[];
  /** Every interaction dispatched, with how it was answered. */
  readonly interactions: InteractionResult[];
}

/** Which requests `countRequests` counts. */
export type RequestFilter =
  | { method?: string; path?: string | RegExp; status?: number }
  | ((request: DiscordRequestRecord) => boolean);

/** Creates a simulator; call `start()` to listen. */
export function createDiscordSimulator(options: DiscordSimulatorOptions): DiscordSimulator {
  const model = new DiscordModel({
    guildId: options.guildId,
    channelId: options.channelId,
    channelName: options.channelName ?? 'incidents',
    guildName: options.guildName ?? 'homelab',
    applicationId: options.applicationId ?? '1100000000000000001',
    botUserId: options.botUserId ?? options.applicationId ?? '1100000000000000001',
    roles: options.roles ?? [],
    now: options.now ?? Date.now,
    ...(options.everyonePermissions !== undefined ? { everyonePermissions: options.everyonePermissions } : {}),
    ...(options.botPermissions !== undefined ? { botPermissions: options.botPermissions } : {}),
    ...(options.botRoleIds ? { botRoleIds: options.botRoleIds } : {}),
    ...(options.botInGuild !== undefined ? { botInGuild: options.botInGuild } : {}),
    ...(options.channelOverwrites ? { channelOverwrites: options.channelOverwrites } : {}),
    ...(options.extraChannels ? { extraChannels: options.extraChannels } : {}),
  });
  const records = new Map<string, InteractionRecord>();
  const violations: Violation[] = [];
  const requests: DiscordRequestRecord[] = [];
  const faults: RestFaults = {
    down: false,
    latencyMs: 0,
    failNext: { count: 0, status: 500 },
    rateLimitNext: { count: 0, retryAfterSeconds: 1 },
    refuseChannel: null,
  };
  const gateway = new Gateway({ model, botToken: options.botToken, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250 });
  const ctx: RestContext = {
    model,
    interactions: records,
    violations,
    gatewayUrl: () => gateway.url(),
    answerDeadlineMs: options.answerDeadlineMs ?? 3000,
    refuseFieldBodies: 0,
  };
  const http = new DiscordHttpServer(ctx, gateway, faults, requests, options.botToken);
  const replyTimeoutMs = options.replyTimeoutMs ?? 5000;

  const place = (o: Where) => {
    const guildId = o.guildId === undefined ? options.guildId : o.guildId;
    const channelId = o.channelId ?? (guildId === null ? model.snowflake() : options.channelId);
    const channel = guildId === null ? null : (model.channels.get(channelId) ?? null);
    return { guildId, channelId, channel };
  };

  const settled = (record: InteractionRecord): Promise<InteractionResult> =>
    new Promise((resolve, reject) => {
      if (record.settled) return resolve(record.view);
      const timer = setTimeout(() => {
        const seen = record.callbacks.map((c) => c.type).join(', ') || 'none';
        reject(new Error(`discord simulator: ${record.kind} "${record.name}" not answered within ${replyTimeoutMs}ms (callbacks: ${seen})`));
      }, replyTimeoutMs);
      record.onSettled.push(() => {
        clearTimeout(timer);
        resolve(record.view);
      });
    });

  const launch = (record: InteractionRecord, payload: Record<string, unknown>): Promise<InteractionResult> => {
    records.set(record.token, record);
    gateway.dispatch('INTERACTION_CREATE', payload);
    return settled(record);
  };

  const commandData = (name: string, opts: SimCommandOptions | undefined, guildId: string | null, extra: unknown[] = []) => {
    const registered = model.commands.find((c) => c.name === name);
    const list = [...commandOptions(model, name, opts), ...extra];
    return { id: registered?.id ?? model.snowflake(), name, type: 1, ...(guildId ? { guild_id: guildId } : {}), options: list };
  };

  return {
    async start() {
      const origin = await http.start();
      gateway.setOrigin(origin);
      return { apiUrl: `${origin}/api`, gatewayUrl: gateway.url() };
    },
    async stop() {
      await http.stop();
    },

    slashCommand(o) {
      const where = place(o);
      const record = newRecord(model, 'command', o.name, o.user.id, where.channelId);
      const payload = { ...basePayload(model, record, 2, o.user, where.channel, where.guildId), data: commandData(o.name, o.options, where.guildId) };
      return launch(record, payload);
    },
    clickButton(o) {
      const message = model.messages.get(o.messageId);
      if (!message) throw new Error(`discord simulator: no message ${o.messageId}`);
      const where = place({ ...o, channelId: o.channelId ?? message.channelId });
      const record = newRecord(model, 'button', o.customId, o.user.id, where.channelId, message);
      const payload = {
        ...basePayload(model, record, 3, o.user, where.channel, where.guildId),
        data: { custom_id: o.customId, component_type: 2 },
        message: model.apiMessage(message),
      };
      return launch(record, payload);
    },
    async autocomplete(o) {
      const where = place(o);
      const record = newRecord(model, 'autocomplete', o.name, o.user.id, where.channelId);
      const focusedType = commandOptions(model, o.name, { [o.focused.name]: o.focused.value })[0]?.['type'] ?? 3;
      const focused = { name: o.focused.name, type: focusedType, value: o.focused.value, focused: true };
      const data = commandData(o.name, o.options, where.guildId, [focused]);
      const result = await launch(record, { ...basePayload(model, record, 4, o.user, where.channel, where.guildId), data });
      return result.choices ?? [];
    },

    refuseFieldBodies(n) {
      ctx.refuseFieldBodies = n;
    },
    setChannelOverwrites(overwrites, channelId = options.channelId) {
      const channel = model.channels.get(channelId);
      if (!channel) throw new Error(`discord simulator: no channel ${channelId}`);
      channel.overwrites = [...overwrites];
      gateway.dispatchGuildEvent('CHANNEL_UPDATE', model.apiChannel(channel), INTENT.guilds);
    },
    setRolePermissions(roleId, permissions) {
      const role = model.roles.get(roleId);
      if (!role) throw new Error(`discord simulator: no role ${roleId}`);
      role.permissions = permissions;
      const apiRole = model.apiRoles().find((r) => r['id'] === roleId);
      gateway.dispatchGuildEvent('GUILD_ROLE_UPDATE', { guild_id: options.guildId, role: apiRole }, INTENT.guilds);
    },
    setBotRoles(roleIds) {
      const unknown = roleIds.filter((id) => !model.roles.has(id) || id === options.guildId || id === model.botRoleId);
      if (unknown.length > 0) throw new Error(`discord simulator: cannot give the bot roles ${unknown.join(', ')}`);
      model.access.botRoleIds = [...roleIds];
      gateway.dispatchGuildEvent('GUILD_MEMBER_UPDATE', { guild_id: options.guildId, ...model.botMember() }, null);
    },
    failNext(n, status = 500) {
      faults.failNext = { count: n, status };
    },
    refuseChannel(refusal) {
      faults.refuseChannel = refusal ? { channelId: options.channelId, ...refusal } : null;
    },
    rateLimitNext(n, retryAfterSeconds) {
      faults.rateLimitNext = { count: n, retryAfterSeconds };
    },
    setRestDown(down) {
      faults.down = down;
    },
    setLatency(ms) {
      faults.latencyMs = ms;
    },
    dropGateway(o = {}) {
      gateway.drop(o.code);
    },
    setGatewayDown(down) {
      gateway.setDown(down);
    },
    waitForGateway() {
      return gateway.whenConnected();
    },
    get gateway() {
      return gateway.stats;
    },

    channel(channelId = options.channelId) {
      const channel = model.channels.get(channelId);
      if (!channel) throw new Error(`discord simulator: no channel ${channelId}`);
      return channelView(model, channel);
    },
    render(view) {
      return renderChannel(view ?? this.channel());
    },
    allMentions() {
      return [...model.rings];
    },
    requests,
    onAnswered(listener) {
      http.answered.add(listener);
      return () => void http.answered.delete(listener);
    },
    countRequests(filter = {}) {
      return requests.filter((r) => matches(r, filter)).length;
    },
    resetRequests() {
      requests.length = 0;
    },
    violations,
    get commands() {
      return model.commands;
    },
    get interactions() {
      return [...records.values()].map((r) => r.view);
    },
  };
}

function matches(r: DiscordRequestRecord, filter: RequestFilter): boolean {
  if (typeof filter === 'function') return filter(r);
  if (filter.method !== undefined && r.method !== filter.method.toUpperCase()) return false;
  if (filter.status !== undefined && r.status !== filter.status) return false;
  if (typeof filter.path === 'string' && !r.path.startsWith(filter.path)) return false;
  if (filter.path instanceof RegExp && !filter.path.test(r.path)) return false;
  return true;
}
