import type { AutocompleteInteraction, ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Config } from '../src/config/types.js';
import type { Actions } from '../src/runtime/actions.js';
import type { Store } from '../src/adapters/sqlite/store.js';
import type { ClusterReader, Clock } from '../src/runtime/ports.js';

/** What every command handler gets besides the interaction. */
export interface CommandContext {
  config: Config;
  actions: Actions;
  store: Store;
  cluster: ClusterReader;
  clock: Clock;
}

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
