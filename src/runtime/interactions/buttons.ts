import type { ButtonInteraction } from 'discord.js';
import { scopeOfSubject } from '../../core/silence.js';
import type { CommandContext } from './context.js';

const BUTTON_ACTIONS = ['ack', 'silence', 'restart'] as const;
const SILENCE_BUTTON_MS = 3_600_000;

/** Whether a custom id is one of the incident message's buttons (`ack:<id>`, `silence:<id>`, `restart:<id>`). */
export function isIncidentButton(customId: string): boolean {
  const [action, id] = customId.split(':');
  return BUTTON_ACTIONS.includes(action as (typeof BUTTON_ACTIONS)[number]) && /^\d+$/.test(id ?? '');
}

/** Handles a button with the same actions as the slash commands (people on phones tap, they don't type). */
export async function handleButton(interaction: ButtonInteraction, ctx: CommandContext): Promise<string> {
  const [action, rawId] = interaction.customId.split(':');
  const incident = ctx.actions.incident(Number(rawId));
  const by = interaction.user.id;
  if (!incident) return `Incident #${rawId} does not exist.`;
  switch (action) {
    case 'ack':
      return (await ctx.actions.acknowledge(incident, by)).message;
    case 'silence':
      if (incident.state === 'resolved') return ctx.actions.alreadyResolved(incident);
      return (await ctx.actions.silence(scopeOfSubject(incident.subject), SILENCE_BUTTON_MS, by, 'Silence 1h button')).message;
    default: {
      if (incident.state === 'resolved') return ctx.actions.alreadyResolved(incident);
      const targets = ctx.actions.targetsToRestart(incident);
      if (targets.length === 0) return `Incident ${ctx.actions.named(incident)} lists no target to restart.`;
      const results: string[] = [];
      for (const target of targets) results.push((await ctx.actions.restart(target, by, 'Restart button')).message);
      return results.join('\n');
    }
  }
}
