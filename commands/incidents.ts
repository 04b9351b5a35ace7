import { SlashCommandBuilder } from 'discord.js';
import { formatDuration } from '../src/core/duration.js';
import { DISCORD_LIMITS, clip, discordMessageUrl, discordTime, fitLines, plural } from '../src/core/text.js';
import type { Incident } from '../src/core/types.js';
import { maintenanceLine } from '../src/core/maintenance.js';
import type { SlashCommand } from './types.js';

/** The longest look back `days:` accepts: resolved incidents are kept `retention` (default 180 days) anyway. */
export const MAX_DAYS = 365;

/** `/incidents [days]` — the open incidents, newest first; with `days`, also those resolved in the last `days` days and how long each lasted. */
export const incidentsCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('incidents')
    .setDescription('List the open incidents, newest first (days: also those resolved lately)')
    .addIntegerOption((o) => o.setName('days').setDescription('Also list incidents resolved in the last this many days').setMinValue(1).setMaxValue(MAX_DAYS))
    .toJSON(),
  operatorOnly: false,
  async execute(interaction, ctx) {
    const days = interaction.options.getInteger('days') ?? undefined;
    const { incidents, resolved, maintenance } = ctx.actions.incidentList(days);
    const channel = ctx.config.discord;
    const withUrl = ({ incident, messageId }: { incident: Incident; messageId: string | null }) => ({ incident, url: channel && messageId ? discordMessageUrl(channel, messageId) : null });
    const list = formatIncidentList(incidents.map(withUrl), days === undefined ? undefined : { days, items: resolved.map(withUrl) });
    // The maintenances in force first: their cards are quiet, so this is where people find them.
    return fitLines([...maintenance.map(maintenanceLine), list], DISCORD_LIMITS.reply, (n) => `… and ${n} more`);
  },
};

/** One incident line's inputs. */
export interface ListItem {
  incident: Incident;
  url: string | null;
}

/**
 * The reply: one line per open incident and, with `resolved`, one per incident resolved in those days
 * with how long it lasted; within Discord's 2,000 characters, the rest of each list counted, never cut mid-line.
 */
export function formatIncidentList(items: readonly ListItem[], resolved?: { days: number; items: readonly ListItem[] }): string {
  const open = items.length === 0 ? 'No incident is open.' : `${plural(items.length, 'open incident')}, newest first:`;
  const lines = items.map(({ incident, url }) => clip(incidentLine(incident, url), 400));
  if (!resolved) return section(open, lines, DISCORD_LIMITS.reply);
  const since = `the last ${plural(resolved.days, 'day')}`;
  const resolvedHeader = resolved.items.length === 0 ? `None resolved in ${since}.` : `${plural(resolved.items.length, 'incident')} resolved in ${since}, most recent first:`;
  const resolvedLines = resolved.items.map(({ incident, url }) => clip(resolvedLine(incident, url), 400));
  // The resolved list keeps room for its header and at least its count, however many are open.
  const reserve = resolvedHeader.length + (resolvedLines.length === 0 ? 0 : 1 + `… and ${resolvedLines.length} more`.length) + 1;
  const first = section(open, lines, DISCORD_LIMITS.reply - reserve);
  return `${first}\n${section(resolvedHeader, resolvedLines, DISCORD_LIMITS.reply - first.length - 1)}`;
}

/** A header and as many whole lines as fit in `max` characters, then the count of the rest. */
function section(header: string, lines: readonly string[], max: number): string {
  if (lines.length === 0) return header;
  return `${header}\n${fitLines(lines, max - header.length - 1, (n) => `… and ${n} more`)}`;
}

function incidentLine(incident: Incident, url: string | null): string {
  const state = incident.state === 'acknowledged' ? `acknowledged by <@${incident.acknowledgedBy}>` : 'open, not acknowledged';
  const extra = incident.needsHuman ? ' · needs a human' : '';
  return `**#${incident.id} ${incident.subject}** — ${state} · since ${discordTime(incident.openedAt)}${extra}${link(url)}`;
}

function resolvedLine(incident: Incident, url: string | null): string {
  const resolvedAt = incident.resolvedAt ?? incident.openedAt;
  // From the first confirmed failure to recovery; a reopened incident's flaps are inside it.
  const lasted = formatDuration(Math.max(0, Math.floor((resolvedAt - incident.openedAt) / 1000) * 1000));
  const reopened = incident.reopenCount > 0 ? ` · reopened ${plural(incident.reopenCount, 'time')}` : '';
  return `**#${incident.id} ${incident.subject}** — resolved ${discordTime(resolvedAt)} after ${lasted}${reopened}${link(url)}`;
}

function link(url: string | null): string {
  return url ? ` · [message](${url})` : ' · not posted yet';
}
