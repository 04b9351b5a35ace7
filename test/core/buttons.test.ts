import { describe, expect, it } from 'vitest';
import { incidentButtonId, parseIncidentButton, SILENCE_BUTTON_LABEL, SILENCE_BUTTON_MS } from '../../src/core/buttons.js';
import { renderIncident } from '../../src/core/render.js';
import { incident } from './fixtures.js';

describe('incident buttons', () => {
  it('reads back every id it writes, and nothing else', () => {
    for (const action of ['ack', 'silence', 'restart', 'logs'] as const) expect(parseIncidentButton(incidentButtonId(action, 42))).toEqual({ action, incidentId: 42 });
    for (const id of ['ack:', 'ack:x', 'mute:1', 'ack:1:2', 'restart:-1', ':1', 'ack 1', 'ACK:1']) expect(parseIncidentButton(id)).toBeNull();
  });

  it('labels the Silence button with the length it silences', () => {
    expect(SILENCE_BUTTON_MS).toBe(3_600_000);
    expect(SILENCE_BUTTON_LABEL).toBe('Silence 1h');
  });

  it('is what the message draws: the router can read every button render puts on it', () => {
    const view = { incident: incident({ id: 9 }), silence: null, targets: [], nodes: [], nextRestart: null };
    const buttons = renderIncident(view).buttons;
    expect(buttons.map((b) => parseIncidentButton(b.id))).toEqual([
      { action: 'ack', incidentId: 9 },
      { action: 'silence', incidentId: 9 },
      { action: 'restart', incidentId: 9 },
      { action: 'logs', incidentId: 9 },
    ]);
    expect(buttons[1]!.label).toBe(SILENCE_BUTTON_LABEL);
  });
});
