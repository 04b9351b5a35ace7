import type { AutocompleteInteraction } from 'discord.js';
import { clip, DISCORD_LIMITS } from '../src/core/text.js';
import type { CommandContext } from './types.js';

/** Target names from the configuration that contain what the person typed (Discord shows at most 25). */
export function targetChoices(interaction: AutocompleteInteraction, ctx: CommandContext): Array<{ name: string; value: string }> {
  const typed = String(interaction.options.getFocused()).toLowerCase();
  return ctx.config.targets
    .filter((t) => t.name.includes(typed))
    .slice(0, 25)
    .map((t) => ({ name: clip(`${t.name} (${t.namespace})`, DISCORD_LIMITS.choiceName), value: t.name }));
}

/** Open incidents matching what the person typed, by id and subject. */
export function incidentChoices(interaction: AutocompleteInteraction, ctx: CommandContext): Array<{ name: string; value: string }> {
  const typed = String(interaction.options.getFocused()).toLowerCase();
  return ctx.actions
    .openIncidents()
    .map((i) => ({ name: clip(`#${i.id} ${i.subject} — ${i.state}`, DISCORD_LIMITS.choiceName), value: String(i.id) }))
    .filter((c) => c.name.toLowerCase().includes(typed))
    .slice(0, 25);
}
