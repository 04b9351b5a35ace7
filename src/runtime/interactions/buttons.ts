import type { ButtonInteraction } from 'discord.js';
import { parseIncidentButton, SILENCE_BUTTON_LABEL, SILENCE_BUTTON_MS } from '../../core/buttons.js';
import { scopeOfSubject } from '../../core/silence.js';
import type { CommandAnswer, CommandContext } from './context.js';
import { exportAnswer } from './export.js';

/** Whether a custom id is one of the incident message's buttons. */
export function isIncidentButton(customId: string): boolean {
  return parseIncidentButton(customId) !== null;
}

/** Handles a button with the same actions as the slash commands (people on phones tap, they don't type). */
export async function handleButton(interaction: ButtonInteraction, ctx: CommandContext): Promise<string | CommandAnswer> {
  const { action, incidentId } = parseIncidentButton(interaction.customId)!;
  const incident = ctx.actions.incident(incidentId);
  const by = interaction.user.id;
  if (!incident) return `Incident #${incidentId} does not exist.`;
  switch (action) {
    case 'ack':
      return (await ctx.actions.acknowledge(incident, by, 'button')).message;
    case 'export':
      return exportAnswer(incidentId, 'md', ctx);
    case 'silence':
      if (incident.state === 'resolved') return ctx.actions.alreadyResolved(incident);
      return (await ctx.actions.silence(scopeOfSubject(incident.subject), SILENCE_BUTTON_MS, by, `${SILENCE_BUTTON_LABEL} button`)).message;
    case 'restart': {
      if (incident.state === 'resolved') return ctx.actions.alreadyResolved(incident);
      const targets = ctx.actions.targetsToRestart(incident);
      if (targets.length === 0) return `Incident ${ctx.actions.named(incident)} lists no target to restart.`;
      const results: string[] = [];
      for (const target of targets) results.push((await ctx.actions.restart(target, by, 'Restart button')).message);
      return results.join('\n');
    }
    case 'logs': {
      // The evidence of the first target that is down (else the first listed); /logs names any other.
      const [first, ...others] = ctx.actions.targetsToRestart(incident);
      if (first === undefined) return `Incident ${ctx.actions.named(incident)} lists no target to read logs of.`;
      if (!ctx.logsOf) return 'Logs are not available here.';
      const more = others.length > 0 ? `\nAlso listed: ${others.slice(0, 10).join(', ')}${others.length > 10 ? ', …' : ''} — use /logs target: for them.` : '';
      const evidence = await ctx.logsOf(first);
      return { ...evidence, content: `${evidence.content}${more}` };
    }
  }
}
