import { alertSubjectNamed, nodeSubject, parseSubject, targetSubject } from './subject.js';
import { clip, escapeMarkdown, oneLine } from './text.js';
import type { Incident, Silence, SilenceScope } from './types.js';

/** Where a silence stands at `now`; derived from its times, never stored (Alertmanager style). */
export type SilenceStatus = 'active' | 'expired';

/**
 * Derives a silence's status from its end and lift times. Every silence starts when a person makes it,
 * so a start after `now` only means the wall clock stepped back: it stays in force (never "pending"),
 * until its end. A lift is something that happened, whatever its date.
 */
export function silenceStatus(silence: Silence, now: number): SilenceStatus {
  if (silence.liftedAt !== null) return 'expired';
  return now < silence.endsAt ? 'active' : 'expired';
}

/** The silence of everything (maintenance). */
export const EVERYTHING: SilenceScope = { kind: 'everything' };

/**
 * The scope that silences exactly an incident's subject (the Silence button): its target, its node,
 * its alert group, or — for stormguard's own problems (the API, its setup, its view) — everything.
 */
export function scopeOfSubject(subject: string): SilenceScope {
  const parsed = parseSubject(subject);
  if (parsed === null || parsed.kind === 'cluster' || parsed.kind === 'setup' || parsed.kind === 'observer') return EVERYTHING;
  return { kind: parsed.kind, name: parsed.name };
}

/**
 * The scope in words for people: `everything`, `frigate`, `node k3s-2`; an Alertmanager group by its
 * incident's title (render's `incidentTitle`, which the shell looks up) in quotes — made literal and
 * short, it is Alertmanager's text — or by its subject when no incident of the group is known.
 */
export function describeScope(scope: SilenceScope, alertTitle: string | null = null): string {
  if (scope.kind === 'alert') return alertTitle ? `“${escapeMarkdown(clip(oneLine(alertTitle), ALERT_TITLE_LIMIT))}”` : alertSubjectNamed(scope.name);
  return scope.kind === 'everything' ? 'everything' : scope.kind === 'node' ? `node ${scope.name}` : scope.name;
}

/** An alert group's title in a reply, a note or a `/silence` list line (those are clipped at 300). */
const ALERT_TITLE_LIMIT = 150;

/** The incident subject a scope names, or null for everything. */
export function subjectOfScope(scope: SilenceScope): string | null {
  if (scope.kind === 'alert') return alertSubjectNamed(scope.name);
  return scope.kind === 'everything' ? null : scope.kind === 'node' ? nodeSubject(scope.name) : targetSubject(scope.name);
}

/** What a silence is asked about: an incident, or one target together with the open incident that covers it. */
export type Muteable =
  | { incident: Pick<Incident, 'subject' | 'targets'>; target?: undefined }
  | { target: string; incident: Pick<Incident, 'subject' | 'targets'> | null };

/**
 * Whether a silence of `scope` by itself mutes `about`: a silence of everything mutes all; a target's or
 * a node's silence mutes the incident with that subject, and a target's silence mutes that target —
 * as does the silence of the incident that covers it.
 */
export function scopeMutes(scope: SilenceScope, about: Muteable): boolean {
  const subject = subjectOfScope(scope);
  if (subject === null) return true;
  if (about.incident !== null && about.incident.subject === subject) return true;
  return about.target !== undefined && subject === targetSubject(about.target);
}

/**
 * The silence that mutes `about` at `now` — the longest of those that mute it by themselves; else, for
 * an incident listing targets, the silences covering every one of them (a node incident is quiet only
 * if all it affects is), the first to end. The button, `/silence`, `/status`, the gate and the incident
 * message all ask this one function.
 */
export function activeSilenceFor(about: Muteable, silences: Silence[], now: number): Silence | null {
  const active = silences.filter((s) => silenceStatus(s, now) === 'active');
  const own = longest(active.filter((s) => scopeMutes(s.scope, about)));
  if (own || about.target !== undefined || about.incident.targets.length === 0) return own;
  const perTarget = about.incident.targets.map((target) => longest(active.filter((s) => scopeMutes(s.scope, { target, incident: null }))));
  if (perTarget.some((s) => s === null)) return null;
  return perTarget.reduce((a, b) => (b!.endsAt < a!.endsAt ? b : a))!;
}

/**
 * The silences `/silence off` lifts: with no target every active one; for a target the active silences
 * that mute it — its own and its incident's — but not a silence of everything, which only an `off`
 * without a target lifts.
 */
export function silencesToLift(about: Extract<Muteable, { target: string }> | null, silences: Silence[], now: number): Silence[] {
  const live = silences.filter((s) => silenceStatus(s, now) !== 'expired');
  if (about === null) return live;
  return live.filter((s) => s.scope.kind !== 'everything' && scopeMutes(s.scope, about));
}

/** Whether two scopes name the same thing (everything, or the same target, node or alert group). */
export function sameScope(a: SilenceScope, b: SilenceScope): boolean {
  return a.kind === b.kind && (a.kind === 'everything' || a.name === (b as { name: string }).name);
}

/**
 * The silences in force at `now` with exactly this scope: what a new silence of the scope replaces (one
 * silence per scope: a later `/silence` or a second click sets its end, never stacks a second), and what
 * stormguard asks Alertmanager to hold for an alert group.
 */
export function silencesOfScope(scope: SilenceScope, silences: Silence[], now: number): Silence[] {
  return silences.filter((s) => silenceStatus(s, now) === 'active' && sameScope(s.scope, scope));
}

function longest(candidates: Silence[]): Silence | null {
  return candidates.reduce<Silence | null>((best, s) => (best === null || s.endsAt > best.endsAt ? s : best), null);
}
