/**
 * Kubernetes label selectors: the string form (`app=frigate,tier!=cache`) and `matchLabels` /
 * `matchExpressions`. The adapter filters one pod list per namespace locally with it instead of asking the
 * API once per target; the simulator parses `?labelSelector=` with its own code (src/sim/kube/labels.ts).
 */

/** One parsed requirement of a label selector. */
export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

/** A subset of `V1LabelSelector`, so this module does not depend on the client library. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Parses `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)` joined by commas; throws on nonsense. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const parts = splitTopLevel(text.trim());
  return parts.map((raw) => {
    const part = raw.trim();
    const set = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      return { key: set[1]!, op: set[2] as 'in' | 'notin', values };
    }
    const cmp = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(part);
    if (cmp) return { key: cmp[1]!, op: cmp[2] === '!=' ? 'neq' : 'eq', value: cmp[3]! };
    const notExists = /^!\s*([^\s!=()]+)$/.exec(part);
    if (notExists) return { key: notExists[1]!, op: 'notexists' };
    if (/^[^\s!=()]+$/.test(part)) return { key: part, op: 'exists' };
    throw new Error(`invalid label selector: ${JSON.stringify(text)}`);
  });
}

/** Converts a structured selector into requirements; an empty selector matches everything. */
export function requirementsOf(selector: LabelSelectorObject | undefined): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) reqs.push({ key, op: 'eq', value });
  for (const e of selector?.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') reqs.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') reqs.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') reqs.push({ key: e.key, op: 'notexists' });
  }
  return reqs;
}

/** True when every requirement holds for these labels. */
export function matchesLabels(labels: Record<string, string> | undefined, reqs: LabelRequirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** Splits on commas that are not inside `( )`, dropping empty parts. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.filter((p) => p.trim() !== '');
}
