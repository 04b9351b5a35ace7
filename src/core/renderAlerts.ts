/**
 * How Alertmanager groups show on an incident message: the firing alerts with their distinguishing
 * labels and source links, within Discord's limits, and the links to Alertmanager's silence pages.
 */
import { alertLabel, firingAlerts, type AlertGroup } from './alertmanager.js';
import { clip, DISCORD_LIMITS, escapeMarkdown } from './text.js';

/** Discord's embed description limit, with room for the lines around the list. */
const DESCRIPTION_BUDGET = 3_800;
const LINE_LIMIT = 300;
/** A link to Alertmanager: with the silence line above it, within one field value. */
const LINK_LIMIT = 900;

/** A link only for http(s) URLs: anything else from a label is shown as plain text or not at all. */
function safeUrl(url: string): string | null {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  return parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') ? parsed.toString().replace(/\)/g, '%29') : null;
}

/**
 * The description of an Alertmanager incident: the common summary or description, then one line per
 * firing alert (its own labels, its summary when it differs, a link to its source), summarised with a
 * count when they do not fit.
 */
export function alertDescription(group: AlertGroup, resolvedCause: string | null): string {
  const n = group.notification;
  const lines: string[] = [];
  const about = n.commonAnnotations.description ?? n.commonAnnotations.summary;
  if (resolvedCause) lines.push(escapeMarkdown(clip(resolvedCause, 500)));
  else if (about) lines.push(escapeMarkdown(clip(about, 800)));
  const firing = firingAlerts(n);
  // One alert: all its labels tell which; several: only what sets each apart.
  const common = firing.length > 1 ? n.commonLabels : n.groupLabels;
  // At most the one line above so far.
  let used = lines[0]?.length ?? 0;
  let shown = 0;
  for (const alert of firing) {
    const summary = alert.annotations.summary && alert.annotations.summary !== n.commonAnnotations.summary ? ` — ${alert.annotations.summary}` : '';
    const url = safeUrl(alert.generatorURL);
    const line = `🔴 ${escapeMarkdown(clip(`${alertLabel(alert, common)}${summary}`, LINE_LIMIT))}${url ? ` [source](${url})` : ''}`;
    if (used + line.length + 1 > DESCRIPTION_BUDGET) break;
    lines.push(line);
    used += line.length + 1;
    shown++;
  }
  const hidden = firing.length - shown + n.truncatedAlerts;
  if (hidden > 0) lines.push(`…and ${hidden} more firing`);
  return lines.join('\n');
}

/** The matchers of the group's common labels in Alertmanager's filter syntax: `{alertname="X",job="y"}`. */
export function matcherText(labels: Record<string, string>): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  return `{${parts.join(',')}}`;
}

/**
 * Links to Alertmanager for a group: its silence (when one is set) or the page to create one for the
 * group's common labels — without them when that link is too long; a link cut short would lead nowhere.
 */
export function alertmanagerLinks(group: AlertGroup): string | null {
  const base = safeUrl(group.notification.externalURL)?.replace(/\/+$/, '');
  if (!base) return null;
  const links = group.silence
    ? [`[Alertmanager silence](${base}/#/silences/${encodeURIComponent(group.silence.id)})`]
    : [`[Silence in Alertmanager](${base}/#/silences/new?filter=${encodeURIComponent(matcherText(group.notification.commonLabels))})`, `[Silence in Alertmanager](${base}/#/silences/new)`];
  return links.find((link) => link.length <= LINK_LIMIT) ?? null;
}

/** The "Alerts" field of a target or node incident that Alertmanager groups joined. */
export function joinedAlertsField(groups: AlertGroup[]): string {
  const lines = groups.map((g) => {
    const firing = firingAlerts(g.notification).length;
    const name = g.notification.commonLabels.alertname ?? 'alert';
    return `${firing > 0 ? '🔴' : '🟢'} ${escapeMarkdown(clip(name, 100))}: ${firing > 0 ? `${firing} firing` : 'resolved'}`;
  });
  return clip(lines.join('\n'), DISCORD_LIMITS.fieldValue);
}
