import { SlashCommandBuilder } from 'discord.js';
import { configuredTarget } from '../src/runtime/interactions/context.js';
import { targetChoices } from './options.js';
import { OPERATORS_ONLY } from './permissions.js';
import type { CommandAnswer, SlashCommand } from './types.js';

/**
 * `/logs target:<name>` — the evidence of a target: its failing container's last log lines (the previous
 * container once it restarted) and its newest Warning events, redacted, as an ephemeral answer — the whole
 * excerpt as a `.txt` file when the message had to clip it.
 * Operators only, as /restart: a log can hold secrets redaction does not recognise (README "Evidence").
 */
export const logsCommand: SlashCommand<string | CommandAnswer> = {
  definition: new SlashCommandBuilder()
    .setName('logs')
    .setDefaultMemberPermissions(OPERATORS_ONLY)
    .setDescription("Show a target's failing container's last log lines and Warning events (only to you)")
    .addStringOption((o) => o.setName('target').setDescription('The target to read').setRequired(true).setAutocomplete(true))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const target = interaction.options.getString('target', true);
    const known = configuredTarget(target, ctx);
    if (!known.ok) {
      ctx.actions.refuse(interaction.user.id, 'logs', known.reason, { target });
      return known.message;
    }
    if (!ctx.logsOf) return 'Logs are not available here.';
    return ctx.logsOf(target);
  },
  autocomplete: targetChoices,
};
