/**
 * File uploads as Discord takes them (docs "Uploading Files"): a `multipart/form-data` body whose
 * `payload_json` part is the JSON body and whose `files[n]` parts are the files, each named by a
 * `Content-Disposition` filename; the payload's `attachments: [{ id, filename?, description? }]`
 * refers to a new file by its placeholder `n` and to a file the message already has by its id.
 *
 * Limits enforced, as Discord enforces them for a bot: at most 10 attachments on a message (the
 * spec's `attachments` maxLength, error 30015's figure), each file at most 10 MiB — Discord's
 * default upload limit since January 2025 for bots, webhooks and interaction responses alike, the
 * `attachment_size_limit` the simulator sends with every interaction — refused as a whole request
 * with 413 40005 "Request entity too large"; a file part needs a filename of 1–1,024 characters.
 */
import { isRecord, tooLong, type BodyIssue } from './validate.js';

/** Files on one message, at most. */
export const MAX_ATTACHMENTS = 10;
/** Bytes per file, at most: Discord's default upload limit (10 MiB) for a server without boosts. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** One `files[n]` part as it arrived. */
export interface UploadedFile {
  /** The `n` of `files[n]`: the placeholder id the payload's `attachments` refers to. */
  index: string;
  filename: string;
  /** The part's `Content-Type`, or null when it had none. */
  contentType: string | null;
  bytes: Buffer;
}

/** A file attached to a stored message, bytes included, so tests can read exactly what was sent. */
export interface StoredAttachment {
  id: string;
  filename: string;
  description: string | null;
  contentType: string | null;
  size: number;
  bytes: Buffer;
}

/** A multipart body taken apart: the JSON body (from `payload_json`, else the plain fields) and the files. */
export type ParsedForm = { ok: true; body: unknown; files: UploadedFile[] } | { ok: false; status: number; code: number; message: string; issues?: BodyIssue[] };

const FILE_FIELD = /^files\[(\d+)\]$/;

/** Parses a `multipart/form-data` request body; a malformed one, or a file over the limit, is refused as Discord refuses it. */
export async function parseForm(raw: Buffer, contentType: string): Promise<ParsedForm> {
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return { ok: false, status: 400, code: 50035, message: 'Invalid Form Body' };
  }
  const files: UploadedFile[] = [];
  const fields: Record<string, unknown> = {};
  const issues: BodyIssue[] = [];
  let payload: unknown;
  for (const [name, value] of form) {
    if (typeof value === 'string') {
      if (name === 'payload_json') payload = value;
      // A files[n] part without a filename arrives as text: Discord needs the filename to attach it.
      else if (FILE_FIELD.test(name)) issues.push({ path: name, code: 'BASE_TYPE_REQUIRED', message: 'a file part needs a filename' });
      else fields[name] = value;
      continue;
    }
    const index = FILE_FIELD.exec(name)?.[1];
    // Parts named otherwise are not files Discord attaches; a bot that sends one has a bug.
    if (index === undefined) {
      issues.push({ path: name, message: 'file parts must be named files[n]' });
      continue;
    }
    if (value.size > MAX_FILE_BYTES) return { ok: false, status: 413, code: 40005, message: 'Request entity too large' };
    if (value.name.length === 0 || value.name.length > 1024) {
      issues.push({ path: `files.${index}`, code: 'BASE_TYPE_BAD_LENGTH', message: 'filename must be between 1 and 1024 in length.' });
      continue;
    }
    files.push({ index, filename: value.name, contentType: value.type === '' ? null : value.type, bytes: Buffer.from(await value.arrayBuffer()) });
  }
  if (issues.length > 0) return { ok: false, status: 400, code: 50035, message: 'Invalid Form Body', issues };
  if (payload === undefined) return { ok: true, body: fields, files };
  try {
    return { ok: true, body: JSON.parse(payload as string) as unknown, files };
  } catch {
    return { ok: false, status: 400, code: 50109, message: 'The request body contains invalid JSON.' };
  }
}

/** The attachments a message ends up with, or why Discord refuses the body (a 50035). */
export type AttachmentResult = { ok: true; attachments: StoredAttachment[] | undefined } | { ok: false; issues: BodyIssue[] };

/**
 * Resolves what a create or edit leaves attached. Without an `attachments` list every uploaded file
 * is appended to what the message had (`existing`, empty on create); with one, exactly the listed
 * files remain — new ones by placeholder, kept ones by id — and an id that names neither is refused.
 * `undefined` means "unchanged" (an edit that neither lists nor uploads).
 */
export function resolveAttachments(
  body: unknown,
  files: readonly UploadedFile[],
  existing: readonly StoredAttachment[],
  newId: () => string,
  prefix = '',
): AttachmentResult {
  const listed = isRecord(body) ? body['attachments'] : undefined;
  const fresh = (file: UploadedFile, description: string | null, filename?: string): StoredAttachment => ({
    id: newId(),
    filename: filename ?? file.filename,
    description,
    contentType: file.contentType,
    size: file.bytes.length,
    bytes: file.bytes,
  });
  let result: StoredAttachment[];
  if (!Array.isArray(listed)) {
    if (files.length === 0) return { ok: true, attachments: undefined };
    result = [...existing, ...files.map((f) => fresh(f, null))];
  } else {
    const issues: BodyIssue[] = [];
    result = [];
    listed.forEach((entry: unknown, i) => {
      const ref = isRecord(entry) ? entry : {};
      const id = String(ref['id']);
      const description = typeof ref['description'] === 'string' ? ref['description'] : null;
      const filename = typeof ref['filename'] === 'string' ? ref['filename'] : undefined;
      const kept = existing.find((a) => a.id === id);
      const upload = files.find((f) => f.index === id);
      if (kept) result.push({ ...kept, description: description ?? kept.description });
      else if (upload) result.push(fresh(upload, description, filename));
      // The wording of this refusal is the simulator's; Discord refuses such a body with 50035.
      else issues.push({ path: `${prefix}attachments.${i}.id`, message: `attachment ${id} is neither an uploaded files[${id}] nor on the message` });
    });
    if (issues.length > 0) return { ok: false, issues };
  }
  if (result.length > MAX_ATTACHMENTS) return { ok: false, issues: [tooLong(`${prefix}attachments`, MAX_ATTACHMENTS)] };
  return { ok: true, attachments: result };
}

/** The attachment object Discord returns inside a message. */
export function apiAttachment(a: StoredAttachment, channelId: string): Record<string, unknown> {
  const url = `https://cdn.discordapp.com/attachments/${channelId}/${a.id}/${encodeURIComponent(a.filename)}`;
  return {
    id: a.id,
    filename: a.filename,
    size: a.size,
    url,
    proxy_url: url.replace('cdn.discordapp.com', 'media.discordapp.net'),
    ...(a.contentType !== null ? { content_type: a.contentType } : {}),
    ...(a.description !== null ? { description: a.description } : {}),
  };
}
