/**
 * The REST routes under `/api/v10`: messages, threads, interaction callbacks and webhooks, guild
 * commands and the gateway/identity look-ups discord.js makes. Every body is validated before it
 * can change state; errors carry Discord's JSON error codes.
 */
import { resolveAttachments, type StoredAttachment, type UploadedFile } from './attachments.js';
import { settle, type InteractionRecord } from './interactions.js';
import {
  CHANNEL_PUBLIC_THREAD,
  type DiscordModel,
  type MessageBody,
  type StoredChannel,
  type StoredMessage,
} from './model.js';
import { PERMISSION } from './permissions.js';
import { formErrors, isRecord, validateBody, type BodyIssue, type Operation } from './validate.js';

/** A request body that failed validation. */
export interface Violation {
  method: string;
  path: string;
  operation: Operation;
  issues: BodyIssue[];
}

/** A request after the HTTP layer: path relative to `/api/v10`, percent-decoded per segment. */
export interface RestRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** The `files[n]` parts of a multipart body; empty for a JSON body. */
  files: readonly UploadedFile[];
}

/** What to answer; a `body` of undefined means 204 No Content. */
export interface RestReply {
  status: number;
  body?: unknown;
}

/** What the routes read and change. */
export interface RestContext {
  model: DiscordModel;
  interactions: Map<string, InteractionRecord>;
  violations: Violation[];
  gatewayUrl(): string;
  /** Discord forgets an interaction not answered within this many real milliseconds. */
  answerDeadlineMs: number;
  /** Message bodies with fields still to refuse as if a limit stormguard does not know was broken. */
  refuseFieldBodies: number;
}

const EPHEMERAL = 64;
const LOADING = 128;

type Handler = (ctx: RestContext, req: RestRequest, params: string[]) => RestReply;

/** True for routes Discord authenticates by the token in the path instead of `Authorization`. */
export function isTokenRoute(path: string): boolean {
  return path.startsWith('/interactions/') || /^\/webhooks\/[^/]+\/[^/]+/.test(path);
}

/** Routes one request; unknown routes answer Discord's 404. */
export function handleRest(ctx: RestContext, req: RestRequest): RestReply {
  for (const [method, pattern, handler] of routes) {
    if (method !== req.method) continue;
    const match = pattern.exec(req.path);
    if (match) return handler(ctx, req, match.slice(1));
  }
  return fail(404, 0, '404: Not Found');
}

/** Discord's JSON error. */
export function fail(status: number, code: number, message: string, extra: Record<string, unknown> = {}): RestReply {
  return { status, body: { code, message, ...extra } };
}

const ok = (body: unknown): RestReply => ({ status: 200, body });
const unknownChannel = () => fail(404, 10003, 'Unknown Channel');
const unknownMessage = () => fail(404, 10008, 'Unknown Message');
const archivedThread = () => fail(400, 50083, 'Operation cannot be performed on an archived thread');

/** Validates the body; on failure records the violation and returns Discord's 50035 answer. */
function invalid(ctx: RestContext, req: RestRequest, operation: Operation): RestReply | null {
  const issues = validateBody(operation, req.body);
  if (issues.length === 0 && ctx.refuseFieldBodies > 0 && hasEmbedFields(req.body)) {
    // A fault, not the bot's mistake: it is not recorded as a violation.
    ctx.refuseFieldBodies--;
    return fail(400, 50035, 'Invalid Form Body', { errors: formErrors([{ path: 'embeds.0.fields.0.value', code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 1024 or fewer in length.' }]) });
  }
  if (issues.length === 0) return null;
  ctx.violations.push({ method: req.method, path: req.path, operation, issues });
  return fail(400, 50035, 'Invalid Form Body', { errors: formErrors(issues) });
}

/**
 * What a message-like body leaves attached (see `resolveAttachments`); a bad reference is recorded
 * as a violation and answered with Discord's 50035, like any other invalid body.
 */
function attach(
  ctx: RestContext,
  req: RestRequest,
  operation: Operation,
  body: unknown,
  existing: readonly StoredAttachment[],
  prefix = '',
): { attachments: StoredAttachment[] | undefined } | RestReply {
  const result = resolveAttachments(body, req.files, existing, () => ctx.model.snowflake(), prefix);
  if (result.ok) return { attachments: result.attachments };
  ctx.violations.push({ method: req.method, path: req.path, operation, issues: result.issues });
  return fail(400, 50035, 'Invalid Form Body', { errors: formErrors(result.issues) });
}

const refused = (r: { attachments: StoredAttachment[] | undefined } | RestReply): r is RestReply => 'status' in r;

function hasEmbedFields(body: unknown): boolean {
  const embeds = isRecord(body) ? body['embeds'] : undefined;
  return Array.isArray(embeds) && embeds.some((e: unknown) => isRecord(e) && Array.isArray(e['fields']) && e['fields'].length > 0);
}

function channelOf(ctx: RestContext, id: string | undefined): StoredChannel | undefined {
  return id === undefined ? undefined : ctx.model.channels.get(id);
}

const missingAccess = () => fail(403, 50001, 'Missing Access');
const missingPermissions = () => fail(403, 50013, 'Missing Permissions');

/**
 * Discord's refusal when the bot lacks `needed` in `channel`: 50001 Missing Access when it cannot
 * even see the channel (or is not in the guild), 50013 Missing Permissions otherwise; null when allowed.
 */
function refusal(ctx: RestContext, channel: StoredChannel, needed: bigint = 0n): RestReply | null {
  const granted = ctx.model.botPermissions(channel);
  if ((granted & PERMISSION.VIEW_CHANNEL) === 0n) return missingAccess();
  return (granted & needed) === needed ? null : missingPermissions();
}

const inThread = (channel: StoredChannel) => channel.type === CHANNEL_PUBLIC_THREAD;

function messageIn(ctx: RestContext, channel: StoredChannel, id: string | undefined): StoredMessage | undefined {
  const m = id === undefined ? undefined : ctx.model.messages.get(id);
  return m && m.channelId === channel.id ? m : undefined;
}

function isEmpty(body: MessageBody & Record<string, unknown>, attachments: readonly StoredAttachment[] | undefined): boolean {
  const none = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
  return none(body.content) && none(body.embeds) && none(body.components) && none(body['sticker_ids']) && none(body['poll']) && none(attachments);
}

const createMessage: Handler = (ctx, req, [channelId]) => {
  const channel = channelOf(ctx, channelId);
  if (!channel) return unknownChannel();
  const denied = refusal(ctx, channel, inThread(channel) ? PERMISSION.SEND_MESSAGES_IN_THREADS : PERMISSION.SEND_MESSAGES);
  if (denied) return denied;
  const bad = invalid(ctx, req, 'createMessage');
  if (bad) return bad;
  const body = req.body as MessageBody & Record<string, unknown>;
  if (channel.archived) return archivedThread();
  const files = attach(ctx, req, 'createMessage', body, []);
  if (refused(files)) return files;
  if (isEmpty(body, files.attachments)) return fail(400, 50006, 'Cannot send an empty message');
  if (body.enforce_nonce === true && body.nonce !== undefined && body.nonce !== null) {
    const first = ctx.model.byNonce(channel, body.nonce);
    if (first) return ok(ctx.model.apiMessage(first));
  }
  return ok(ctx.model.apiMessage(ctx.model.addMessage(channel, body, ctx.model.bot, { ...files })));
};

const listMessages: Handler = (ctx, req, [channelId]) => {
  const channel = channelOf(ctx, channelId);
  if (!channel) return unknownChannel();
  const denied = refusal(ctx, channel);
  if (denied) return denied;
  // Without Read Message History Discord answers with an empty list, not an error.
  if ((ctx.model.botPermissions(channel) & PERMISSION.READ_MESSAGE_HISTORY) === 0n) return ok([]);
  const limit = Math.min(100, Math.max(1, Number(req.query.get('limit') ?? 50) || 50));
  // Discord lists newest first.
  return ok(channel.messages.slice(-limit).reverse().map((m) => ctx.model.apiMessage(m)));
};

const getMessage: Handler = (ctx, _req, [channelId, messageId]) => {
  const channel = channelOf(ctx, channelId);
  if (!channel) return unknownChannel();
  const denied = refusal(ctx, channel, PERMISSION.READ_MESSAGE_HISTORY);
  if (denied) return denied;
  const message = messageIn(ctx, channel, messageId);
  return message ? ok(ctx.model.apiMessage(message)) : unknownMessage();
};

const editMessage: Handler = (ctx, req, [channelId, messageId]) => {
  const channel = channelOf(ctx, channelId);
  if (!channel) return unknownChannel();
  const denied = refusal(ctx, channel);
  if (denied) return denied;
  const message = messageIn(ctx, channel, messageId);
  if (!message) return unknownMessage();
  const bad = invalid(ctx, req, 'editMessage');
  if (bad) return bad;
  if (channel.archived) return archivedThread();
  if (message.author.id !== ctx.model.bot.id) return fail(403, 50005, 'Cannot edit a message authored by another user');
  const files = attach(ctx, req, 'editMessage', req.body, message.attachments);
  if (refused(files)) return files;
  ctx.model.editMessage(message, req.body as MessageBody, files.attachments);
  return ok(ctx.model.apiMessage(message));
};

const startThread: Handler = (ctx, req, [channelId, messageId]) => {
  const channel = channelOf(ctx, channelId);
  if (!channel) return unknownChannel();
  const denied = refusal(ctx, channel, PERMISSION.CREATE_PUBLIC_THREADS);
  if (denied) return denied;
  const message = messageIn(ctx, channel, messageId);
  if (!message) return unknownMessage();
  const bad = invalid(ctx, req, 'startThread');
  if (bad) return bad;
  if (channel.type === CHANNEL_PUBLIC_THREAD) return fail(400, 50024, 'Cannot execute action on this channel type');
  if (ctx.model.channels.has(message.id)) return fail(400, 160004, 'A thread has already been created for this message');
  const thread = ctx.model.startThread(channel, message, String((req.body as Record<string, unknown>)['name']));
  return { status: 201, body: ctx.model.apiChannel(thread) };
};

const getChannel: Handler = (ctx, _req, [channelId]) => {
  const channel = channelOf(ctx, channelId);
  if (!channel) return unknownChannel();
  return refusal(ctx, channel) ?? ok(ctx.model.apiChannel(channel));
};

const modifyThreadNeeds = (channel: StoredChannel, body: { archived?: boolean | null; locked?: boolean | null }): bigint =>
  // Archiving a thread someone else started, and any locking, need Manage Threads; the bot owns its threads.
  typeof body.locked === 'boolean' && body.locked !== channel.locked ? PERMISSION.MANAGE_THREADS : 0n;

/** `GET /guilds/{id}`, `/roles`, `/members/{user}`: only for a guild the bot is in. */
const guildRoute = (answer: (ctx: RestContext, params: string[]) => RestReply): Handler =>
  (ctx, _req, [guildId, ...rest]) => {
    if (guildId !== ctx.model.options.guildId) return fail(404, 10004, 'Unknown Guild');
    if (!ctx.model.access.botInGuild) return missingAccess();
    return answer(ctx, rest);
  };

const modifyChannel: Handler = (ctx, req, [channelId]) => {
  const channel = channelOf(ctx, channelId);
  if (!channel) return unknownChannel();
  if (channel.type !== CHANNEL_PUBLIC_THREAD) return fail(400, 50024, 'Cannot execute action on this channel type');
  const bad = invalid(ctx, req, 'modifyChannel');
  if (bad) return bad;
  const body = req.body as { archived?: boolean | null; locked?: boolean | null; name?: string | null };
  const denied = refusal(ctx, channel, modifyThreadNeeds(channel, body));
  if (denied) return denied;
  if (typeof body.name === 'string') channel.name = body.name;
  if (typeof body.locked === 'boolean') channel.locked = body.locked;
  if (typeof body.archived === 'boolean' && body.archived !== channel.archived) {
    channel.archived = body.archived;
    channel.archivedAt = ctx.model.now();
  }
  return ok(ctx.model.apiChannel(channel));
};

function interaction(ctx: RestContext, id: string | undefined, token: string | undefined): InteractionRecord | undefined {
  const record = token === undefined ? undefined : ctx.interactions.get(token);
  return record && (id === undefined || record.id === id) ? record : undefined;
}

const allowedCallbacks: Record<InteractionRecord['kind'], number[]> = {
  command: [4, 5, 9],
  button: [4, 5, 6, 7, 9],
  autocomplete: [8],
};

const interactionCallback: Handler = (ctx, req, [id, token]) => {
  const record = interaction(ctx, id, token);
  if (!record) return fail(404, 10062, 'Unknown interaction');
  if (record.callbacks.length > 0) return fail(400, 40060, 'Interaction has already been acknowledged.');
  if (performance.now() - record.startedAtMs > ctx.answerDeadlineMs) return fail(404, 10062, 'Unknown interaction');
  const bad = invalid(ctx, req, 'interactionCallback');
  if (bad) return bad;
  const body = req.body as { type: number; data?: (MessageBody & { choices?: unknown }) | null };
  if (!allowedCallbacks[record.kind].includes(body.type)) {
    const issues = [{ path: 'type', message: `callback type ${body.type} is not valid for a ${record.kind} interaction` }];
    ctx.violations.push({ method: req.method, path: req.path, operation: 'interactionCallback', issues });
    return fail(400, 50035, 'Invalid Form Body', { errors: formErrors(issues) });
  }
  // Only a message callback (4) or a message update (7) carries files.
  const files = body.type === 4 || body.type === 7 ? attach(ctx, req, 'interactionCallback', body.data, record.sourceMessage?.attachments ?? [], 'data.') : { attachments: undefined };
  if (refused(files)) return files;
  record.callbacks.push({ type: body.type, data: body.data ?? null });
  const data = body.data ?? {};
  const channel = ctx.model.channels.get(record.channelId) ?? dmChannel(ctx, record);
  const respond = { webhookId: ctx.model.options.applicationId, type: record.kind === 'command' ? 20 : 0 };
  switch (body.type) {
    case 4:
      record.original = ctx.model.addMessage(channel, data, ctx.model.bot, { ...respond, ...files });
      settle(record);
      break;
    case 5:
      // Discord shows "<bot> is thinking…" until the original response is edited.
      record.original = ctx.model.addMessage(channel, { flags: ((data.flags ?? 0) & EPHEMERAL) | LOADING }, ctx.model.bot, respond);
      break;
    case 6:
      record.original = record.sourceMessage;
      break;
    case 7:
      record.original = record.sourceMessage;
      if (record.original) ctx.model.editMessage(record.original, data, files.attachments);
      settle(record);
      break;
    case 8:
      record.choices = (isRecord(data) && Array.isArray(data.choices) ? data.choices : []) as InteractionRecord['choices'];
      settle(record);
      break;
    default:
      settle(record);
  }
  if (req.query.get('with_response') !== 'true') return { status: 204 };
  const message = record.original;
  return ok({
    interaction: {
      id: record.id,
      type: record.kind === 'button' ? 3 : record.kind === 'autocomplete' ? 4 : 2,
      response_message_id: message?.id,
      response_message_loading: body.type === 5,
      response_message_ephemeral: message ? (message.flags & EPHEMERAL) !== 0 : false,
    },
    resource: { type: body.type, ...(message ? { message: ctx.model.apiMessage(message) } : {}) },
  });
};

/** DM interactions have no stored channel; responses go to a throwaway one. */
function dmChannel(ctx: RestContext, record: InteractionRecord): StoredChannel {
  const existing = ctx.model.channels.get(record.channelId);
  if (existing) return existing;
  return { id: record.channelId, type: 1, name: 'dm', parentId: null, archived: false, locked: false, createdAt: ctx.model.now(), archivedAt: null, messages: [], nonces: new Map(), overwrites: [] };
}

function webhookRecord(ctx: RestContext, appId: string | undefined, token: string | undefined): InteractionRecord | undefined {
  return appId === ctx.model.options.applicationId ? interaction(ctx, undefined, token) : undefined;
}

function webhookMessage(record: InteractionRecord, messageId: string | undefined): StoredMessage | null {
  if (messageId === '@original') return record.original;
  return record.followUps.find((m) => m.id === messageId) ?? (record.original?.id === messageId ? record.original : null);
}

const unknownWebhook = () => fail(404, 10015, 'Unknown Webhook');

const getWebhookMessage: Handler = (ctx, _req, [appId, token, messageId]) => {
  const record = webhookRecord(ctx, appId, token);
  if (!record) return unknownWebhook();
  const message = webhookMessage(record, messageId);
  return message ? ok(ctx.model.apiMessage(message)) : unknownMessage();
};

const editWebhookMessage: Handler = (ctx, req, [appId, token, messageId]) => {
  const record = webhookRecord(ctx, appId, token);
  if (!record) return unknownWebhook();
  const message = webhookMessage(record, messageId);
  if (!message) return unknownMessage();
  const bad = invalid(ctx, req, 'editWebhookMessage');
  if (bad) return bad;
  const files = attach(ctx, req, 'editWebhookMessage', req.body, message.attachments);
  if (refused(files)) return files;
  ctx.model.editMessage(message, req.body as MessageBody, files.attachments);
  message.flags &= ~LOADING;
  settle(record);
  return ok(ctx.model.apiMessage(message));
};

const deleteWebhookMessage: Handler = (ctx, _req, [appId, token, messageId]) => {
  const record = webhookRecord(ctx, appId, token);
  if (!record) return unknownWebhook();
  const message = webhookMessage(record, messageId);
  if (!message) return unknownMessage();
  const channel = ctx.model.channels.get(message.channelId);
  if (channel) channel.messages = channel.messages.filter((m) => m !== message);
  ctx.model.messages.delete(message.id);
  return { status: 204 };
};

const executeWebhook: Handler = (ctx, req, [appId, token]) => {
  const record = webhookRecord(ctx, appId, token);
  // The interaction webhook exists only once the interaction has been acknowledged.
  if (!record || record.callbacks.length === 0) return unknownWebhook();
  const bad = invalid(ctx, req, 'executeWebhook');
  if (bad) return bad;
  const files = attach(ctx, req, 'executeWebhook', req.body, []);
  if (refused(files)) return files;
  const channel = ctx.model.channels.get(record.channelId) ?? dmChannel(ctx, record);
  const message = ctx.model.addMessage(channel, req.body as MessageBody, ctx.model.bot, { webhookId: ctx.model.options.applicationId, ...files });
  record.followUps.push(message);
  settle(record);
  return req.query.get('wait') === 'false' ? { status: 204 } : ok(ctx.model.apiMessage(message));
};

const guildCommands = (handler: (ctx: RestContext, req: RestRequest) => RestReply): Handler =>
  (ctx, req, [appId, guildId]) => {
    if (appId !== ctx.model.options.applicationId) return fail(404, 10002, 'Unknown Application');
    if (guildId !== ctx.model.options.guildId) return fail(404, 10004, 'Unknown Guild');
    return handler(ctx, req);
  };

const putCommands = guildCommands((ctx, req) => {
  const bad = invalid(ctx, req, 'bulkOverwriteCommands');
  if (bad) return bad;
  return ok(ctx.model.overwriteCommands(req.body as Array<Record<string, unknown>>));
});

const gatewayBot: Handler = (ctx) =>
  ok({
    url: ctx.gatewayUrl(),
    shards: 1,
    session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
  });

const ID = '(\\d+)';
const SEG = '([^/]+)';
const routes: Array<[string, RegExp, Handler]> = [
  ['GET', /^\/gateway\/bot$/, gatewayBot],
  ['GET', /^\/gateway$/, (ctx) => ok({ url: ctx.gatewayUrl() })],
  ['GET', /^\/users\/@me$/, (ctx) => ok({ ...ctx.model.bot, verified: true, mfa_enabled: false, flags: 0, public_flags: 0 })],
  ['GET', /^\/applications\/@me$/, (ctx) => ok(ctx.model.apiApplication())],
  ['POST', new RegExp(`^/channels/${ID}/messages$`), createMessage],
  ['GET', new RegExp(`^/channels/${ID}/messages$`), listMessages],
  ['GET', new RegExp(`^/channels/${ID}/messages/${ID}$`), getMessage],
  ['PATCH', new RegExp(`^/channels/${ID}/messages/${ID}$`), editMessage],
  ['POST', new RegExp(`^/channels/${ID}/messages/${ID}/threads$`), startThread],
  ['GET', new RegExp(`^/channels/${ID}$`), getChannel],
  ['GET', new RegExp(`^/guilds/${ID}$`), guildRoute((ctx) => ok(ctx.model.guildCreate()))],
  ['GET', new RegExp(`^/guilds/${ID}/roles$`), guildRoute((ctx) => ok(ctx.model.apiRoles()))],
  ['GET', new RegExp(`^/guilds/${ID}/members/${ID}$`), guildRoute((ctx, [userId]) => (userId === ctx.model.bot.id ? ok(ctx.model.botMember()) : fail(404, 10007, 'Unknown Member')))],
  ['PATCH', new RegExp(`^/channels/${ID}$`), modifyChannel],
  ['POST', new RegExp(`^/interactions/${ID}/${SEG}/callback$`), interactionCallback],
  ['GET', new RegExp(`^/webhooks/${ID}/${SEG}/messages/${SEG}$`), getWebhookMessage],
  ['PATCH', new RegExp(`^/webhooks/${ID}/${SEG}/messages/${SEG}$`), editWebhookMessage],
  ['DELETE', new RegExp(`^/webhooks/${ID}/${SEG}/messages/${SEG}$`), deleteWebhookMessage],
  ['POST', new RegExp(`^/webhooks/${ID}/${SEG}$`), executeWebhook],
  ['GET', new RegExp(`^/applications/${ID}/guilds/${ID}/commands$`), guildCommands((ctx) => ok(ctx.model.commands))],
  ['PUT', new RegExp(`^/applications/${ID}/guilds/${ID}/commands$`), putCommands],
  ['GET', new RegExp(`^/applications/${ID}/commands$`), () => ok([])],
];
