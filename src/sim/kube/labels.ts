/**
 * The simulator's own label selector, written from the API server's grammar (apimachinery
 * `pkg/labels/selector.go`: a lexer of identifiers and operators, then a parser of requirements, with
 * keys and values validated). It deliberately shares no code with the adapter's parser: a simulator that
 * parsed with the code it checks would agree with that code's bugs.
 */

/** One requirement of a selector as the API server reads it. */
export type SimRequirement =
  | { key: string; op: 'equals' | 'notEquals'; value: string }
  | { key: string; op: 'in' | 'notIn'; values: string[] }
  | { key: string; op: 'exists' | 'doesNotExist' }
  | { key: string; op: 'greaterThan' | 'lessThan'; value: number };

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: '!' | '=' | '==' | '!=' | '>' | '<' | '(' | ')' | ',' | 'in' | 'notin' | 'end' };

// The lexer's special symbols, longest first so `==` and `!=` win over `=` and `!`.
const SYMBOLS = ['==', '!=', '!', '=', '>', '<', '(', ')', ','] as const;
// A label value (and a key's name part): at most 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends.
const NAME = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
// A key's optional prefix: a DNS subdomain of at most 253 characters.
const PREFIX = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

/** Parses `?labelSelector=` as the API server does; throws an Error whose message says what is wrong. */
export function parseSimSelector(text: string): SimRequirement[] {
  const tokens = lex(text);
  let at = 0;
  const peek = (): Token => tokens[at]!;
  const next = (): Token => tokens[at++]!;
  const requirements: SimRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    requirements.push(requirement());
    const after = next();
    if (after.kind === 'end') return requirements;
    if (after.kind !== ',') throw new Error(`found '${describe(after)}', expected: ',' or 'end of string'`);
  }

  function requirement(): SimRequirement {
    let token = next();
    if (token.kind === '!') {
      const key = identifier(next());
      const after = peek();
      if (after.kind !== ',' && after.kind !== 'end') throw new Error(`found '${describe(after)}', expected: ',' or 'end of string'`);
      return { key, op: 'doesNotExist' };
    }
    const key = identifier(token);
    token = peek();
    if (token.kind === ',' || token.kind === 'end') return { key, op: 'exists' };
    next();
    switch (token.kind) {
      case '=':
      case '==':
        return { key, op: 'equals', value: value(true) };
      case '!=':
        return { key, op: 'notEquals', value: value(true) };
      case '>':
      case '<': {
        const raw = value(false);
        if (!/^-?\d+$/.test(raw)) throw new Error(`for 'Gt', 'Lt' operators, the value must be an integer`);
        return { key, op: token.kind === '>' ? 'greaterThan' : 'lessThan', value: Number(raw) };
      }
      case 'in':
      case 'notin':
        return { key, op: token.kind === 'in' ? 'in' : 'notIn', values: set() };
      default:
        throw new Error(`found '${describe(token)}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  function identifier(token: Token): string {
    if (token.kind !== 'identifier') throw new Error(`found '${describe(token)}', expected: identifier`);
    const [prefix, name, extra] = token.text.split('/');
    const valid = extra === undefined && (name === undefined ? NAME.test(prefix!) : PREFIX.test(prefix!) && prefix!.length <= 253 && NAME.test(name));
    if (!valid) throw new Error(`invalid label key "${token.text}"`);
    return token.text;
  }

  // After `=`/`!=` an empty value is allowed (`a=` selects a=""); the end of a requirement says so.
  function value(emptyAllowed: boolean): string {
    const token = peek();
    if (token.kind === 'identifier') {
      next();
      if (!NAME.test(token.text)) throw new Error(`invalid label value: "${token.text}"`);
      return token.text;
    }
    if (emptyAllowed && (token.kind === ',' || token.kind === 'end')) return '';
    throw new Error(`found '${describe(token)}', expected: identifier`);
  }

  function set(): string[] {
    if (next().kind !== '(') throw new Error(`found '${describe(tokens[at - 1]!)}', expected: '('`);
    const values: string[] = [];
    for (;;) {
      const token = next();
      if (token.kind === ')') break;
      if (token.kind !== 'identifier') throw new Error(`found '${describe(token)}', expected: identifier`);
      if (!NAME.test(token.text)) throw new Error(`invalid label value: "${token.text}"`);
      values.push(token.text);
      const after = next();
      if (after.kind === ')') break;
      if (after.kind !== ',') throw new Error(`found '${describe(after)}', expected: ',' or ')'`);
    }
    if (values.length === 0) throw new Error(`for 'in', 'notin' operators, values set can't be empty`);
    return values;
  }
}

/** Whether labels satisfy every requirement (AND), as the API server filters a list or a watch. */
export function simSelectorMatches(labels: Record<string, string> | undefined, requirements: SimRequirement[]): boolean {
  const present = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(present, r.key);
    const actual = present[r.key];
    switch (r.op) {
      case 'equals':
        return has && actual === r.value;
      case 'notEquals':
        return !has || actual !== r.value;
      case 'in':
        return has && r.values.includes(actual!);
      case 'notIn':
        return !has || !r.values.includes(actual!);
      case 'exists':
        return has;
      case 'doesNotExist':
        return !has;
      case 'greaterThan':
      case 'lessThan':
        if (!has || !/^-?\d+$/.test(actual!)) return false;
        return r.op === 'greaterThan' ? Number(actual) > r.value : Number(actual) < r.value;
    }
  });
}

function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol) {
      tokens.push({ kind: symbol });
      i += symbol.length;
      continue;
    }
    let end = i;
    while (end < text.length && !/\s/.test(text[end]!) && !SYMBOLS.some((s) => text.startsWith(s, end))) end++;
    const word = text.slice(i, end);
    tokens.push(word === 'in' || word === 'notin' ? { kind: word } : { kind: 'identifier', text: word });
    i = end;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

function describe(token: Token): string {
  return token.kind === 'identifier' ? token.text : token.kind === 'end' ? 'end of string' : token.kind;
}
