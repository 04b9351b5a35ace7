import { describe, expect, it } from 'vitest';
import { incidentTitle, renderIncident, STATE_COLORS, type IncidentView } from '../../src/core/render.js';
import type { Diagnosis } from '../../src/core/diagnosis.js';
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
    expect(out.title).toBe('node-a is NotReady — 1 service affected');
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
    expect(out.title).toBe('frigate is back — down for 10m');
    expect(out.buttons).toEqual([]);
    expect(out.fields.find((f) => f.name === 'Restarts')?.value).not.toContain('Next');
  });
});

describe('incidentTitle: what people read at a glance', () => {
  const node = (ready: 'True' | 'False' | 'Unknown', targets: Array<{ name: string; health: 'up' | 'down' | 'unknown'; detail: string }>) =>
    view({ incident: incident({ subject: 'node:node-a', targets: targets.map((t) => t.name) }), targets, nodes: [{ name: 'node-a', ready, unschedulable: false }] });
  const down = (name: string, detail = '') => ({ name, health: 'down' as const, detail });

  it.each([
    ['a NotReady node with three services on it', node('False', [down('frigate'), down('mqtt'), down('hass')]), 'node-a is NotReady — 3 services affected'],
    ['a node whose Ready condition is Unknown, nothing on it', node('Unknown', []), 'node-a is Unknown'],
    ['a node Ready again while a service is still down', node('True', [down('frigate'), { name: 'mqtt', health: 'up', detail: '' }]), 'node-a is Ready again — 1 of 2 services still down'],
    ['a NotReady node with one service on it', node('False', [down('frigate')]), 'node-a is NotReady — 1 service affected'],
    ['a node Ready again with its one service still down', node('True', [down('frigate')]), 'node-a is Ready again — 1 of 1 service still down'],
    ['a target down with an HTTP status', view({ incident: incident({ subject: 'target:frigate', targets: ['frigate'] }), targets: [down('frigate', 'HTTP 503 Service Unavailable')] }), 'frigate is down (HTTP 503)'],
    ['a target down without an HTTP status', view({ incident: incident({ subject: 'target:mqtt', targets: ['mqtt'] }), targets: [down('mqtt', 'TCP connect refused')] }), 'mqtt is down (TCP connect refused)'],
    ['the cluster', view({ incident: incident({ subject: 'cluster', targets: [] }), targets: [], nodes: [] }), 'The Kubernetes API does not answer'],
    ['a resolved node outage of two hours and four minutes', view({ incident: incident({ subject: 'node:node-a', state: 'resolved', openedAt: T0, resolvedAt: T0 + 2 * HOUR + 4 * 60_000 + 20_000 }) }), 'node-a is back — down for 2h4m'],
  ])('%s', (_name, v, title) => {
    expect(incidentTitle(v)).toBe(title);
  });
});

describe('renderIncident: why it is down', () => {
  const pull: Diagnosis = { reason: 'imagePull', apiReason: 'ImagePullBackOff', container: 'frigate', message: 'Back-off pulling image "ghcr.io/blakeblackshear/frigate:0.14"', summary: 'frigate cannot pull its image', hint: 'image ghcr.io/blakeblackshear/frigate:0.14 cannot be pulled — check the tag and the registry\'s credentials; a restart pulls the same image again', restart: 'cannotHelp', change: null };
  const own = (diagnoses: Record<string, Diagnosis>) => view({ incident: incident({ diagnoses }), targets: [{ name: 'frigate', health: 'down', detail: 'HTTP 503' }] });
  const why = (v: IncidentView) => renderIncident(v).fields.find((f) => f.name === 'Why')?.value;

  it('titles a target incident with the reason and shows the API reason, container, message and hint', () => {
    const v = own({ frigate: pull });
    expect(incidentTitle(v)).toBe('frigate cannot pull its image');
    expect(why(v)).toBe(
      '**ImagePullBackOff** in container frigate: Back-off pulling image "ghcr.io/blakeblackshear/frigate:0.14"\n→ image ghcr.io/blakeblackshear/frigate:0.14 cannot be pulled — check the tag and the registry\'s credentials; a restart pulls the same image again',
    );
  });

  it('has no Why and the usual title when Kubernetes gives no reason', () => {
    expect(why(own({}))).toBeUndefined();
    expect(incidentTitle(own({}))).toBe('frigate is down (HTTP 503)');
  });

  it('lists the reason per target on a node incident, only for targets it still lists', () => {
    const node = view({ incident: incident({ subject: 'node:node-a', kind: 'node', targets: ['frigate', 'mqtt'], diagnoses: { mqtt: { ...pull, summary: 'mqtt cannot be scheduled', apiReason: 'Unschedulable', container: null, message: '0/3 nodes are available: 3 Insufficient memory.' }, gone: pull } }) });
    expect(why(node)).toBe('mqtt: **Unschedulable** — 0/3 nodes are available: 3 Insufficient memory.');
    expect(incidentTitle(node)).toBe('node-a is NotReady — 2 services affected');
  });

  it('makes the cluster text literal and keeps the field within Discord limits', () => {
    const hostile = { ...pull, container: 'c_1', message: `**x** @everyone <@1> ${'y'.repeat(5000)}`, hint: 'h'.repeat(5000) };
    const value = why(own({ frigate: hostile }))!;
    expect(value).toContain('in container c\\_1: \\*\\*x\\*\\* @\u200beveryone \\<@1\\>');
    expect(value.length).toBeLessThanOrEqual(1024);
  });
});
