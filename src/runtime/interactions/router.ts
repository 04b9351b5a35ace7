import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import { describeStoreProblem, storeProblem } from '../../adapters/sqlite/health.js';
import type { Logger } from '../../log.js';
import type { CommandAnswer, CommandContext, SlashCommand } from './context.js';
import { replyOptions } from './answer.js';
import { handleButton, isIncidentButton } from './buttons.js';

/** What the router needs: the commands, their shared context, and who may act. */
export interface RouterDeps {
  commands: ReadonlyMap<string, SlashCommand<string | CommandAnswer>>;
  ctx: CommandContext;
  guildId: string;
  operatorRoleIds: string[];
  logger: Logger;
  /** Whether stormguard is stopping (SIGTERM): nothing new is started, so nothing is cut off half-way. */
  stopping?: () => boolean;
}

type ActingInteraction = ChatInputCommandInteraction | ButtonInteraction;

/**
 * The one entry point for interactions: refuses other guilds and DMs, checks operator roles for
 * everything but `/status`, defers before any Kubernetes or database work (Discord gives three
 * seconds), and is the one error boundary — a person always gets an ephemeral answer.
 */
export function createInteractionRouter(deps: RouterDeps): (interaction: Interaction) => Promise<void> {
  const { ctx, logger } = deps;

  function refusal(interaction: ActingInteraction): { reason: string; message: string } | null {
    if (interaction.guildId === null) return { reason: 'directMessage', message: 'stormguard does not take commands in direct messages; use the incidents server.' };
    if (interaction.guildId !== deps.guildId) return { reason: 'otherGuild', message: 'stormguard only answers in the server it watches for.' };
    const operatorOnly = interaction.isButton() || (deps.commands.get(interaction.commandName)?.operatorOnly ?? true);
    if (operatorOnly && !isOperator(interaction, deps.operatorRoleIds)) {
      return {
        reason: 'notOperator',
        message: deps.operatorRoleIds.length === 0 ? 'No operator role is configured, so nobody may act (discord.operatorRoleIds).' : 'You need an operator role to do that.',
      };
    }
    if (deps.stopping?.()) return { reason: 'stopping', message: 'stormguard is stopping (a restart or a redeploy), so nothing was done; try again in a minute.' };
    return null;
  }

  async function act(interaction: ActingInteraction): Promise<void> {
    const refused = refusal(interaction);
    const action = interaction.isButton() ? interaction.customId.split(':')[0]! : interaction.commandName;
    if (refused) {
      try {
        ctx.actions.refuse(interaction.user.id, action, refused.reason, { guildId: interaction.guildId, channelId: interaction.channelId });
      } catch (err) {
        // A database that cannot take the audit row (logged by the store) must not leave the person unanswered.
        if (storeProblem(err) === null) throw err;
        logger.warn({ err: describe(err), reason: refused.reason }, 'refusal answered but not audited: the database cannot be written');
      }
      await interaction.reply({ content: refused.message, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      return;
    }
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const answer = interaction.isButton() ? await handleButton(interaction, ctx) : await deps.commands.get(interaction.commandName)!.execute(interaction, ctx);
    // The action is done whatever its answer's length: a long answer is clipped, never lost to a 400.
    await interaction.editReply(replyOptions(answer));
    // The person has their answer; what the action queued (thread notes, edits) goes out now, so a
    // refusal never waits on a slow receiver (SMTP) and a note follows at once.
    await ctx.actions.deliver();
  }

  return async (interaction) => {
    try {
      if (interaction.isAutocomplete()) {
        const command = deps.commands.get(interaction.commandName);
        const allowed = interaction.guildId === deps.guildId;
        await interaction.respond(allowed && command?.autocomplete ? command.autocomplete(interaction, ctx) : []);
        return;
      }
      if (interaction.isChatInputCommand() && deps.commands.has(interaction.commandName)) return await act(interaction);
      if (interaction.isButton() && isIncidentButton(interaction.customId)) return await act(interaction);
      if (interaction.isButton()) {
        // A button stormguard did not make (or an id mangled on the way): answered and audited, never silent.
        ctx.actions.refuse(interaction.user.id, 'button', 'unknownButton', { customId: interaction.customId.slice(0, 100), guildId: interaction.guildId });
        await interaction.reply({ content: 'stormguard does not know this button; use /status or the buttons on an incident message.', flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
        return;
      }
    } catch (err) {
      logger.error({ err: describe(err), interaction: interaction.id }, 'interaction failed');
      if (!interaction.isRepliable()) return;
      const problem = storeProblem(err);
      // A database that cannot be written is not a mystery to the person: nothing was done, and why.
      const content = problem
        ? `stormguard cannot write its database right now (${describeStoreProblem(problem)}), so nothing was done; it is logged. Try again once it is fixed.`
        : 'Something went wrong while handling that; it is logged. Please try again.';
      try {
        if (interaction.deferred || interaction.replied) await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
        else await interaction.reply({ content, flags: MessageFlags.Ephemeral });
      } catch (replyErr) {
        logger.warn({ err: describe(replyErr) }, 'could not tell the person about the failure');
      }
    }
  };
}

/** Whether the member has one of the operator roles; an empty list means nobody (fail closed). */
function isOperator(interaction: ActingInteraction, operatorRoleIds: string[]): boolean {
  const roles = interaction.member?.roles;
  if (!roles) return false;
  const held = Array.isArray(roles) ? roles : [...roles.cache.keys()];
  return held.some((r) => operatorRoleIds.includes(r));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
