import type { Incident, Silence } from './types.js';

/** Where a silence stands at `now`; derived from its times, never stored (Alertmanager style). */
export type SilenceStatus = 'pending' | 'active' | 'expired';

/** Derives a silence's status from its start, end and lift times. */
export function silenceStatus(silence: Silence, now: number): SilenceStatus {
  if (silence.liftedAt !== null && silence.liftedAt <= now) return 'expired';
  if (now < silence.startsAt) return 'pending';
  return now < silence.endsAt ? 'active' : 'expired';
}

/** The active silence covering one target (its own or a silence of everything), the longest first. */
export function activeSilenceForTarget(target: string, silences: Silence[], now: number): Silence | null {
  return longest(silences.filter((s) => (s.target === null || s.target === target) && silenceStatus(s, now) === 'active'));
}

/** The active silence of everything (maintenance), if any. */
export function activeGlobalSilence(silences: Silence[], now: number): Silence | null {
  return longest(silences.filter((s) => s.target === null && silenceStatus(s, now) === 'active'));
}

/**
 * The silence that mutes an incident: a silence of everything, or — for an incident that lists
 * targets — silences covering every one of them (a node incident is only quiet if all it affects is).
 */
export function activeSilenceForIncident(incident: Incident, silences: Silence[], now: number): Silence | null {
  const global = activeGlobalSilence(silences, now);
  if (global) return global;
  // The Silence button silences the incident's subject itself (e.g. `node:k3s-2`).
  const own = longest(silences.filter((s) => s.target === incident.subject && silenceStatus(s, now) === 'active'));
  if (own) return own;
  if (incident.targets.length === 0) return null;
  const perTarget = incident.targets.map((t) => activeSilenceForTarget(t, silences, now));
  if (perTarget.some((s) => s === null)) return null;
  // All covered: the incident is quiet until the first of them ends.
  return perTarget.reduce((a, b) => (b!.endsAt < a!.endsAt ? b : a))!;
}

function longest(candidates: Silence[]): Silence | null {
  return candidates.reduce<Silence | null>((best, s) => (best === null || s.endsAt > best.endsAt ? s : best), null);
}
