import { SlashCommandBuilder } from 'discord.js';
import { parseDuration } from '../src/core/duration.js';
import { EVERYTHING } from '../src/core/silence.js';
import { configuredTarget } from '../src/runtime/interactions/context.js';
import { targetChoices } from './options.js';
import type { SlashCommand } from './types.js';

/** Longest silence: a week, so a forgotten silence cannot hide outages for ever. */
export const MAX_SILENCE_MS = 7 * 24 * 3_600_000;

/** `/silence duration:<1h> [target] [reason]` — `off` lifts it; without a target it silences everything. */
export const silenceCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('silence')
    .setDescription('Mute notifications and automatic restarts for a while (maintenance)')
    .addStringOption((o) => o.setName('duration').setDescription('e.g. 30m, 1h, 1h30m, 2d (max 7d), or off').setRequired(true).setMaxLength(20))
    .addStringOption((o) => o.setName('target').setDescription('One target (default: everything)').setAutocomplete(true))
    .addStringOption((o) => o.setName('reason').setDescription('Why').setMaxLength(200))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const by = interaction.user.id;
    const text = interaction.options.getString('duration', true).trim();
    const target = interaction.options.getString('target');
    const reason = interaction.options.getString('reason') ?? '';
    const known = target === null ? { ok: true as const } : configuredTarget(target, ctx);
    if (!known.ok) {
      ctx.actions.refuse(by, 'silence', known.reason, { target });
      return known.message;
    }
    if (text.toLowerCase() === 'off') return (await ctx.actions.liftSilence(target, by)).message;
    const duration = parseDuration(text, { max: MAX_SILENCE_MS });
    if (!duration.ok) {
      ctx.actions.refuse(by, 'silence', 'badDuration', { target: target ?? 'everything', duration: text });
      return duration.error;
    }
    return (await ctx.actions.silence(target === null ? EVERYTHING : { kind: 'target', name: target }, duration.ms, by, reason)).message;
  },
  autocomplete: targetChoices,
};
