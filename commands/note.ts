import { SlashCommandBuilder } from 'discord.js';
import { NOTE_MAX } from '../src/core/lifecycle.js';
import { OPERATORS_ONLY } from './permissions.js';
import type { SlashCommand } from './types.js';

/** `/note text:` — in an incident's thread: a person's note in its timeline, and a quiet thread note that says who wrote it. */
export const noteCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('note')
    .setDefaultMemberPermissions(OPERATORS_ONLY)
    .setDescription('Add a note to this incident’s timeline (use it in the incident’s thread)')
    .addStringOption((o) => o.setName('text').setDescription('What to note: what you found, what you did').setRequired(true).setMaxLength(NOTE_MAX))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const incident = ctx.actions.incidentByThread(interaction.channelId);
    if (!incident) {
      ctx.actions.refuse(interaction.user.id, 'note', 'notInThread', { channelId: interaction.channelId });
      return 'Use /note in an incident’s thread: the note goes into that incident’s timeline.';
    }
    return (await ctx.actions.note(incident, interaction.user.id, interaction.options.getString('text', true))).message;
  },
};
