import type { AutocompleteInteraction, ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { CommandContext } from '../src/runtime/interactions/context.js';

export type { CommandContext } from '../src/runtime/interactions/context.js';

/** One slash command: its definition (registered by `stormguard register-commands`) and its handler. */
export interface SlashCommand {
  definition: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Whether only members with an operator role may use it. */
  operatorOnly: boolean;
  /** Runs after the router deferred the reply; returns the ephemeral answer. */
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<string>;
  /** Suggestions for a focused option (at most 25). */
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Array<{ name: string; value: string }>;
}
