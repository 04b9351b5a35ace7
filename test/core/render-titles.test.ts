import { describe, expect, it } from 'vitest';
import { incidentTitle, renderIncident, type IncidentView } from '../../src/core/render.js';
import { HOUR, incident, MIN, SEC, T0 } from './fixtures.js';

function view(overrides: Partial<IncidentView> = {}): IncidentView {
  return { incident: incident(), silence: null, targets: [], nodes: [], nextRestart: null, ...overrides };
}

const resolvedAfter = (ms: number) => ({ state: 'resolved' as const, openedAt: T0, resolvedAt: T0 + ms });

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

  it('link buttons are the view’s links, none without', () => {
    const links = [{ label: 'Grafana', url: 'https://grafana.example/d/1' }];
    expect(renderIncident(view({ links })).links).toEqual(links);
    expect(renderIncident(view()).links).toEqual([]);
  });
});
