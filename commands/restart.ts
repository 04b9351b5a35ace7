import { SlashCommandBuilder } from 'discord.js';
import { isConfiguredTarget, targetChoices } from './options.js';
import type { SlashCommand } from './types.js';

/** `/restart target:<name> [reason]` — through the same gate as automatic restarts. */
export const restartCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('restart')
    .setDescription('Restart a watched workload, if its node and the gate allow it')
    .addStringOption((o) => o.setName('target').setDescription('The target to restart').setRequired(true).setAutocomplete(true))
    .addStringOption((o) => o.setName('reason').setDescription('Why (shown in the incident thread)').setMaxLength(200))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const target = interaction.options.getString('target', true);
    const reason = interaction.options.getString('reason');
    if (!isConfiguredTarget(target, ctx)) {
      ctx.actions.refuse(interaction.user.id, 'restart', 'unknownTarget', { target });
      return `“${target}” is not a configured target.`;
    }
    return (await ctx.actions.restart(target, interaction.user.id, reason)).message;
  },
  autocomplete: targetChoices,
};
