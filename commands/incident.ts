import { SlashCommandBuilder } from 'discord.js';
import { isExportFormat } from '../src/core/export.js';
import { exportAnswer } from '../src/runtime/interactions/export.js';
import { OPERATORS_ONLY } from './permissions.js';
import type { CommandAnswer, SlashCommand } from './types.js';

/** `/incident export id:<n> format:md|json` — the incident's post-mortem export, as an attached file (ephemeral). */
export const incidentCommand: SlashCommand<string | CommandAnswer> = {
  definition: new SlashCommandBuilder()
    .setName('incident')
    .setDefaultMemberPermissions(OPERATORS_ONLY)
    .setDescription('One incident’s record')
    .addSubcommand((s) =>
      s
        .setName('export')
        .setDescription('Its timeline for the post-mortem, as a Markdown or JSON file')
        .addIntegerOption((o) => o.setName('id').setDescription('The incident’s number (#12 → 12)').setRequired(true).setMinValue(1))
        .addStringOption((o) =>
          o.setName('format').setDescription('Markdown post-mortem skeleton (default) or JSON').addChoices({ name: 'Markdown', value: 'md' }, { name: 'JSON', value: 'json' }),
        ),
    )
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const id = interaction.options.getInteger('id', true);
    const format = interaction.options.getString('format') ?? 'md';
    if (!isExportFormat(format)) {
      ctx.actions.refuse(interaction.user.id, 'export', 'badFormat', { incident: String(id), format: format.slice(0, 20) });
      return 'The format is md or json.';
    }
    return exportAnswer(id, format, ctx);
  },
};
