import { describe, expect, it } from 'vitest';
import { incidentTitle, nodeLabel, renderIncident, STATE_COLORS, summarize, type IncidentView, type RenderedMessage } from '../../src/core/render.js';
import type { Incident } from '../../src/core/types.js';
import { HOUR, incident, MIN, silence, T0 } from './fixtures.js';

const unix = (ms: number) => Math.floor(ms / 1000);

function view(overrides: Partial<IncidentView> = {}): IncidentView {
  return { incident: incident(), silence: null, targets: [], nodes: [], nextRestart: null, ...overrides };
}

function fields(out: RenderedMessage): Record<string, { value: string; inline: boolean }> {
  return Object.fromEntries(out.fields.map((f) => [f.name, { value: f.value, inline: f.inline }]));
}

describe('renderIncident: buttons', () => {
  // [incident, Acknowledge disabled, Silence 1h disabled, Restart disabled]
  it.each([
    ['open target incident', incident(), false, false, false],
    ['acknowledged target incident', incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 }), true, false, false],
    ['open node incident listing targets', incident({ subject: 'node:node-a', kind: 'node', targets: ['frigate'] }), false, false, false],
    ['open node incident without targets (nothing to restart)', incident({ subject: 'node:node-a', kind: 'node', targets: [] }), false, false, true],
    ['acknowledged cluster incident', incident({ subject: 'cluster', kind: 'cluster', targets: [], state: 'acknowledged', acknowledgedBy: '42' }), true, false, true],
    // Its targets' restarts would all be refused: the fix is RBAC or the configuration.
    ['open setup incident listing targets', incident({ subject: 'setup:forbidden/namespace/media', kind: 'setup', targets: ['jellyfin'] }), false, false, true],
  ] as Array<[string, Incident, boolean, boolean, boolean]>)('%s', (_name, inc, ack, silenceButton, restartButton) => {
    expect(renderIncident(view({ incident: inc })).buttons).toEqual([
      { id: `ack:${inc.id}`, label: 'Acknowledge', style: 'primary', disabled: ack },
      { id: `silence:${inc.id}`, label: 'Silence 1h', style: 'secondary', disabled: silenceButton },
      { id: `restart:${inc.id}`, label: 'Restart', style: 'danger', disabled: restartButton },
    ]);
  });

  it('a resolved incident has no buttons', () => {
    expect(renderIncident(view({ incident: incident({ state: 'resolved', resolvedAt: T0 }) })).buttons).toEqual([]);
  });
});

describe('renderIncident: fields', () => {
  it('an open incident without targets, nodes or a restart plan shows exactly state, since and restarts', () => {
    const out = renderIncident(view());
    expect(out.fields).toEqual([
      { name: 'State', value: 'open', inline: true },
      { name: 'Since', value: `<t:${unix(T0 - 10 * MIN)}:R>`, inline: true },
      { name: 'Restarts', value: '0 automatic', inline: false },
    ]);
    expect(out.title).toBe('frigate is down');
    expect(out.color).toBe(0xe74c3c);
  });

  it('shows the Resolved time only once resolved', () => {
    const resolved = renderIncident(view({ incident: incident({ state: 'resolved', resolvedAt: T0 + 5 * MIN }) }));
    expect(fields(resolved).Resolved).toEqual({ value: `<t:${unix(T0 + 5 * MIN)}:R>`, inline: true });
    expect(resolved.color).toBe(0x2ecc71);
    // A stale resolution time on a reopened incident is not shown.
    expect(fields(renderIncident(view({ incident: incident({ state: 'open', resolvedAt: T0 }) }))).Resolved).toBeUndefined();
    expect(fields(renderIncident(view({ incident: incident({ state: 'resolved', resolvedAt: null }) }))).Resolved).toBeUndefined();
  });

  it('lists targets with their health, the detail only for a down target, clipped to 80 characters', () => {
    const long = 'x'.repeat(100);
    const out = renderIncident(
      view({
        targets: [
          { name: 'frigate', health: 'down', detail: long },
          { name: 'hass', health: 'up', detail: 'HTTP 200' },
          { name: 'zigbee', health: 'unknown', detail: 'API unreachable' },
          { name: 'mqtt', health: 'down', detail: '' },
          { name: 'nvr', health: 'down', detail: 'y'.repeat(80) },
        ],
      }),
    );
    expect(fields(out).Targets).toEqual({
      // Down first, in their order, then unknown, then up: what is broken stays visible.
      value: [`🔴 frigate — ${'x'.repeat(79)}…`, '🔴 mqtt', `🔴 nvr — ${'y'.repeat(80)}`, '⚪ zigbee', '🟢 hass'].join('\n'),
      inline: false,
    });
  });

  it('lists nodes the way kubectl names their readiness', () => {
    const out = renderIncident(
      view({
        nodes: [
          { name: 'a', ready: 'True', unschedulable: false },
          { name: 'b', ready: 'False', unschedulable: false },
          { name: 'c', ready: 'Unknown', unschedulable: false },
          { name: 'd', ready: 'missing', unschedulable: false },
          { name: 'e', ready: 'True', unschedulable: true },
        ],
      }),
    );
    expect(fields(out).Nodes).toEqual({ value: 'a: Ready\nb: NotReady\nc: Unknown\nd: missing\ne: Ready, cordoned', inline: false });
  });

  it.each([
    [incident({ restartCount: 2 }), 'in 4m', '2 automatic\nNext: in 4m'],
    [incident({ restartCount: 3, needsHuman: true }), null, '3 automatic — stopped, needs a human'],
    [incident({ restartCount: 1, state: 'resolved', resolvedAt: T0 }), 'in 4m', '1 automatic'],
    [incident({ state: 'acknowledged' }), `${'z'.repeat(250)}`, `0 automatic\nNext: ${'z'.repeat(199)}…`],
  ] as Array<[Incident, string | null, string]>)('restarts field %#', (inc, nextRestart, value) => {
    expect(fields(renderIncident(view({ incident: inc, nextRestart }))).Restarts).toEqual({ value, inline: false });
  });

  it('shows who acknowledged and when, falling back to the opening time', () => {
    const at = fields(renderIncident(view({ incident: incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 }) })));
    expect(at['Acknowledged by']).toEqual({ value: `<@42> <t:${unix(T0)}:R>`, inline: true });
    const without = fields(renderIncident(view({ incident: incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: null }) })));
    expect(without['Acknowledged by']?.value).toBe(`<@42> <t:${unix(T0 - 10 * MIN)}:R>`);
  });

  it('shows the silence until it is resolved', () => {
    const s = silence({ endsAt: T0 + HOUR, createdBy: '77' });
    expect(fields(renderIncident(view({ silence: s })))['Silenced until']).toEqual({ value: `<t:${unix(T0 + HOUR)}:f> by <@77>`, inline: true });
    expect(fields(renderIncident(view({ silence: s, incident: incident({ state: 'resolved', resolvedAt: T0 }) })))['Silenced until']).toBeUndefined();
  });

  it('counts reopenings in the state', () => {
    expect(fields(renderIncident(view({ incident: incident({ reopenCount: 2 }) }))).State?.value).toBe('open (reopened 2×)');
  });

  it('clips the cause to 1000 characters', () => {
    expect(renderIncident(view({ incident: incident({ cause: 'c'.repeat(1000) }) })).description).toBe('c'.repeat(1000));
    expect(renderIncident(view({ incident: incident({ cause: 'c'.repeat(1001) }) })).description).toBe(`${'c'.repeat(999)}…`);
  });
});

describe('helpers', () => {
  it('colours by state', () => {
    expect(STATE_COLORS).toEqual({ open: 0xe74c3c, acknowledged: 0xf39c12, resolved: 0x2ecc71 });
  });

  it('summarize is one line with state, subject and cause', () => {
    expect(summarize(incident())).toBe('[open] target:frigate: frigate is down: HTTP 503');
  });

  it('nodeLabel marks cordoned nodes', () => {
    expect(nodeLabel({ name: 'n', ready: 'False', unschedulable: true })).toBe('NotReady, cordoned');
  });
});

describe('incidentTitle: stormguard’s own problems', () => {
  it('a setup or observer incident is titled by its cause on one line, and once resolved by how long it lasted', () => {
    const setup = incident({ subject: 'setup:missing/ghost', kind: 'setup', targets: ['ghost'], openedAt: T0, cause: 'Deployment nvr/ghost not found —\ncheck targets[3].workload' });
    expect(incidentTitle(view({ incident: setup }))).toBe('Deployment nvr/ghost not found — check targets[3].workload');
    const resolved = { ...setup, state: 'resolved' as const, resolvedAt: T0 + 12 * MIN, cause: 'Deployment nvr/ghost exists' };
    expect(incidentTitle(view({ incident: resolved }))).toBe('Resolved after 12m: Deployment nvr/ghost exists');
    const observer = incident({ subject: 'observer', kind: 'observer', targets: [], cause: 'x'.repeat(300) });
    expect(incidentTitle(view({ incident: observer }))).toHaveLength(200);
  });
});
