import { describe, expect, it } from 'vitest';
import type { AlertFacts, AlertGroup, AlertNotification } from '../../src/core/alertmanager.js';
import { renderIncident } from '../../src/core/render.js';
import { alertDescription, alertmanagerLinks, joinedAlertsField, matcherText } from '../../src/core/renderAlerts.js';
import { DISCORD_LIMITS } from '../../src/core/text.js';
import { alertFacts, alertView, KEY, notification, SUBJECT } from './alerts.js';
import { HOUR, incident, T0 } from './fixtures.js';

function group(n: AlertNotification, overrides: Partial<AlertGroup> = {}): AlertGroup {
  return { groupKey: KEY, subject: SUBJECT, incidentId: 7, notification: n, title: 'DiskFull: disk almost full', silence: null, updatedAt: T0, ...overrides };
}

const nas = alertFacts('a1', { instance: 'nas' });
const pi = alertFacts('a2', { instance: 'pi' });
/** The alert without a source link and without annotations of its own: its labels alone. */
const noLink = (a: AlertFacts): AlertFacts => ({ ...a, generatorURL: '', annotations: {} });

describe('alertDescription: which alerts are listed, in what order, with which words', () => {
  it('the common description, then one line per firing alert in the order sent', () => {
    const n = notification([pi, { ...nas, status: 'resolved' }, alertFacts('a3', { instance: 'nuc' })], { commonAnnotations: { summary: 'disk almost full', description: 'root fs above 95%' } });
    expect(alertDescription(group(n), null)).toBe(
      ['root fs above 95%', '🔴 instance=pi [source](http://prom:9090/graph)', '🔴 instance=nuc [source](http://prom:9090/graph)'].join('\n'),
    );
  });

  it('without a description the common summary; without either only the alerts', () => {
    expect(alertDescription(group(notification([noLink(nas)])), null)).toBe('disk almost full\n🔴 instance=nas');
    expect(alertDescription(group(notification([noLink(nas)], { commonAnnotations: {} })), null)).toBe('🔴 instance=nas');
    expect(alertDescription(group(notification([noLink(nas)], { commonAnnotations: { description: '' } })), null)).toBe('🔴 instance=nas');
  });

  it('once resolved: why it is over instead of the description, and no alert is firing', () => {
    const n = notification([{ ...nas, status: 'resolved' }], { commonAnnotations: { description: 'root fs above 95%' } });
    expect(alertDescription(group(n), 'Alertmanager reports DiskFull resolved')).toBe('Alertmanager reports DiskFull resolved');
  });

  it('one alert: all but the group labels tell which; several: only what is not common to all', () => {
    const groupLabels = { alertname: 'DiskFull' };
    const commonLabels = { alertname: 'DiskFull', job: 'node', severity: 'warn' };
    const a = noLink(alertFacts('a', { job: 'node', severity: 'warn', instance: 'nas' }));
    const b = noLink(alertFacts('b', { job: 'node', severity: 'warn', instance: 'pi' }));
    expect(alertDescription(group(notification([a], { groupLabels, commonLabels, commonAnnotations: {} })), null)).toBe('🔴 instance=nas, job=node, severity=warn');
    expect(alertDescription(group(notification([a, b], { groupLabels, commonLabels, commonAnnotations: {} })), null)).toBe('🔴 instance=nas\n🔴 instance=pi');
    // One firing among resolved ones is "one alert".
    expect(alertDescription(group(notification([a, { ...b, status: 'resolved' }], { groupLabels, commonLabels, commonAnnotations: {} })), null)).toBe('🔴 instance=nas, job=node, severity=warn');
  });

  it.each<[string, Record<string, string>, string]>([
    ['its own summary when it differs from the common one', { summary: 'sda at 99%' }, '🔴 instance=nas — sda at 99%'],
    ['not when it is the common one', { summary: 'disk almost full' }, '🔴 instance=nas'],
    ['not when it is empty', { summary: '' }, '🔴 instance=nas'],
    ['not when it has none', {}, '🔴 instance=nas'],
  ])('an alert line has %s', (_, annotations, line) => {
    const n = notification([{ ...noLink(nas), annotations }], { commonAnnotations: { summary: 'disk almost full' } });
    expect(alertDescription(group(n), null).split('\n')[1]).toBe(line);
  });

  it.each<[string, string, string]>([
    ['http', 'http://prom:9090/graph?g0.expr=up', ' [source](http://prom:9090/graph?g0.expr=up)'],
    ['https', 'https://prom.example/graph', ' [source](https://prom.example/graph)'],
    ['a closing parenthesis cannot end the link early', 'http://prom/graph?g0.expr=rate(x)', ' [source](http://prom/graph?g0.expr=rate(x%29)'],
    ['spaces are encoded', 'http://prom/graph?q=a b', ' [source](http://prom/graph?q=a%20b)'],
    ['no link for javascript:', 'javascript:alert(1)', ''],
    ['no link for another scheme', 'ftp://prom/graph', ''],
    ['no link for an empty URL', '', ''],
    ['no link for something that is not a URL', 'prom:9090 graph', ''],
  ])('a source link for %s', (_, url, link) => {
    const n = notification([{ ...noLink(nas), generatorURL: url }], { commonAnnotations: {} });
    expect(alertDescription(group(n), null)).toBe(`🔴 instance=nas${link}`);
  });

  it('makes Alertmanager’s text literal and clips it: description 800, resolved cause 500, each alert 300', () => {
    const long = (c: string, n: number) => c.repeat(n);
    const n = notification([noLink(alertFacts('a', { instance: `*${long('i', 400)}` }))], { commonAnnotations: { description: `<@1> ${long('d', 1000)}` } });
    const [about, line] = alertDescription(group(n), null).split('\n');
    expect(about).toBe(`\\<@1\\> ${long('d', 800 - 6)}…`);
    expect(line).toBe(`🔴 instance=\\*${long('i', 300 - 'instance=*'.length - 1)}…`);
    expect(alertDescription(group(notification([], { commonAnnotations: {} })), `@everyone ${long('r', 600)}`)).toBe(`@\u200beveryone ${long('r', 500 - 11)}…`);
    // Exactly at the limits nothing is cut.
    const exact = notification([noLink(alertFacts('a', { instance: long('i', 300 - 'instance='.length) }))], { commonAnnotations: { description: long('d', 800) } });
    expect(alertDescription(group(exact), null)).toBe(`${long('d', 800)}\n🔴 instance=${long('i', 291)}`);
    expect(alertDescription(group(notification([], { commonAnnotations: {} })), long('r', 500))).toBe(long('r', 500));
  });

  describe('what does not fit in 3,800 characters is counted, with the alerts Alertmanager left out', () => {
    // Each line "🔴 instance=xxx…" is 299 characters and 300 with its newline: 12 of them fill 3,600.
    const alerts = Array.from({ length: 13 }, (_, i) => noLink(alertFacts(`f${i}`, { instance: `${String(i).padStart(2, '0')}${'x'.repeat(299 - 3 - 'instance='.length - 2)}` })));
    it.each<[string, number, number, number]>([
      ['a description that leaves exactly room for 12', 200, 0, 12],
      ['one character more: 11', 201, 0, 11],
      ['with alerts left out by max_alerts', 200, 5, 12],
    ])('%s', (_, aboutLength, truncated, shown) => {
      const n = notification(alerts, { commonAnnotations: { description: 'd'.repeat(aboutLength) }, truncatedAlerts: truncated });
      const lines = alertDescription(group(n), null).split('\n');
      expect(alerts.map((a) => `🔴 ${a.labels.instance}`.length + 'instance='.length)).toEqual(Array(13).fill(299));
      expect(lines.filter((l) => l.startsWith('🔴'))).toEqual(alerts.slice(0, shown).map((a) => `🔴 instance=${a.labels.instance}`));
      expect(lines.at(-1)).toBe(`…and ${13 - shown + truncated} more firing`);
    });

    it('everything fits: no count; only alerts left out: counted', () => {
      expect(alertDescription(group(notification([noLink(nas)], { commonAnnotations: {} })), null)).not.toContain('more firing');
      expect(alertDescription(group(notification([noLink(nas)], { commonAnnotations: {}, truncatedAlerts: 1 })), null)).toBe('🔴 instance=nas\n…and 1 more firing');
    });
  });
});

describe('matcherText', () => {
  it.each<[string, Record<string, string>, string]>([
    ['sorted by name', { job: 'node', alertname: 'DiskFull' }, '{alertname="DiskFull",job="node"}'],
    ['quotes and backslashes escaped', { path: 'C:\\ "x"' }, '{path="C:\\\\ \\"x\\""}'],
    ['none', {}, '{}'],
  ])('%s', (_, labels, text) => {
    expect(matcherText(labels)).toBe(text);
  });
});

describe('alertmanagerLinks', () => {
  const filter = encodeURIComponent('{alertname="DiskFull",job="node"}');
  it.each<[string, string, string | null]>([
    ['the page to create a silence for the common labels', 'http://am:9093', `[Silence in Alertmanager](http://am:9093/#/silences/new?filter=${filter})`],
    ['under a path prefix, trailing slashes dropped', 'https://example.org/am///', `[Silence in Alertmanager](https://example.org/am/#/silences/new?filter=${filter})`],
    ['none for an external URL that is not http(s)', 'file:///etc/passwd', null],
    ['none without an external URL', '', null],
  ])('%s', (_, externalURL, expected) => {
    expect(alertmanagerLinks(group(notification([nas], { externalURL, commonLabels: { alertname: 'DiskFull', job: 'node' } })))).toBe(expected);
  });

  it('the page without the matchers when the link with them is too long, and none when even that is', () => {
    const matchersOf = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v'.repeat(10)]));
    const linkFor = (labels: Record<string, string>, externalURL = 'http://am:9093') => alertmanagerLinks(group(notification([nas], { externalURL, commonLabels: labels })));
    const fits = (n: number) => `[Silence in Alertmanager](http://am:9093/#/silences/new?filter=${encodeURIComponent(matcherText(matchersOf(n)))})`.length <= 900;
    const most = Array.from({ length: 60 }, (_, i) => i).filter(fits).at(-1)!;
    expect(linkFor(matchersOf(most))).toContain('?filter=');
    expect(linkFor(matchersOf(most + 1))).toBe('[Silence in Alertmanager](http://am:9093/#/silences/new)');
    const base = (length: number) => `http://am/${'p'.repeat(length - 'http://am/'.length)}`;
    const page = (b: string) => `[Silence in Alertmanager](${b}/#/silences/new)`;
    const longest = 900 - page('').length;
    expect(linkFor(matchersOf(1), base(longest))).toBe(page(base(longest)));
    expect(linkFor(matchersOf(1), base(longest + 1))).toBeNull();
    expect(alertmanagerLinks(group(notification([nas], { externalURL: base(900 - '[Alertmanager silence](/#/silences/s)'.length + 1) }), { silence: { id: 's', endsAt: T0, createdBy: '42' } }))).toBeNull();
  });

  it('the silence stormguard set, when there is one', () => {
    const g = group(notification([nas]), { silence: { id: 'a/b c', endsAt: T0 + HOUR, createdBy: '42' } });
    expect(alertmanagerLinks(g)).toBe('[Alertmanager silence](http://am:9093/#/silences/a%2Fb%20c)');
  });
});

describe('joinedAlertsField: the groups that joined a target’s or node’s incident', () => {
  it('one line per group: firing count or resolved, named by alertname', () => {
    const firing = group(notification([nas, pi]));
    const resolved = group(notification([{ ...nas, status: 'resolved' }]));
    const nameless = group(notification([pi], { commonLabels: {} }));
    expect(joinedAlertsField([firing, resolved, nameless])).toBe('🔴 DiskFull: 2 firing\n🟢 DiskFull: resolved\n🔴 alert: 1 firing');
  });

  it('names are literal and clipped to 100, the field to 1,024', () => {
    const name = `_${'n'.repeat(200)}`;
    expect(joinedAlertsField([group(notification([nas], { commonLabels: { alertname: name } }))])).toBe(`🔴 \\_${'n'.repeat(98)}…: 1 firing`);
    const exact = 'n'.repeat(100);
    expect(joinedAlertsField([group(notification([nas], { commonLabels: { alertname: exact } }))])).toBe(`🔴 ${exact}: 1 firing`);
    const many = Array.from({ length: 20 }, () => group(notification([nas], { commonLabels: { alertname: name } })));
    const field = joinedAlertsField(many);
    expect(field.length).toBe(DISCORD_LIMITS.fieldValue);
    expect(field.endsWith('…')).toBe(true);
  });
});

describe('an alert incident’s message', () => {
  const n = notification([nas], { commonLabels: { alertname: 'DiskFull', job: 'node' } });
  const open = incident({ id: 7, subject: SUBJECT, kind: 'alert', targets: [], cause: 'DiskFull: disk almost full' });
  const link = `[Silence in Alertmanager](http://am:9093/#/silences/new?filter=${encodeURIComponent('{alertname="DiskFull",job="node"}')})`;

  it('an Alertmanager field with the link to silence it', () => {
    const message = renderIncident(alertView(open, group(n)));
    expect(message.fields.filter((f) => f.name === 'Alertmanager')).toEqual([{ name: 'Alertmanager', value: link, inline: false }]);
    expect(message.description).toBe('disk almost full\n🔴 instance=nas [source](http://prom:9090/graph)');
  });

  it('its Alertmanager silence while open: until when, by whom, and its link', () => {
    const g = group(n, { silence: { id: 's1', endsAt: T0 + HOUR, createdBy: '42' } });
    const message = renderIncident(alertView(open, g));
    expect(message.fields.find((f) => f.name === 'Alertmanager')!.value).toBe(
      `Silenced in Alertmanager until <t:${(T0 + HOUR) / 1000}:f> by <@42>\n[Alertmanager silence](http://am:9093/#/silences/s1)`,
    );
    const resolved = renderIncident(alertView({ ...open, state: 'resolved', resolvedAt: T0 + HOUR, cause: 'Alertmanager reports DiskFull resolved' }, g));
    expect(resolved.fields.find((f) => f.name === 'Alertmanager')!.value).toBe('[Alertmanager silence](http://am:9093/#/silences/s1)');
    expect(resolved.description).toBe('Alertmanager reports DiskFull resolved\n🔴 instance=nas [source](http://prom:9090/graph)');
  });

  it('without any link or silence no Alertmanager field; without any text a dash', () => {
    const bare = group(notification([], { externalURL: 'not a url', commonAnnotations: {} }));
    const message = renderIncident(alertView(open, bare));
    expect(message.fields.map((f) => f.name)).toEqual(['State', 'Since', 'Restarts']);
    expect(message.description).toBe('—');
  });

  it('the field stays within Discord’s 1,024 characters and never shows a link cut short', () => {
    const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`label${i}`, 'v'.repeat(20)]));
    const long = renderIncident(alertView(open, group(notification([nas], { commonLabels: labels }))));
    expect(long.fields.find((f) => f.name === 'Alertmanager')!.value).toBe('[Silence in Alertmanager](http://am:9093/#/silences/new)');
    const silenced = renderIncident(alertView(open, group(notification([nas], { externalURL: `http://am/${'p'.repeat(870)}` }), { silence: { id: 's1', endsAt: T0 + HOUR, createdBy: '42' } })));
    expect(silenced.fields.find((f) => f.name === 'Alertmanager')!.value).toBe(`Silenced in Alertmanager until <t:${(T0 + HOUR) / 1000}:f> by <@42>`);
  });

  it('a target or node incident that groups joined lists them in an “Alertmanager alerts” field and keeps its own description', () => {
    const target = incident({ id: 3 });
    const message = renderIncident({ incident: target, silence: null, targets: [], nodes: [], nextRestart: null, alertGroups: [group(n)] });
    expect(message.fields.filter((f) => f.name.startsWith('Alertmanager'))).toEqual([{ name: 'Alertmanager alerts', value: '🔴 DiskFull: 1 firing', inline: false }]);
    expect(message.description).toBe('frigate is down: HTTP 503');
    expect(renderIncident({ incident: target, silence: null, targets: [], nodes: [], nextRestart: null, alertGroups: [] }).fields.map((f) => f.name)).toEqual(['State', 'Since', 'Restarts']);
  });

  it('the largest alert message stays within every embed limit, 6,000 in all', () => {
    const alerts = Array.from({ length: 500 }, (_, i) => ({ ...alertFacts(`f${i}`, { instance: `*${i}*${'x'.repeat(400)}` }), annotations: { summary: '<'.repeat(400) }, generatorURL: `http://prom/${'p'.repeat(2000)}` }));
    const labels = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`label${i}`, '"'.repeat(30)]));
    const huge = notification(alerts, { commonLabels: labels, commonAnnotations: { description: '*'.repeat(5000) }, truncatedAlerts: 100_000 });
    const view = alertView({ ...open, acknowledgedBy: '42', acknowledgedAt: T0 }, group(huge, { title: 'T'.repeat(1000), silence: { id: 'x'.repeat(100), endsAt: T0 + HOUR, createdBy: 'discord:123456789012345678' } }), {
      silence: { id: 1, scope: { kind: 'everything' }, startsAt: T0, endsAt: T0 + HOUR, createdBy: '42', reason: '', liftedAt: null },
    });
    const message = renderIncident(view);
    expect(message.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.embedTitle);
    expect(message.description.length).toBeLessThanOrEqual(DISCORD_LIMITS.embedDescription);
    for (const f of message.fields) expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    const total = message.title.length + message.description.length + message.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedsTotal);
    expect(message.description).toMatch(/…and \d+ more firing$/);
  });
});
