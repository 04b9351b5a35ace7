/**
 * The incident message's buttons as data — the one owner of their custom ids (`ack:<id>`,
 * `silence:<id>`, `restart:<id>`, `logs:<id>`) and of how long the Silence button silences: render draws them from
 * here, the interaction router reads clicks back with the same rules.
 */
import { formatDuration } from './duration.js';

/** What a button on the incident message does. */
export type IncidentButtonAction = 'ack' | 'silence' | 'restart' | 'logs';

const ACTIONS: readonly IncidentButtonAction[] = ['ack', 'silence', 'restart', 'logs'];

/** How long the Silence button silences: an hour, a night's nap from a phone. */
export const SILENCE_BUTTON_MS = 3_600_000;

/** The Silence button's label, from its length ("Silence 1h"). */
export const SILENCE_BUTTON_LABEL = `Silence ${formatDuration(SILENCE_BUTTON_MS)}`;

/** The custom id of an incident's button. */
export function incidentButtonId(action: IncidentButtonAction, incidentId: number | null): string {
  return `${action}:${incidentId}`;
}

/** The action and incident id of a custom id, or null when it is not one of the incident buttons. */
export function parseIncidentButton(customId: string): { action: IncidentButtonAction; incidentId: number } | null {
  const match = /^([a-z]+):(\d+)$/.exec(customId);
  if (!match || !ACTIONS.includes(match[1] as IncidentButtonAction)) return null;
  return { action: match[1] as IncidentButtonAction, incidentId: Number(match[2]) };
}
