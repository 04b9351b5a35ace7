/**
 * Reading the configuration file: locate it, parse the YAML, substitute `${VAR}` from the
 * environment, validate against the schema. Every failure becomes one {@link ConfigError} whose
 * message is ready to print (`config error: <where>: <what>`), so the CLI only has to print it and
 * exit with status 2.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type * as z from 'zod';
import { configSchema } from './schema.js';
import type { Config } from './types.js';

/** One thing wrong with the configuration: where (a field path or file position) and what. */
export interface ConfigProblem {
  where: string;
  message: string;
}

// Enough to fix a file in one go without burying the first problem under a wall of text.
const MAX_PROBLEM_LINES = 10;

/** A configuration that cannot be used; `message` is one `config error: <where>: <what>` line per problem, first problem first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(formatProblems(problems));
  }
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.slice(0, MAX_PROBLEM_LINES).map((p) => `config error: ${p.where}: ${p.message}`);
  const hidden = problems.length - MAX_PROBLEM_LINES;
  if (hidden > 0) lines.push(`config error: and ${hidden} more`);
  return lines.join('\n');
}

function fail(where: string, message: string): never {
  throw new ConfigError([{ where, message }]);
}

/** The configuration file to use: the `--config` flag, else `$STORMGUARD_CONFIG`, else `./stormguard.yaml`. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  // An empty value (`STORMGUARD_CONFIG=`) means "not set", as shells and Kubernetes often produce it.
  return flag || env.STORMGUARD_CONFIG || './stormguard.yaml';
}

/** Something the loader changed on the way that people should hear about once (never a value). */
export interface ConfigNotice {
  message: string;
  /** The environment variables concerned, by name. */
  variables: string[];
}

/**
 * Reads, interpolates and validates the configuration file; throws {@link ConfigError} when it
 * cannot be used. `onNotice` hears, once per load, what was adjusted (a secret's trailing newline).
 */
export function loadConfig(opts: { path?: string; env: NodeJS.ProcessEnv; onNotice?: (notice: ConfigNotice) => void }): Config {
  const path = resolveConfigPath(opts.path, opts.env);
  const document = parseYaml(readConfigText(path), path);
  const { value, fromEnv, trimmed } = interpolateWithOrigins(document, opts.env);
  const config = validateConfig(value, path, fromEnv);
  if (trimmed.length > 0) {
    opts.onNotice?.({
      message: `removed the trailing newline from ${trimmed.join(', ')} (a secret file written with echo or an editor ends in one)`,
      variables: trimmed,
    });
  }
  return config;
}

/**
 * Validates already-parsed configuration data (after interpolation); `file` names the top level in
 * errors. Values at the paths in `fromEnv` came whole from one environment variable, where everything
 * is text: those are converted to the number or boolean their field needs (`port: "${SMTP_PORT}"`).
 */
export function validateConfig(data: unknown, file: string, fromEnv: ReadonlySet<string> = new Set()): Config {
  if (data === null || data === undefined) fail(file, 'the file is empty; expected settings such as "targets:"');
  if (typeof data !== 'object' || Array.isArray(data)) {
    fail(file, `expected a mapping of settings (key: value) at the top level, got ${describeValue(data)}`);
  }
  let result = configSchema.safeParse(data, { error: describeIssue });
  if (!result.success && fromEnv.size > 0) {
    const coerced = coerceFromEnv(data, result.error.issues, fromEnv);
    if (coerced !== data) result = configSchema.safeParse(coerced, { error: describeIssue });
  }
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.flatMap((issue) => toProblems(issue, file)));
}

/**
 * A copy of `data` where each value the schema wanted as a number or boolean, that came whole from
 * the environment and reads as one (`587`, `true`), is converted; `data` itself when nothing applies.
 */
function coerceFromEnv(data: unknown, issues: readonly z.core.$ZodIssue[], fromEnv: ReadonlySet<string>): unknown {
  let out = data;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' || !fromEnv.has(formatPath(issue.path))) continue;
    const text = valueAt(out, issue.path);
    if (typeof text !== 'string') continue;
    const converted = convert(text.trim(), issue.expected);
    if (converted !== undefined) out = withValueAt(out, issue.path, converted);
  }
  return out;
}

function convert(text: string, expected: string): number | boolean | undefined {
  if ((expected === 'number' || expected === 'int') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (expected === 'boolean' && /^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return undefined;
}

function valueAt(data: unknown, path: Path): unknown {
  let node = data;
  for (const key of path) node = (node as Record<PropertyKey, unknown> | undefined)?.[key];
  return node;
}

function withValueAt(data: unknown, path: Path, value: unknown): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  const copy = (Array.isArray(data) ? [...data] : { ...(data as object) }) as Record<PropertyKey, unknown>;
  copy[key] = withValueAt(copy[key], rest, value);
  return copy;
}

function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    fail(`cannot read ${path}`, describeReadError(error));
  }
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file; name the configuration with --config PATH (or $STORMGUARD_CONFIG), e.g. --config deploy/stormguard.yaml, the example to start from';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

function parseYaml(text: string, path: string): unknown {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = document.errors[0];
  if (error) {
    const position = error.linePos?.[0];
    const where = position ? `${path}:${position.line}:${position.col}` : path;
    const sourceLine = position ? (text.split(/\r?\n/)[position.line - 1] ?? '') : '';
    fail(where, describeYamlError(error.message, sourceLine));
  }
  try {
    return document.toJS();
  } catch (err) {
    // yaml refuses to expand an alias bomb ("billion laughs") while converting; that is the file's fault.
    if (err instanceof ReferenceError && /alias/i.test(err.message)) fail(path, 'too many alias expansions (a YAML alias bomb?); write the values out');
    throw err;
  }
}

function describeYamlError(message: string, sourceLine: string): string {
  // yaml appends the position and a source excerpt; the position is already in `where`, and the
  // excerpt could show a secret written into the file.
  const summary = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  // `{ token: ${X} }` is invalid YAML: inside a flow collection `{` and `}` end a plain scalar.
  // Heuristic: a `{` or `[` on the line, then a scalar that starts unquoted with `${`.
  const unquotedVariableInFlow = /[{[].*[\s,[{]\$\{/.test(sourceLine);
  return unquotedVariableInFlow ? `${summary}; inside { } or [ ], quote variables: "\${VAR}"` : summary;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Replaces `${VAR}` in every string value (not keys) from `env`; `${VAR:-default}` uses the default
 * when VAR is unset or empty, as in a shell, and the default may itself hold references
 * (`${A:-${B}}`); `$${X}` stays a literal `${X}`. One trailing newline of a variable's value (`\n`
 * or `\r\n`, what `echo` and most editors leave in a secret's file) is removed.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  return interpolateWithOrigins(value, env).value;
}

/** What interpolation produced, and what the loader needs to know about how. */
export interface Interpolated {
  value: unknown;
  /** The paths whose whole value was one variable reference (`"${SMTP_PORT}"`). */
  fromEnv: Set<string>;
  /** The variables whose value lost its trailing newline, by name (never the value). */
  trimmed: string[];
}

/** {@link interpolateEnv}, plus where values came whole from the environment and which variables were trimmed. */
export function interpolateWithOrigins(value: unknown, env: NodeJS.ProcessEnv): Interpolated {
  const context: Interpolation = { env, problems: [], trimmed: new Set(), path: [] };
  const fromEnv = new Set<string>();
  const result = interpolateValue(value, [], context, fromEnv);
  if (context.problems.length > 0) throw new ConfigError(context.problems);
  return { value: result, fromEnv, trimmed: [...context.trimmed].sort() };
}

interface Interpolation {
  env: NodeJS.ProcessEnv;
  problems: ConfigProblem[];
  trimmed: Set<string>;
  path: Path;
}

function interpolateValue(value: unknown, path: Path, context: Interpolation, fromEnv: Set<string>): unknown {
  if (typeof value === 'string') {
    const scanned = expandText(value, 0, false, { ...context, path });
    if (scanned.wholeReference) fromEnv.add(formatPath(path));
    return scanned.value;
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateValue(item, [...path, index], context, fromEnv));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateValue(item, [...path, key], context, fromEnv)]),
    );
  }
  return value;
}

interface Scanned {
  value: string;
  /** Index just past what was read: the closing `}` of a default, or the end of the text. */
  end: number;
  /** The text read was exactly one reference, `${VAR}` or `${VAR:-default}`. */
  wholeReference: boolean;
  /** Variables that are not set, reported only if this text is used (a default may not be). */
  missing: string[];
}

/**
 * Expands `text` from `from`: to its end, or inside a default up to the `}` that closes it. Problems
 * name the field, never the text: the value around a reference may be a secret.
 */
function expandText(text: string, from: number, inDefault: boolean, context: Interpolation): Scanned {
  let value = '';
  let i = from;
  let references = 0;
  let literal = false;
  const missing: string[] = [];
  while (i < text.length) {
    if (inDefault && text[i] === '}') break;
    if (text.startsWith('$${', i)) {
      value += '${';
      i += 3;
      literal = true;
    } else if (text.startsWith('${', i)) {
      const reference = expandReference(text, i + 2, context);
      value += reference.value;
      missing.push(...reference.missing);
      i = reference.end;
      references += 1;
    } else {
      value += text[i];
      i += 1;
      literal = true;
    }
  }
  if (!inDefault) for (const name of missing) problem(context, `environment variable ${name} is not set`);
  return { value, end: i, wholeReference: references === 1 && !literal, missing };
}

/** Reads one reference whose `${` ends just before `from`: a name, then `}` or `:-default}`. */
function expandReference(text: string, from: number, context: Interpolation): Scanned {
  const name = VARIABLE_NAME.exec(text.slice(from))?.[0] ?? '';
  const after = from + name.length;
  if (name !== '' && text[after] === '}') {
    const found = lookup(name, context);
    return { value: found ?? '', end: after + 1, wholeReference: true, missing: found === undefined ? [name] : [] };
  }
  if (name !== '' && text.startsWith(':-', after)) {
    const fallback = expandText(text, after + 2, true, context);
    if (fallback.end >= text.length) return unclosed(text, context);
    const found = lookup(name, context);
    const end = fallback.end + 1;
    // As in a shell, `:-` also covers a variable that is set but empty; the default is only read when used.
    if (found === undefined || found === '') return { value: fallback.value, end, wholeReference: true, missing: fallback.missing };
    return { value: found, end, wholeReference: true, missing: [] };
  }
  if (text.indexOf('}', from) === -1) return unclosed(text, context);
  problem(context, 'holds a "${…}" that is not a variable reference: names use letters, digits and "_", a default follows ":-", and "$${" writes a literal "${"');
  return { value: '', end: text.indexOf('}', from) + 1, wholeReference: false, missing: [] };
}

function unclosed(text: string, context: Interpolation): Scanned {
  problem(context, 'holds a "${" without its closing "}"; write "$${" for a literal "${"');
  return { value: '', end: text.length, wholeReference: false, missing: [] };
}

/** The variable's value without one trailing newline (`\n` or `\r\n`), or undefined when unset. */
function lookup(name: string, context: Interpolation): string | undefined {
  const raw = context.env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.replace(/\r?\n$/, '');
  if (trimmed !== raw) context.trimmed.add(name);
  return trimmed;
}

function problem(context: Interpolation, message: string): void {
  const where = formatPath(context.path);
  // One line per field and message: a default read twice must not say the same thing twice.
  if (!context.problems.some((p) => p.where === where && p.message === message)) context.problems.push({ where, message });
}

type Path = readonly PropertyKey[];

/** Renders a zod path the way people write it: `targets[0].probe.http.url`. */
function formatPath(path: Path): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}

function toProblems(issue: z.core.$ZodIssue, file: string): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const valid = keysAt(configSchema, issue.path);
    return issue.keys.map((key) => ({ where: formatPath([...issue.path, key]), message: describeUnknownKey(key, valid) }));
  }
  return [{ where: formatPath(issue.path) || file, message: issue.message }];
}

function describeUnknownKey(key: string, valid: readonly string[]): string {
  const suggestion = closestKnownKey(key, valid);
  return suggestion ? `unknown key; did you mean ${suggestion}?` : `unknown key; valid here: ${valid.join(', ')}`;
}

/** The key the user most likely meant among the keys valid at that place: within two edits, case ignored (`failureTreshold`). */
function closestKnownKey(key: string, knownKeys: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of knownKeys) {
    const distance = editDistance(key.toLowerCase(), known.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

/** The minimal view of zod's schema definitions needed to list every key the schema knows. */
interface SchemaDef {
  type: string;
  shape?: Record<string, SchemaNode>;
  element?: SchemaNode;
  innerType?: SchemaNode;
  in?: SchemaNode;
  out?: SchemaNode;
  options?: SchemaNode[];
}
type SchemaNode = { _zod: { def: unknown } };

/** The mapping schemas a node stands for, seen through optional/default/pipe wrappers and unions. */
function objectsOf(schema: SchemaNode): SchemaDef[] {
  const def = schema._zod.def as SchemaDef;
  if (def.shape) return [def];
  const inner = [...(def.options ?? []), ...[def.innerType, def.in].filter((child) => child !== undefined)];
  return inner.flatMap(objectsOf);
}

/** The keys valid in the mapping at `path` (an index steps into a list's elements). */
function keysAt(schema: SchemaNode, path: Path): string[] {
  let nodes: SchemaNode[] = [schema];
  for (const key of path) {
    nodes = nodes.flatMap((node) => {
      if (typeof key === 'number') {
        const unwrapped = unwrapList(node);
        return unwrapped ? [unwrapped] : [];
      }
      return objectsOf(node).flatMap((def) => (def.shape?.[String(key)] ? [def.shape[String(key)]!] : []));
    });
  }
  return [...new Set(nodes.flatMap((node) => objectsOf(node).flatMap((def) => Object.keys(def.shape ?? {}))))];
}

function unwrapList(schema: SchemaNode): SchemaNode | undefined {
  const def = schema._zod.def as SchemaDef;
  if (def.element) return def.element;
  const inner = def.innerType ?? def.in;
  return inner ? unwrapList(inner) : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Messages for issues the schema leaves to the loader: mostly wrong types, said in YAML words
 * ("a list", "a mapping"), and never repeating the value, which may be a secret.
 */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.input === null) return `is empty; expected ${describeType(issue.expected)}`;
      return `expected ${describeType(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
    case 'invalid_union':
      return issue.input === undefined ? 'is required' : undefined;
    default:
      return undefined;
  }
}

function describeType(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping (key: value)';
    case 'array':
      return 'a list';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'text';
    case 'int':
      return 'a whole number';
    default:
      return `a ${expected}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return 'a number';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
