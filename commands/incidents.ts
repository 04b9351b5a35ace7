import { SlashCommandBuilder } from 'discord.js';
import { DISCORD_LIMITS, clip, discordMessageUrl, discordTime, fitLines, plural } from '../src/core/text.js';
import type { Incident } from '../src/core/types.js';
import { maintenanceLine } from '../src/core/maintenance.js';
import type { SlashCommand } from './types.js';

/** `/incidents` — the open incidents, newest first: state, age, who acknowledged, and a link to each message. */
export const incidentsCommand: SlashCommand = {
  definition: new SlashCommandBuilder().setName('incidents').setDescription('List the open incidents, newest first').toJSON(),
  operatorOnly: false,
  async execute(_interaction, ctx) {
    const { incidents, maintenance } = ctx.actions.incidentList();
    const channel = ctx.config.discord;
    const list = formatIncidentList(incidents.map(({ incident, messageId }) => ({ incident, url: channel && messageId ? discordMessageUrl(channel, messageId) : null })));
    // The maintenances in force first: their cards are quiet, so this is where people find them.
    return fitLines([...maintenance.map(maintenanceLine), list], DISCORD_LIMITS.reply, (n) => `… and ${n} more`);
  },
};

/** The reply: one line per incident, within Discord's 2,000 characters (the rest counted, not cut mid-line). */
export function formatIncidentList(items: ReadonlyArray<{ incident: Incident; url: string | null }>): string {
  if (items.length === 0) return 'No incident is open.';
  const header = `${plural(items.length, 'open incident')}, newest first:`;
  const lines = items.map(({ incident, url }) => clip(incidentLine(incident, url), 400));
  return `${header}\n${fitLines(lines, DISCORD_LIMITS.reply - header.length - 1, (n) => `… and ${n} more`)}`;
}

function incidentLine(incident: Incident, url: string | null): string {
  const state = incident.state === 'acknowledged' ? `acknowledged by <@${incident.acknowledgedBy}>` : 'open, not acknowledged';
  const extra = incident.needsHuman ? ' · needs a human' : '';
  const link = url ? ` · [message](${url})` : ' · not posted yet';
  return `**#${incident.id} ${incident.subject}** — ${state} · since ${discordTime(incident.openedAt)}${extra}${link}`;
}
