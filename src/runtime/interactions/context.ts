import type { AutocompleteInteraction, ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Config } from '../../config/types.js';
import { requireConfiguredTarget } from '../../core/gate.js';
import type { Actions } from '../actions/index.js';

/** What every command and button handler gets besides the interaction: the actions, and the configuration. */
export interface CommandContext {
  actions: Actions;
  config: Config;
}

/**
 * One slash command as the router sees it: its definition (registered by `stormguard register-commands`)
 * and its handler. Declared here, beside the context it is called with, so the router depends on the
 * contract and `commands/` implements it — never the other way round.
 */
export interface SlashCommand {
  definition: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Whether only members with an operator role may use it. */
  operatorOnly: boolean;
  /** Runs after the router deferred the reply; returns the ephemeral answer. */
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<string>;
  /** Suggestions for a focused option (at most 25). */
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Array<{ name: string; value: string }>;
}

/** A precondition's answer (Sapphire style): go ahead, or a refusal with a stable id and a sentence. */
export type Precondition = { ok: true } | { ok: false; reason: string; message: string };

/**
 * The shared "is this a configured target" precondition of `/restart`, `/silence` and `/status`: user
 * input never reaches Kubernetes unless it names a configured target. The sentence is the gate's.
 */
export function configuredTarget(name: string, ctx: CommandContext): Precondition {
  const found = requireConfiguredTarget(name, ctx.config.targets);
  return found.ok ? { ok: true } : { ok: false, reason: found.reason, message: `${found.message}.` };
}
