import { describe, expect, it } from 'vitest';
import { renderIncident, STATE_COLORS, type IncidentView } from '../../src/core/render.js';
import { HOUR, incident, silence, T0 } from './fixtures.js';

function view(overrides: Partial<IncidentView> = {}): IncidentView {
  return {
    incident: incident({ subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady' }),
    silence: null,
    targets: [{ name: 'frigate', health: 'down', detail: 'HTTP 503 Service Unavailable' }],
    nodes: [{ name: 'node-a', ready: 'False', unschedulable: false }],
    nextRestart: 'blocked: node node-a is NotReady',
    ...overrides,
  };
}

describe('renderIncident', () => {
  it('shows subject, state, cause, targets, nodes, since as a Discord timestamp, restarts and buttons', () => {
    const out = renderIncident(view());
    expect(out.title).toBe('Incident: node:node-a');
    expect(out.description).toBe('node node-a is NotReady');
    expect(out.color).toBe(STATE_COLORS.open);
    const fields = Object.fromEntries(out.fields.map((f) => [f.name, f.value]));
    expect(fields.Since).toBe(`<t:${Math.floor((T0 - 10 * 60_000) / 1000)}:R>`);
    expect(fields.Targets).toContain('frigate — HTTP 503');
    expect(fields.Nodes).toBe('node-a: NotReady');
    expect(fields.Restarts).toContain('blocked: node node-a is NotReady');
    expect(out.buttons.map((b) => b.label)).toEqual(['Acknowledge', 'Silence 1h', 'Restart']);
  });

  it('is a pure function of state: rendering twice gives the same message', () => {
    expect(renderIncident(view())).toEqual(renderIncident(view()));
  });

  it('shows who acknowledged, the silence, and disables Acknowledge once acknowledged', () => {
    const out = renderIncident(
      view({ incident: incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 }), silence: silence({ endsAt: T0 + HOUR }) }),
    );
    expect(out.color).toBe(STATE_COLORS.acknowledged);
    const fields = Object.fromEntries(out.fields.map((f) => [f.name, f.value]));
    expect(fields['Acknowledged by']).toContain('<@42>');
    expect(fields['Silenced until']).toContain(`<t:${Math.floor((T0 + HOUR) / 1000)}:f>`);
    expect(out.buttons.find((b) => b.label === 'Acknowledge')?.disabled).toBe(true);
  });

  it('a resolved incident is green, has no buttons and no pending-restart line', () => {
    const out = renderIncident(view({ incident: incident({ state: 'resolved', resolvedAt: T0 }) }));
    expect(out.color).toBe(STATE_COLORS.resolved);
    expect(out.title).toBe('Resolved: target:frigate');
    expect(out.buttons).toEqual([]);
    expect(out.fields.find((f) => f.name === 'Restarts')?.value).not.toContain('Next');
  });
});
