import type { Incident } from './types.js';

/** What deciding on fallback emails looks at. */
export interface FallbackInput {
  now: number;
  /** Since when Discord has failed to answer, or null while it answers. */
  discordUnreachableSince: number | null;
  /** `notify.email.fallbackAfter`, or null when email is not configured. */
  fallbackAfter: number | null;
  openIncidents: Incident[];
  /** Incidents with Discord effects not yet delivered: what Discord has not been told. */
  untold: Set<number>;
  /** Incidents that already got their fallback email (once per incident, ever). */
  alreadyEmailed: Set<number>;
}

/**
 * The incidents to email now because Discord has been unreachable for longer than `fallbackAfter`
 * and has not been told about them (SPEC §5); each incident at most once.
 */
export function fallbackEmailsDue(input: FallbackInput): number[] {
  const { discordUnreachableSince: since, fallbackAfter } = input;
  if (since === null || fallbackAfter === null || input.now - since < fallbackAfter) return [];
  return input.openIncidents
    .map((i) => i.id)
    .filter((id): id is number => id !== null && input.untold.has(id) && !input.alreadyEmailed.has(id));
}
