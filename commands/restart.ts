import { SlashCommandBuilder } from 'discord.js';
import { configuredTarget } from '../src/runtime/interactions/context.js';
import { targetChoices } from './options.js';
import { OPERATORS_ONLY } from './permissions.js';
import type { SlashCommand } from './types.js';

/** `/restart target:<name> [reason]` — through the same gate as automatic restarts. */
export const restartCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('restart')
    .setDefaultMemberPermissions(OPERATORS_ONLY)
    .setDescription('Restart a watched workload, if its node and the gate allow it')
    .addStringOption((o) => o.setName('target').setDescription('The target to restart').setRequired(true).setAutocomplete(true))
    .addStringOption((o) => o.setName('reason').setDescription('Why (shown in the incident thread)').setMaxLength(200))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const target = interaction.options.getString('target', true);
    const reason = interaction.options.getString('reason');
    const known = configuredTarget(target, ctx);
    if (!known.ok) {
      ctx.actions.refuse(interaction.user.id, 'restart', known.reason, { target });
      return known.message;
    }
    return (await ctx.actions.restart(target, interaction.user.id, reason)).message;
  },
  autocomplete: targetChoices,
};
