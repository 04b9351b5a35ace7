/**
 * Request-body validation against Discord's official OpenAPI spec (`discord-api-spec/zod`, made
 * strict), plus the limits Discord enforces that the spec does not state (a bot's content is 2000
 * characters, not the 4000 the spec allows for Nitro users; embeds total 6000 characters…).
 *
 * Two documented departures from the raw spec, both matching what the live API accepts:
 * - keys discord.js always serialises that the target operation does not declare (`tts: false`,
 *   `enforce_nonce: false`, the thread `type` on "start thread from message") are dropped when they
 *   hold the harmless value, and rejected otherwise (`enforce_nonce: true` on an edit is a bug);
 * - `default_member_permissions` is a string of digits in Discord's documentation and in what
 *   discord.js sends, while the spec types it as an integer; both are accepted.
 */
import * as z from 'zod/mini';
import type { $ZodIssue, $ZodType } from 'zod/v4/core';
import {
  ApplicationCommandAutocompleteCallbackRequestSchema,
  ApplicationCommandUpdateRequestSchema,
  CreateMessageInteractionCallbackRequestSchema,
  CreateTextThreadWithMessageRequestSchema,
  IncomingWebhookRequestPartialSchema,
  IncomingWebhookUpdateRequestPartialSchema,
  MessageCreateRequestSchema,
  MessageEditRequestPartialSchema,
  ModalInteractionCallbackRequestSchema,
  PongInteractionCallbackRequestSchema,
  UpdateMessageInteractionCallbackRequestSchema,
  UpdateThreadRequestPartialSchema,
} from 'discord-api-spec/zod';
import { strictDeep } from './strict.js';

/** The operations whose bodies the simulator validates. */
export type Operation =
  | 'createMessage'
  | 'editMessage'
  | 'startThread'
  | 'modifyChannel'
  | 'interactionCallback'
  | 'executeWebhook'
  | 'editWebhookMessage'
  | 'bulkOverwriteCommands';

/** One problem found in a body: where (dotted path), Discord's error code for it, and what. */
export interface BodyIssue {
  path: string;
  message: string;
  /** Discord's code inside `_errors` (`BASE_TYPE_MAX_LENGTH`…); defaults to `INVALID_FORM_BODY`. */
  code?: string;
}

/** Discord's wording for a string or list over its limit: `content[BASE_TYPE_MAX_LENGTH]: Must be 2000 or fewer in length.` */
export function tooLong(path: string, max: number): BodyIssue {
  return { path, code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` };
}

const commandSchema = z.extend(strictDeep(ApplicationCommandUpdateRequestSchema) as z.ZodMiniObject, {
  default_member_permissions: z.nullish(z.union([z.number(), z.string().check(z.regex(/^\d+$/))])),
});

const schemas: Record<Exclude<Operation, 'interactionCallback'>, $ZodType> = {
  createMessage: strictDeep(MessageCreateRequestSchema),
  editMessage: strictDeep(MessageEditRequestPartialSchema),
  startThread: strictDeep(CreateTextThreadWithMessageRequestSchema),
  modifyChannel: strictDeep(UpdateThreadRequestPartialSchema),
  executeWebhook: strictDeep(IncomingWebhookRequestPartialSchema),
  editWebhookMessage: strictDeep(IncomingWebhookUpdateRequestPartialSchema),
  bulkOverwriteCommands: z.array(commandSchema),
};

const callbackSchemas: Record<number, $ZodType> = {
  1: strictDeep(PongInteractionCallbackRequestSchema),
  4: strictDeep(CreateMessageInteractionCallbackRequestSchema),
  5: strictDeep(CreateMessageInteractionCallbackRequestSchema),
  6: strictDeep(UpdateMessageInteractionCallbackRequestSchema),
  7: strictDeep(UpdateMessageInteractionCallbackRequestSchema),
  8: strictDeep(ApplicationCommandAutocompleteCallbackRequestSchema),
  9: strictDeep(ModalInteractionCallbackRequestSchema),
};

/** Undeclared keys discord.js sends on every message-like body, with the only value Discord ignores. */
const messageExtras: Record<string, unknown> = { tts: false, enforce_nonce: false };
const tolerated: Record<Operation, Record<string, unknown>> = {
  createMessage: {},
  editMessage: messageExtras,
  // discord.js names the thread type even when starting from a message; 11 = public thread.
  startThread: { type: 11 },
  modifyChannel: {},
  interactionCallback: {},
  executeWebhook: messageExtras,
  editWebhookMessage: messageExtras,
  bulkOverwriteCommands: {},
};

/**
 * Validates `body` for `operation`; returns the issues (empty when valid). `body` is the parsed
 * JSON; `undefined` means there was none.
 */
export function validateBody(operation: Operation, body: unknown): BodyIssue[] {
  return unique(collectIssues(operation, body));
}

/** The spec's own checks and ours overlap (a field value over 1024 is both); Discord names each once. */
function unique(issues: BodyIssue[]): BodyIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\n${i.code ?? ''}\n${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function collectIssues(operation: Operation, body: unknown): BodyIssue[] {
  if (operation === 'interactionCallback') return validateCallback(body);
  const cleaned = dropTolerated(body, tolerated[operation]);
  const issues = schemaIssues(schemas[operation], cleaned);
  if (operation === 'startThread' || operation === 'modifyChannel') issues.push(...threadNameIssues(cleaned));
  else if (operation !== 'bulkOverwriteCommands') issues.push(...messageLimitIssues(cleaned, ''));
  return issues;
}

function validateCallback(body: unknown): BodyIssue[] {
  const type = isRecord(body) ? body['type'] : undefined;
  const schema = typeof type === 'number' ? callbackSchemas[type] : undefined;
  if (!schema) return [{ path: 'type', message: `unsupported interaction callback type ${String(type)}` }];
  const data = isRecord(body) && isRecord(body['data']) ? dropTolerated(body['data'], messageExtras) : undefined;
  const cleaned = isRecord(body) && data !== undefined ? { ...body, data } : body;
  const issues = schemaIssues(schema, cleaned);
  if (type === 8 && data !== undefined) issues.push(...choiceLimitIssues(data));
  if (type !== 8 && type !== 9 && data !== undefined) issues.push(...messageLimitIssues(data, 'data.'));
  return issues;
}

function schemaIssues(schema: $ZodType, body: unknown): BodyIssue[] {
  const result = z.safeParse(schema, body);
  return result.success ? [] : result.error.issues.map(toBodyIssue);
}

function dropTolerated(body: unknown, extras: Record<string, unknown>): unknown {
  if (!isRecord(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key in extras && Object.is(extras[key], value)) continue;
    out[key] = value;
  }
  return out;
}

/** Discord limits for bot messages that the spec leaves looser or does not express. */
function messageLimitIssues(body: unknown, prefix: string): BodyIssue[] {
  if (!isRecord(body)) return [];
  const issues: BodyIssue[] = [];
  const at = (path: string, message: string) => issues.push({ path: prefix + path, message });
  const limit = (path: string, value: unknown, max: number) => {
    const length = typeof value === 'string' || Array.isArray(value) ? value.length : 0;
    if (length > max) issues.push(tooLong(prefix + path, max));
  };
  limit('content', body['content'], 2000);
  const nonce = body['nonce'];
  limit('nonce', nonce, 25);
  if (body['enforce_nonce'] === true && (nonce === undefined || nonce === null)) at('enforce_nonce', 'needs a nonce');
  const embeds = body['embeds'];
  if (Array.isArray(embeds)) {
    limit('embeds', embeds, 10);
    let total = 0;
    embeds.forEach((embed: unknown, i) => {
      if (!isRecord(embed)) return;
      total += embedLength(embed);
      limit(`embeds.${i}.title`, embed['title'], 256);
      limit(`embeds.${i}.description`, embed['description'], 4096);
      const fields = embed['fields'];
      limit(`embeds.${i}.fields`, fields, 25);
      if (Array.isArray(fields)) {
        fields.forEach((field: unknown, j) => {
          if (!isRecord(field)) return;
          limit(`embeds.${i}.fields.${j}.name`, field['name'], 256);
          limit(`embeds.${i}.fields.${j}.value`, field['value'], 1024);
        });
      }
    });
    // Discord reports the sum on the embeds list as a whole.
    if (total > 6000) issues.push({ path: prefix + 'embeds', code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' });
    embeds.forEach((embed: unknown, i) => {
      if (isRecord(embed) && Array.isArray(embed['fields']))
        embed['fields'].forEach((field: unknown, j) => {
          for (const key of ['name', 'value'] as const)
            if (isRecord(field) && field[key] === '')
              issues.push({ path: `${prefix}embeds.${i}.fields.${j}.${key}`, code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
        });
    });
  }
  const allowed = body['allowed_mentions'];
  if (isRecord(allowed) && Array.isArray(allowed['parse'])) {
    // Discord refuses a kind that is both parsed wholesale and listed explicitly.
    for (const kind of ['users', 'roles'] as const) {
      if (allowed['parse'].includes(kind) && Array.isArray(allowed[kind]))
        at(`allowed_mentions.${kind}`, `parse:["${kind}"] and ${kind}:[...] are mutually exclusive`);
    }
  }
  return issues;
}

function threadNameIssues(body: unknown): BodyIssue[] {
  if (!isRecord(body) || !('name' in body) || body['name'] === null) return [];
  const name = body['name'];
  if (typeof name === 'string' && name.length >= 1 && name.length <= 100) return [];
  return [{ path: 'name', code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }];
}

/**
 * Autocomplete answers: at most 25 choices, each name and string value 1–100 characters. Checked by
 * hand because the spec's union of choice shapes reports any breach only as "matches none".
 */
function choiceLimitIssues(data: unknown): BodyIssue[] {
  if (!isRecord(data) || !Array.isArray(data['choices'])) return [];
  const choices = data['choices'];
  const issues: BodyIssue[] = [];
  if (choices.length > 25) issues.push(tooLong('data.choices', 25));
  choices.forEach((choice: unknown, i) => {
    if (!isRecord(choice)) return;
    for (const key of ['name', 'value'] as const) {
      const value = choice[key];
      if (typeof value === 'string' && (value.length < 1 || value.length > 100))
        issues.push({ path: `data.choices.${i}.${key}`, code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' });
    }
  });
  return issues;
}

function embedLength(embed: Record<string, unknown>): number {
  const len = (v: unknown) => (typeof v === 'string' ? v.length : 0);
  let n = len(embed['title']) + len(embed['description']);
  if (isRecord(embed['footer'])) n += len(embed['footer']['text']);
  if (isRecord(embed['author'])) n += len(embed['author']['name']);
  if (Array.isArray(embed['fields']))
    for (const f of embed['fields']) if (isRecord(f)) n += len(f['name']) + len(f['value']);
  return n;
}

function toBodyIssue(issue: $ZodIssue): BodyIssue {
  const path = issue.path.map(String).join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path, message: `unknown key(s): ${issue.keys.join(', ')}` };
    case 'invalid_type':
      return { path, message: `expected ${issue.expected}` };
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array'
        ? tooLong(path, Number(issue.maximum))
        : { path, code: 'NUMBER_TYPE_MAX', message: `int value should be less than or equal to ${String(issue.maximum)}.` };
    case 'too_small':
      return { path, message: `must be at least ${String(issue.minimum)}` };
    case 'invalid_value':
      return { path, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'invalid_union':
      return { path, message: 'matches none of the allowed shapes' };
    default:
      return { path, message: issue.code };
  }
}

/**
 * Discord's nested `errors` object for a 50035 answer:
 * `{ content: { _errors: [{ code, message }] } }`.
 */
export function formErrors(issues: BodyIssue[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const issue of issues) {
    let node = root;
    for (const key of issue.path === '' ? [] : issue.path.split('.')) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    const list = (node['_errors'] ??= []) as Array<{ code: string; message: string }>;
    list.push({ code: issue.code ?? 'INVALID_FORM_BODY', message: issue.message });
  }
  return root;
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
