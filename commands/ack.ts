import { SlashCommandBuilder } from 'discord.js';
import { OPERATORS_ONLY } from './permissions.js';
import type { Incident } from '../src/core/types.js';
import { incidentChoices } from './options.js';
import type { CommandContext, SlashCommand } from './types.js';

/** `/ack [incident]` — in a thread, its incident; otherwise the one open incident, or the one named. */
export const ackCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('ack')
    .setDefaultMemberPermissions(OPERATORS_ONLY)
    .setDescription('Acknowledge an incident: stops its escalation')
    .addStringOption((o) => o.setName('incident').setDescription('Which incident (default: this thread’s, or the only open one)').setAutocomplete(true))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const named = interaction.options.getString('incident');
    const found = findIncident(named, interaction.channelId, ctx);
    if (typeof found === 'string') {
      ctx.actions.refuse(interaction.user.id, 'acknowledge', 'noIncident', { incident: named ?? '' });
      return found;
    }
    return (await ctx.actions.acknowledge(found, interaction.user.id)).message;
  },
  autocomplete: incidentChoices,
};

function findIncident(named: string | null, channelId: string, ctx: CommandContext): Incident | string {
  if (named) {
    const id = Number(named.replace(/^#/, ''));
    const incident = Number.isInteger(id) ? ctx.actions.incident(id) : null;
    return incident ?? `There is no incident “${named}”.`;
  }
  const inThread = ctx.actions.incidentByThread(channelId);
  if (inThread) return inThread;
  const open = ctx.actions.openIncidents();
  if (open.length === 1) return open[0]!;
  if (open.length === 0) return 'No incident is open.';
  return `${open.length} incidents are open; name one with the incident option: ${open.map((i) => `#${i.id} ${i.subject}`).join(', ')}.`;
}
