import { incidentButtonId, SILENCE_BUTTON_LABEL } from './buttons.js';
import { formatDuration } from './duration.js';
import { parseSubject } from './subject.js';
import { clip, discordTime, DISCORD_LIMITS, escapeMarkdown, fitLines, oneLine, plural } from './text.js';
import type { AlertGroup } from './alertmanager.js';
import { alertDescription, alertmanagerLinks, joinedAlertsField } from './renderAlerts.js';
import { maintenanceTitle, type Maintenance } from './maintenance.js';
import type { Incident, IncidentState, NodeReadiness, Silence } from './types.js';

/** Everything shown on an incident's message; gathered by the shell from the store and the last snapshot. */
export interface IncidentView {
  incident: Incident;
  /** The active silence covering the incident, if any. */
  silence: Silence | null;
  /** The maintenance window in force over the incident: its end and why, by whom (absent: none). */
  window?: { until: number; origin: string } | null;
  targets: Array<{ name: string; health: 'up' | 'down' | 'unknown'; detail: string }>;
  nodes: Array<{ name: string; ready: NodeReadiness | 'missing'; unschedulable: boolean }>;
  /** What the gate says about the next restart, in words (null when nothing to say). */
  nextRestart: string | null;
  /** The incident's targets' configured links (Grafana, runbook…), at most 5; absent = none. */
  links?: Array<{ label: string; url: string }>;
  /** The Alertmanager groups of this incident: its own group (an `alert` incident) or the groups that joined it. */
  alertGroups?: AlertGroup[];
  /** The planned maintenance a node incident is (`maintenanceOfIncident`); absent or null: none. */
  maintenance?: Maintenance | null;
}

/** One embed field. */
export interface RenderedField {
  name: string;
  value: string;
  inline: boolean;
}

/** A button on the incident message; `id` is the custom id the interaction router dispatches on. */
export interface RenderedButton {
  id: string;
  label: string;
  style: 'primary' | 'secondary' | 'danger';
  disabled: boolean;
}

/** The incident message as data: the shell turns it into a Discord payload, a log line or an email. */
export interface RenderedMessage {
  title: string;
  description: string;
  color: number;
  fields: RenderedField[];
  buttons: RenderedButton[];
  /** Link buttons (open a URL; no interaction), shown while open and after resolving. */
  links: Array<{ label: string; url: string }>;
}

/** Colour by state (Discord embed colours). */
export const STATE_COLORS: Record<IncidentState, number> = {
  open: 0xe74c3c,
  acknowledged: 0xf39c12,
  resolved: 0x2ecc71,
};

/**
 * Renders an incident's message from its current state only — no clocks, no counters of edits — so
 * that rendering twice gives the same result and the shell can edit only when the result changed.
 */
export function renderIncident(view: IncidentView): RenderedMessage {
  const { incident, silence } = view;
  const fields: RenderedField[] = [
    { name: 'State', value: stateLabel(incident), inline: true },
    { name: 'Since', value: discordTime(incident.openedAt), inline: true },
  ];
  if (view.targets.length > 0) {
    // Down first: when hundreds do not fit, what is broken is what stays visible.
    const targets = [...view.targets].sort((a, b) => HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health]);
    const lines = targets.map((t) => `${healthIcon(t.health)} ${t.name}${t.health === 'down' && t.detail ? ` — ${escapeMarkdown(clip(oneLine(t.detail), 80))}` : ''}`);
    fields.push({ name: 'Targets', value: fitLines(lines, DISCORD_LIMITS.fieldValue, (n) => `… and ${n} more (${countDown(targets.slice(-n))} down)`), inline: false });
  }
  const why = whyField(incident);
  if (why) fields.push(why);
  if (view.nodes.length > 0) {
    const lines = view.nodes.map((n) => `${escapeMarkdown(n.name)}: ${nodeLabel(n)}`);
    fields.push({ name: 'Nodes', value: fitLines(lines, DISCORD_LIMITS.fieldValue, (n) => `… and ${n} more`), inline: false });
  }
  const restarts = `${incident.restartCount} automatic${incident.needsHuman ? ' — stopped, needs a human' : ''}`;
  const next = view.nextRestart ? escapeMarkdown(clip(oneLine(view.nextRestart), 200)) : null;
  fields.push({ name: 'Restarts', value: next && incident.state !== 'resolved' ? `${restarts}\nNext: ${next}` : restarts, inline: false });
  if (incident.acknowledgedBy) {
    fields.push({ name: 'Acknowledged by', value: `<@${incident.acknowledgedBy}> ${discordTime(incident.acknowledgedAt ?? incident.openedAt)}`, inline: true });
  }
  if (silence && incident.state !== 'resolved') {
    fields.push({ name: 'Silenced until', value: `${discordTime(silence.endsAt, 'f')} by <@${silence.createdBy}>`, inline: true });
  }
  if (view.window && incident.state !== 'resolved') {
    fields.push({ name: 'In maintenance until', value: clip(`${discordTime(view.window.until, 'f')} — ${view.window.origin}`, DISCORD_LIMITS.fieldValue), inline: true });
  }
  if (incident.resolvedAt !== null && incident.state === 'resolved') {
    fields.push({ name: 'Resolved', value: discordTime(incident.resolvedAt), inline: true });
  }
  const resolved = incident.state === 'resolved';
  const alert = alertView(view);
  if (alert) fields.push(...alert.fields);
  return {
    title: clip(escapeMarkdown(incidentTitle(view)), DISCORD_LIMITS.embedTitle),
    // 1,000 of the 4,096 allowed: title, description and every field together stay under 6,000.
    description: alert?.description ?? clip(escapeMarkdown(incident.cause), 1000),
    color: STATE_COLORS[incident.state],
    fields,
    links: view.links ?? [],
    // Once it is over, what people want is the post-mortem: the Export button (SPEC §13).
    buttons: resolved
      ? [{ id: incidentButtonId('export', incident.id), label: 'Export', style: 'secondary', disabled: incident.id === null }]
      : [
          { id: incidentButtonId('ack', incident.id), label: 'Acknowledge', style: 'primary', disabled: incident.state !== 'open' },
          { id: incidentButtonId('silence', incident.id), label: SILENCE_BUTTON_LABEL, style: 'secondary', disabled: false },
          // A setup problem is fixed in the configuration or RBAC; the gate would refuse every restart of its targets.
          { id: incidentButtonId('restart', incident.id), label: 'Restart', style: 'danger', disabled: incident.targets.length === 0 || incident.kind === 'setup' },
          // The evidence on demand (the failing container's log, the Warning events), where there is a workload to read.
          ...(incident.targets.length > 0 && incident.kind !== 'setup' ? [{ id: incidentButtonId('logs', incident.id), label: 'Logs', style: 'secondary' as const, disabled: false }] : []),
        ],
  };
}

/** Description and extra fields for an incident that Alertmanager groups make up or joined. */
function alertView(view: IncidentView): { description?: string; fields: RenderedField[] } | null {
  const groups = view.alertGroups ?? [];
  if (groups.length === 0) return null;
  const { incident } = view;
  if (incident.kind !== 'alert') return { fields: [{ name: 'Alertmanager alerts', value: joinedAlertsField(groups), inline: false }] };
  const group = groups[0]!;
  const resolved = incident.state === 'resolved';
  const links = alertmanagerLinks(group);
  const silence = group.silence && !resolved ? `Silenced in Alertmanager until ${discordTime(group.silence.endsAt, 'f')} by <@${group.silence.createdBy}>` : null;
  const value = [silence, links].filter((v): v is string => v !== null).join('\n');
  return {
    description: alertDescription(group, resolved ? incident.cause : null) || '—',
    fields: value ? [{ name: 'Alertmanager', value: clip(value, DISCORD_LIMITS.fieldValue), inline: false }] : [],
  };
}

/**
 * The title people read at a glance, in plain text — the one place an incident gets a human name, used
 * by the message, its thread, email subjects and push titles: "node-a is NotReady — 3 services
 * affected", "frigate is down (HTTP 503)", "Alert: DiskFull: disk almost full"; once resolved, what
 * recovered and how long the outage lasted ("frigate is back — down for 12m"). Subjects of other
 * kinds keep "Incident: <subject>".
 */
export function incidentTitle(view: IncidentView): string {
  const { incident } = view;
  const parsed = parseSubject(incident.subject);
  if (parsed?.kind === 'alert') {
    // Alertmanager names it: the title labels and summary of its group (the cause, while open, when the group is not at hand).
    return `${incident.state === 'resolved' ? 'Resolved' : 'Alert'}: ${view.alertGroups?.[0]?.title ?? incident.cause}`;
  }
  if (parsed?.kind === 'setup' || parsed?.kind === 'observer') {
    // stormguard's own problem: its cause is the sentence that says what is wrong and what to fix.
    const cause = clip(oneLine(incident.cause), 200);
    return incident.state === 'resolved' && incident.resolvedAt !== null ? `Resolved after ${lasted(incident.resolvedAt - incident.openedAt)}: ${cause}` : cause;
  }
  const name = parsed && parsed.kind !== 'cluster' ? parsed.name : null;
  if (view.maintenance) {
    // A planned maintenance: quiet words while it runs, its report once it ended (the cause says it).
    return incident.state === 'resolved' ? clip(oneLine(incident.cause), 200) : maintenanceTitle(view.maintenance);
  }
  if (incident.state === 'resolved' && incident.resolvedAt !== null) {
    const what = parsed?.kind === 'cluster' ? 'The Kubernetes API is back' : name ? `${name} is back` : `Resolved: ${incident.subject}`;
    return `${what} — down for ${lasted(incident.resolvedAt - incident.openedAt)}`;
  }
  if (parsed?.kind === 'node') {
    const node = view.nodes.find((n) => n.name === parsed.name);
    const state = node ? nodeLabel(node) : 'NotReady';
    const affected = incident.targets.length;
    const services = affected === 0 ? '' : ` — ${plural(affected, 'service')} affected`;
    if (node?.ready === 'True' && !node.unschedulable) {
      const down = view.targets.filter((t) => t.health === 'down').length;
      return `${parsed.name} is Ready again — ${down} of ${plural(affected, 'service')} still down`;
    }
    return `${parsed.name} is ${state}${services}`;
  }
  if (parsed?.kind === 'target') {
    const diagnosis = incident.diagnoses?.[parsed.name];
    if (diagnosis) return diagnosis.summary;
    const detail = view.targets.find((t) => t.name === parsed.name)?.detail ?? '';
    const status = /\bHTTP \d{3}\b/.exec(detail)?.[0] ?? (detail ? clip(oneLine(detail), 60) : '');
    return `${parsed.name} is down${status ? ` (${status})` : ''}`;
  }
  if (parsed?.kind === 'cluster') return 'The Kubernetes API does not answer';
  return `Incident: ${incident.subject}`;
}

/**
 * The "Why" of the card: what Kubernetes says is wrong — the reason constant, the container, the API's
 * own message (escaped, clipped) and what to do. One target: all of it; several (a node incident): one
 * line per target that has a reason of its own.
 */
function whyField(incident: Incident): RenderedField | null {
  const entries = Object.entries(incident.diagnoses ?? {}).filter(([target]) => incident.targets.includes(target));
  if (entries.length === 0) return null;
  if (incident.kind === 'target' && entries.length === 1) {
    const [, d] = entries[0]!;
    const where = d.container ? ` in container ${escapeMarkdown(d.container)}` : '';
    const message = d.message ? `: ${escapeMarkdown(clip(oneLine(d.message), 400))}` : '';
    return { name: 'Why', value: clip(`**${d.apiReason}**${where}${message}\n→ ${escapeMarkdown(clip(d.hint, 450))}`, DISCORD_LIMITS.fieldValue), inline: false };
  }
  const lines = entries.sort(([a], [b]) => a.localeCompare(b)).map(([target, d]) => `${escapeMarkdown(target)}: **${d.apiReason}** — ${escapeMarkdown(clip(oneLine(d.message || d.summary), 120))}`);
  return { name: 'Why', value: fitLines(lines, DISCORD_LIMITS.fieldValue, (n) => `… and ${n} more`), inline: false };
}

/** How long an outage lasted, to the minute once it is a minute or more ("2h4m", "45s"). */
function lasted(ms: number): string {
  const rounded = ms >= 60_000 ? Math.round(ms / 60_000) * 60_000 : Math.max(ms, 1000);
  return formatDuration(rounded);
}

/** A one-line summary for logs and notes. */
export function summarize(incident: Incident): string {
  return `[${incident.state}] ${incident.subject}: ${incident.cause}`;
}

function stateLabel(incident: Incident): string {
  const reopened = incident.reopenCount > 0 ? ` (reopened ${incident.reopenCount}×)` : '';
  return `${incident.state}${reopened}`;
}

const HEALTH_ORDER = { down: 0, unknown: 1, up: 2 } as const;

function countDown(targets: IncidentView['targets']): number {
  return targets.filter((t) => t.health === 'down').length;
}

function healthIcon(health: 'up' | 'down' | 'unknown'): string {
  return health === 'up' ? '🟢' : health === 'down' ? '🔴' : '⚪';
}

/** A node's readiness in the words `kubectl get nodes` uses, with `cordoned` when unschedulable. */
export function nodeLabel(n: IncidentView['nodes'][number]): string {
  const ready = n.ready === 'True' ? 'Ready' : n.ready === 'False' ? 'NotReady' : n.ready === 'missing' ? 'missing' : 'Unknown';
  return n.unschedulable ? `${ready}, cordoned` : ready;
}
