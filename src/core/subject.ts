/**
 * Incident subjects — `target:frigate`, `node:k3s-2`, `cluster`, `alert:<sha256>`, `setup:<problem>`,
 * `observer` — built and read in this one place,
 * so no caller slices prefixes off by hand.
 */
/** The subject of the incident that stands for the cluster's API itself. */
export const CLUSTER_SUBJECT = 'cluster';

/** The subject of the incident that says stormguard's own view looks broken (the mass-failure brake). */
export const OBSERVER_SUBJECT = 'observer';

/**
 * The subject of a setup problem's incident, one per cause: `problem` names the cause stably (e.g.
 * `forbidden/media/pods`, `missing/ghost`), so the same cause keeps one incident across cycles.
 */
export function setupSubject(problem: string): string {
  return `setup:${problem}`;
}

/** The subject of a target's own incident. */
export function targetSubject(target: string): string {
  return `target:${target}`;
}

/** The subject of a node's incident. */
export function nodeSubject(node: string): string {
  return `node:${node}`;
}

/**
 * The subject of an Alertmanager group's incident from its name: the SHA-256 of its `groupKey` (the
 * shell hashes it: the core has no crypto), or the name `parseSubject` read out of a subject.
 */
export function alertSubjectNamed(name: string): string {
  return `alert:${name}`;
}

/** A subject taken apart: its kind and, for targets, nodes and alert groups, the name. */
export type ParsedSubject =
  | { kind: 'target'; name: string }
  | { kind: 'node'; name: string }
  | { kind: 'alert'; name: string }
  | { kind: 'setup'; name: string }
  | { kind: 'cluster' }
  | { kind: 'observer' };

/** Reads a subject; null when it is none of the forms above (e.g. an old or hand-edited row). */
export function parseSubject(subject: string): ParsedSubject | null {
  if (subject === CLUSTER_SUBJECT) return { kind: 'cluster' };
  if (subject === OBSERVER_SUBJECT) return { kind: 'observer' };
  const colon = subject.indexOf(':');
  const kind = subject.slice(0, colon);
  const name = subject.slice(colon + 1);
  if (colon <= 0 || name === '') return null;
  if (kind === 'target' || kind === 'node' || kind === 'alert' || kind === 'setup') return { kind, name };
  return null;
}

/** The node a node subject names, else null. */
export function nodeOfSubject(subject: string): string | null {
  const parsed = parseSubject(subject);
  return parsed?.kind === 'node' ? parsed.name : null;
}

/** The target a target subject names, else null. */
export function targetOfSubject(subject: string): string | null {
  const parsed = parseSubject(subject);
  return parsed?.kind === 'target' ? parsed.name : null;
}

