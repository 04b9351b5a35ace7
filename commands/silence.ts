import { SlashCommandBuilder, type AutocompleteInteraction } from 'discord.js';
import { parseDuration } from '../src/core/duration.js';
import { EVERYTHING, scopeOfSubject } from '../src/core/silence.js';
import { clip, discordTime } from '../src/core/text.js';
import type { Silence } from '../src/core/types.js';
import { configuredTarget } from '../src/runtime/interactions/context.js';
import { targetChoices } from './options.js';
import { OPERATORS_ONLY } from './permissions.js';
import type { CommandContext, SlashCommand } from './types.js';

/** The durations offered as one tap; any other duration can still be typed. */
export const SILENCE_CHOICES = ['15m', '1h', '4h', '1d', 'off'] as const;

/** Longest silence: a week, so a forgotten silence cannot hide outages for ever. */
export const MAX_SILENCE_MS = 7 * 24 * 3_600_000;

/**
 * `/silence [duration] [target] [reason]` — `off` lifts it; without a target it silences everything;
 * without a duration it lists the silences in force.
 * In an Alertmanager incident's thread, no target means that incident (silenced in Alertmanager too).
 */
export const silenceCommand: SlashCommand = {
  definition: new SlashCommandBuilder()
    .setName('silence')
    .setDescription('Mute notifications and automatic restarts for a while (maintenance); alone: list silences')
    .setDefaultMemberPermissions(OPERATORS_ONLY)
    .addStringOption((o) => o.setName('duration').setDescription('15m, 1h, 4h, 1d, off — or type any, e.g. 1h30m (max 7d)').setAutocomplete(true).setMaxLength(20))
    .addStringOption((o) => o.setName('target').setDescription('One target (default: everything)').setAutocomplete(true))
    .addStringOption((o) => o.setName('reason').setDescription('Why').setMaxLength(200))
    .toJSON(),
  operatorOnly: true,
  async execute(interaction, ctx) {
    const by = interaction.user.id;
    const given = interaction.options.getString('duration');
    if (given === null || given.trim() === '') return listSilences(ctx);
    const text = given.trim();
    const target = interaction.options.getString('target');
    const reason = interaction.options.getString('reason') ?? '';
    const known = target === null ? { ok: true as const } : configuredTarget(target, ctx);
    if (!known.ok) {
      ctx.actions.refuse(by, 'silence', known.reason, { target });
      return known.message;
    }
    // In an Alertmanager incident's thread, no target means that incident (silenced in Alertmanager too).
    const here = target === null ? ctx.actions.incidentByThread(interaction.channelId) : null;
    const alertIncident = here?.kind === 'alert' && here.state !== 'resolved' ? here : null;
    if (text.toLowerCase() === 'off') {
      return (alertIncident ? await ctx.actions.liftIncidentSilence(alertIncident, by) : await ctx.actions.liftSilence(target, by)).message;
    }
    const duration = parseDuration(text, { max: MAX_SILENCE_MS });
    if (!duration.ok) {
      ctx.actions.refuse(by, 'silence', 'badDuration', { target: target ?? 'everything', duration: text });
      return duration.error;
    }
    const scope = alertIncident ? scopeOfSubject(alertIncident.subject) : target === null ? EVERYTHING : { kind: 'target' as const, name: target };
    return (await ctx.actions.silence(scope, duration.ms, by, reason)).message;
  },
  autocomplete(interaction, ctx) {
    return interaction.options.getFocused(true).name === 'duration' ? durationChoices(interaction) : targetChoices(interaction, ctx);
  },
};

/** The offered durations matching what was typed, and what was typed itself when it is a valid duration. */
function durationChoices(interaction: AutocompleteInteraction): Array<{ name: string; value: string }> {
  const typed = String(interaction.options.getFocused()).trim().toLowerCase();
  const offered = SILENCE_CHOICES.filter((c) => c.startsWith(typed)).map((c) => ({ name: c === 'off' ? 'off (lift the silence)' : c, value: c }));
  const own = typed !== '' && !SILENCE_CHOICES.some((c) => c === typed) && parseDuration(typed, { max: MAX_SILENCE_MS }).ok ? [{ name: typed, value: typed }] : [];
  return [...own, ...offered];
}

function listSilences(ctx: CommandContext): string {
  const { silences } = ctx.actions.activeSilences();
  if (silences.length === 0) return 'Nothing is silenced.';
  const line = (s: Silence & { what: string }) => clip(`**${s.what}** until ${discordTime(s.endsAt, 'f')} (${discordTime(s.endsAt)}) by <@${s.createdBy}>${s.reason ? ` — ${s.reason}` : ''}`, 300);
  const lines = silences.slice(0, 10).map(line);
  if (silences.length > 10) lines.push(`… and ${silences.length - 10} more`);
  return `Silenced now:\n${lines.join('\n')}`;
}
