import { describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/core/diagnosis.js';
import { incidentTitle, nodeLabel, renderIncident, STATE_COLORS, summarize, type IncidentView, type RenderedMessage } from '../../src/core/render.js';
import type { Incident } from '../../src/core/types.js';
import { HOUR, incident, maintenanceRecord, MIN, SEC, silence, T0 } from './fixtures.js';

const unix = (ms: number) => Math.floor(ms / 1000);

/** Frigate's open incident and nothing else: no targets, nodes or restart plan. */
function view(overrides: Partial<IncidentView> = {}): IncidentView {
  return { incident: incident(), silence: null, targets: [], nodes: [], nextRestart: null, ...overrides };
}

/** node-a NotReady with frigate down on it, its restart blocked by the node. */
function nodeView(overrides: Partial<IncidentView> = {}): IncidentView {
  return view({
    incident: incident({ subject: 'node:node-a', kind: 'node', cause: 'node node-a is NotReady' }),
    targets: [{ name: 'frigate', health: 'down', detail: 'HTTP 503 Service Unavailable' }],
    nodes: [{ name: 'node-a', ready: 'False', unschedulable: false }],
    nextRestart: 'blocked: node node-a is NotReady',
    ...overrides,
  });
}

const resolvedAfter = (ms: number) => ({ state: 'resolved' as const, openedAt: T0, resolvedAt: T0 + ms });

function fields(out: RenderedMessage): Record<string, { value: string; inline: boolean }> {
  return Object.fromEntries(out.fields.map((f) => [f.name, { value: f.value, inline: f.inline }]));
}

describe('renderIncident', () => {
  it('shows subject, state, cause, targets, nodes, since as a Discord timestamp, restarts and buttons', () => {
    const out = renderIncident(nodeView());
    expect(out.title).toBe('node-a is NotReady — 1 service affected');
    expect(out.description).toBe('node node-a is NotReady');
    expect(out.color).toBe(STATE_COLORS.open);
    const fields = Object.fromEntries(out.fields.map((f) => [f.name, f.value]));
    expect(fields.Since).toBe(`<t:${Math.floor((T0 - 10 * 60_000) / 1000)}:R>`);
    expect(fields.Targets).toContain('frigate — HTTP 503');
    expect(fields.Nodes).toBe('node-a: NotReady');
    expect(fields.Restarts).toContain('blocked: node node-a is NotReady');
    expect(out.buttons.map((b) => b.label)).toEqual(['Acknowledge', 'Silence 1h', 'Restart', 'Logs']);
  });

  it('is a pure function of state: rendering twice gives the same message', () => {
    expect(renderIncident(nodeView())).toEqual(renderIncident(nodeView()));
  });

  it('shows who acknowledged, the silence, and disables Acknowledge once acknowledged', () => {
    const out = renderIncident(
      nodeView({ incident: incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 }), silence: silence({ endsAt: T0 + HOUR }) }),
    );
    expect(out.color).toBe(STATE_COLORS.acknowledged);
    const fields = Object.fromEntries(out.fields.map((f) => [f.name, f.value]));
    expect(fields['Acknowledged by']).toContain('<@42>');
    expect(fields['Silenced until']).toContain(`<t:${Math.floor((T0 + HOUR) / 1000)}:f>`);
    expect(out.buttons.find((b) => b.label === 'Acknowledge')?.disabled).toBe(true);
  });

  it('a resolved incident is green, has only the Export button and no pending-restart line', () => {
    const out = renderIncident(nodeView({ incident: incident({ state: 'resolved', resolvedAt: T0 }) }));
    expect(out.color).toBe(STATE_COLORS.resolved);
    expect(out.title).toBe('frigate is back — down for 10m');
    expect(out.buttons.map((b) => b.label)).toEqual(['Export']);
    expect(out.fields.find((f) => f.name === 'Restarts')?.value).not.toContain('Next');
  });
});

describe('renderIncident: buttons', () => {
  // [incident, Acknowledge disabled, Silence 1h disabled, Restart disabled, Logs shown]
  it.each([
    ['open target incident', incident(), false, false, false, true],
    ['acknowledged target incident', incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 }), true, false, false, true],
    ['open node incident listing targets', incident({ subject: 'node:node-a', kind: 'node', targets: ['frigate'] }), false, false, false, true],
    ['open node incident without targets (nothing to restart, no log to read)', incident({ subject: 'node:node-a', kind: 'node', targets: [] }), false, false, true, false],
    ['acknowledged cluster incident', incident({ subject: 'cluster', kind: 'cluster', targets: [], state: 'acknowledged', acknowledgedBy: '42' }), true, false, true, false],
    // Its targets' restarts would all be refused: the fix is RBAC or the configuration (and their logs cannot say so).
    ['open setup incident listing targets', incident({ subject: 'setup:forbidden/namespace/media', kind: 'setup', targets: ['jellyfin'] }), false, false, true, false],
  ] as Array<[string, Incident, boolean, boolean, boolean, boolean]>)('%s', (_name, inc, ack, silenceButton, restartButton, logsButton) => {
    expect(renderIncident(view({ incident: inc })).buttons).toEqual([
      { id: `ack:${inc.id}`, label: 'Acknowledge', style: 'primary', disabled: ack },
      { id: `silence:${inc.id}`, label: 'Silence 1h', style: 'secondary', disabled: silenceButton },
      { id: `restart:${inc.id}`, label: 'Restart', style: 'danger', disabled: restartButton },
      ...(logsButton ? [{ id: `logs:${inc.id}`, label: 'Logs', style: 'secondary', disabled: false }] : []),
    ]);
  });

  it('a resolved incident has one button: Export (its post-mortem), none of the actions on an open one', () => {
    const resolved = incident({ state: 'resolved', resolvedAt: T0 });
    expect(renderIncident(view({ incident: resolved })).buttons).toEqual([{ id: `export:${resolved.id}`, label: 'Export', style: 'secondary', disabled: false }]);
    // Not saved yet, it has no number to export by.
    expect(renderIncident(view({ incident: { ...resolved, id: null } })).buttons).toEqual([{ id: 'export:null', label: 'Export', style: 'secondary', disabled: true }]);
  });

  it('link buttons are the view’s links, none without', () => {
    const links = [{ label: 'Grafana', url: 'https://grafana.example/d/1' }];
    expect(renderIncident(view({ links })).links).toEqual(links);
    expect(renderIncident(view()).links).toEqual([]);
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

  it('shows the maintenance window over it until it is resolved', () => {
    const window = { until: T0 + HOUR, origin: 'NAS firmware, by <@77>' };
    expect(fields(renderIncident(view({ window })))['In maintenance until']).toEqual({ value: `<t:${unix(T0 + HOUR)}:f> — NAS firmware, by <@77>`, inline: true });
    expect(fields(renderIncident(view({ window, incident: incident({ state: 'resolved', resolvedAt: T0 }) })))['In maintenance until']).toBeUndefined();
    expect(fields(renderIncident(view({ window: null })))['In maintenance until']).toBeUndefined();
  });

  it('counts reopenings in the state', () => {
    expect(fields(renderIncident(view({ incident: incident({ reopenCount: 2 }) }))).State?.value).toBe('open (reopened 2×)');
  });

  it('clips the cause to 1000 characters', () => {
    expect(renderIncident(view({ incident: incident({ cause: 'c'.repeat(1000) }) })).description).toBe('c'.repeat(1000));
    expect(renderIncident(view({ incident: incident({ cause: 'c'.repeat(1001) }) })).description).toBe(`${'c'.repeat(999)}…`);
  });
});

describe('renderIncident: long lists', () => {
  it('the targets that do not fit are counted, with how many of those are down', () => {
    const down = Array.from({ length: 30 }, (_, i) => ({ name: `down-${String(i).padStart(2, '0')}-${'x'.repeat(40)}`, health: 'down' as const, detail: '' }));
    const up = Array.from({ length: 30 }, (_, i) => ({ name: `up-${String(i).padStart(2, '0')}-${'x'.repeat(40)}`, health: 'up' as const, detail: '' }));
    const out = renderIncident(view({ incident: incident({ subject: 'node:node-a', kind: 'node', targets: [...up, ...down].map((t) => t.name) }), targets: [...up, ...down] }));
    const lines = out.fields.find((f) => f.name === 'Targets')!.value.split('\n');
    const shown = lines.slice(0, -1);
    const shownDown = shown.filter((l) => l.startsWith('🔴')).length;
    // Down first; the hidden ones are the rest of the down targets and every up one.
    expect(shown.every((l) => l.startsWith('🔴'))).toBe(true);
    expect(lines.at(-1)).toBe(`… and ${60 - shown.length} more (${30 - shownDown} down)`);
  });

  it('the nodes that do not fit are counted', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => ({ name: `node-${i}-${'n'.repeat(40)}`, ready: 'False' as const, unschedulable: false }));
    const lines = renderIncident(view({ nodes })).fields.find((f) => f.name === 'Nodes')!.value.split('\n');
    expect(lines.at(-1)).toBe(`… and ${40 - (lines.length - 1)} more`);
  });
});

describe('renderIncident: why it is down', () => {
  const pull: Diagnosis = { reason: 'imagePull', apiReason: 'ImagePullBackOff', container: 'frigate', message: 'Back-off pulling image "ghcr.io/blakeblackshear/frigate:0.14"', summary: 'frigate cannot pull its image', hint: 'image ghcr.io/blakeblackshear/frigate:0.14 cannot be pulled — check the tag and the registry\'s credentials; a restart pulls the same image again', restart: 'cannotHelp', change: null };
  const own = (diagnoses: Record<string, Diagnosis>) => nodeView({ incident: incident({ diagnoses }), targets: [{ name: 'frigate', health: 'down', detail: 'HTTP 503' }] });
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
    const node = nodeView({ incident: incident({ subject: 'node:node-a', kind: 'node', targets: ['frigate', 'mqtt'], diagnoses: { mqtt: { ...pull, summary: 'mqtt cannot be scheduled', apiReason: 'Unschedulable', container: null, message: '0/3 nodes are available: 3 Insufficient memory.' }, gone: pull } }) });
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

describe('incidentTitle: what people read at a glance', () => {
  const node = (ready: 'True' | 'False' | 'Unknown', targets: Array<{ name: string; health: 'up' | 'down' | 'unknown'; detail: string }>) =>
    nodeView({ incident: incident({ subject: 'node:node-a', targets: targets.map((t) => t.name) }), targets, nodes: [{ name: 'node-a', ready, unschedulable: false }] });
  const down = (name: string, detail = '') => ({ name, health: 'down' as const, detail });

  it.each([
    ['a NotReady node with three services on it', node('False', [down('frigate'), down('mqtt'), down('hass')]), 'node-a is NotReady — 3 services affected'],
    ['a node whose Ready condition is Unknown, nothing on it', node('Unknown', []), 'node-a is Unknown'],
    ['a node Ready again while a service is still down', node('True', [down('frigate'), { name: 'mqtt', health: 'up', detail: '' }]), 'node-a is Ready again — 1 of 2 services still down'],
    ['a NotReady node with one service on it', node('False', [down('frigate')]), 'node-a is NotReady — 1 service affected'],
    ['a node Ready again with its one service still down', node('True', [down('frigate')]), 'node-a is Ready again — 1 of 1 service still down'],
    ['a target down with an HTTP status', nodeView({ incident: incident({ subject: 'target:frigate', targets: ['frigate'] }), targets: [down('frigate', 'HTTP 503 Service Unavailable')] }), 'frigate is down (HTTP 503)'],
    ['a target down without an HTTP status', nodeView({ incident: incident({ subject: 'target:mqtt', targets: ['mqtt'] }), targets: [down('mqtt', 'TCP connect refused')] }), 'mqtt is down (TCP connect refused)'],
    ['the cluster', nodeView({ incident: incident({ subject: 'cluster', targets: [] }), targets: [], nodes: [] }), 'The Kubernetes API does not answer'],
    ['a resolved node outage of two hours and four minutes', nodeView({ incident: incident({ subject: 'node:node-a', state: 'resolved', openedAt: T0, resolvedAt: T0 + 2 * HOUR + 4 * 60_000 + 20_000 }) }), 'node-a is back — down for 2h4m'],
  ])('%s', (_name, v, title) => {
    expect(incidentTitle(v)).toBe(title);
  });
});

describe('incidentTitle: every kind, open and resolved', () => {
  it.each<[string, IncidentView, string]>([
    ['a subject of no known kind', view({ incident: incident({ subject: 'weird' }) }), 'Incident: weird'],
    ['a subject of no known kind, resolved', view({ incident: incident({ subject: 'weird', ...resolvedAfter(5 * MIN) }) }), 'Resolved: weird — down for 5m'],
    ['the cluster, resolved', view({ incident: incident({ subject: 'cluster', kind: 'cluster', targets: [], ...resolvedAfter(HOUR) }) }), 'The Kubernetes API is back — down for 1h'],
    ['a target, resolved', view({ incident: incident(resolvedAfter(90 * MIN)) }), 'frigate is back — down for 1h30m'],
    ['a node, resolved', view({ incident: incident({ subject: 'node:node-a', kind: 'node', ...resolvedAfter(2 * MIN) }) }), 'node-a is back — down for 2m'],
    ['an outage under a minute is shown in seconds', view({ incident: incident(resolvedAfter(20 * SEC)) }), 'frigate is back — down for 20s'],
    ['an outage of exactly a minute', view({ incident: incident(resolvedAfter(MIN)) }), 'frigate is back — down for 1m'],
    ['an outage just under a minute', view({ incident: incident(resolvedAfter(MIN - SEC)) }), 'frigate is back — down for 59s'],
    ['an outage under a second is at least one second', view({ incident: incident(resolvedAfter(400)) }), 'frigate is back — down for 1s'],
    ['a setup problem', view({ incident: incident({ subject: 'setup:forbidden/namespace/media', kind: 'setup', cause: 'stormguard may not list pods in media' }) }), 'stormguard may not list pods in media'],
    ['a setup problem, resolved', view({ incident: incident({ subject: 'setup:forbidden/namespace/media', kind: 'setup', cause: 'solved', ...resolvedAfter(3 * MIN) }) }), 'Resolved after 3m: solved'],
    ['stormguard’s own view', view({ incident: incident({ subject: 'observer', kind: 'observer', cause: 'half of the targets failed at once' }) }), 'half of the targets failed at once'],
    ['a node not in the view is NotReady', view({ incident: incident({ subject: 'node:node-a', kind: 'node', targets: [] }) }), 'node-a is NotReady'],
    [
      'a node named among others in the view',
      view({ incident: incident({ subject: 'node:node-a', kind: 'node', targets: ['frigate'] }), nodes: [{ name: 'node-b', ready: 'True', unschedulable: false }, { name: 'node-a', ready: 'Unknown', unschedulable: false }] }),
      'node-a is Unknown — 1 service affected',
    ],
    [
      'a target named among others in the view',
      view({ incident: incident({ targets: ['hass', 'frigate'] }), targets: [{ name: 'hass', health: 'down', detail: 'HTTP 500' }, { name: 'frigate', health: 'down', detail: 'HTTP 503' }] }),
      'frigate is down (HTTP 503)',
    ],
  ])('%s', (_, v, title) => {
    expect(incidentTitle(v)).toBe(title);
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

describe('colours, summaries and node labels', () => {
  it.each([
    ['red', incident(), 0xe74c3c],
    ['orange', incident({ state: 'acknowledged', acknowledgedBy: '42', acknowledgedAt: T0 }), 0xf39c12],
    ['green', incident({ state: 'resolved', resolvedAt: T0 }), 0x2ecc71],
  ] as Array<[string, Incident, number]>)('colours by state: %s', (_name, inc, color) => {
    expect(renderIncident(view({ incident: inc })).color).toBe(color);
  });

  it('summarize is one line with state, subject and cause', () => {
    expect(summarize(incident())).toBe('[open] target:frigate: frigate is down: HTTP 503');
  });

  it('nodeLabel marks cordoned nodes', () => {
    expect(nodeLabel({ name: 'n', ready: 'False', unschedulable: true })).toBe('NotReady, cordoned');
  });
});

describe('incidentTitle: a planned maintenance (issue 23)', () => {
  const m = maintenanceRecord();

  it('while it runs: quiet words; the description is its sentence', () => {
    const v = nodeView({ incident: incident({ subject: 'node:node-a', kind: 'node', cause: 'node-a: planned maintenance (cordoned 19:50 UTC) — NotReady — frigate waiting' }), maintenance: m });
    expect(incidentTitle(v)).toBe('node-a: planned maintenance');
    expect(renderIncident(v).description).toBe('node-a: planned maintenance (cordoned 19:50 UTC) — NotReady — frigate waiting');
  });

  it('once over: its report', () => {
    const v = nodeView({ incident: incident({ subject: 'node:node-a', kind: 'node', ...resolvedAfter(23 * MIN), cause: 'maintenance of node-a over — 23m; frigate back' }), maintenance: { ...m, endedAt: T0 + 23 * MIN } });
    expect(incidentTitle(v)).toBe('maintenance of node-a over — 23m; frigate back');
  });

  it('without one, the node incident keeps its usual title', () => {
    expect(incidentTitle(nodeView({ maintenance: null }))).toBe('node-a is NotReady — 1 service affected');
  });
});
