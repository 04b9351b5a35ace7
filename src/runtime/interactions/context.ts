import type { AutocompleteInteraction, ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { OutgoingFile } from '../../adapters/discord/files.js';
import type { Config } from '../../config/types.js';
import { requireConfiguredTarget } from '../../core/gate.js';
import type { Actions } from '../actions/index.js';

/** What every command and button handler gets besides the interaction: the actions, and the configuration. */
export interface CommandContext {
  actions: Actions;
  config: Config;
  /** `/logs` and the Logs button: the evidence excerpt of a configured target, as an answer (absent: not available). */
  logsOf?: (target: string) => Promise<CommandAnswer>;
}

/**
 * One slash command as the router sees it: its definition (registered by `stormguard register-commands`)
 * and its handler. Declared here, beside the context it is called with, so the router depends on the
 * contract and `commands/` implements it — never the other way round.
 */
export interface SlashCommand<Answer extends string | CommandAnswer = string> {
  definition: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Whether only members with an operator role may use it. */
  operatorOnly: boolean;
  /** Runs after the router deferred the reply; returns the ephemeral answer: text, or text with files (`SlashCommand<CommandAnswer>`). */
  execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<Answer>;
  /** Suggestions for a focused option (at most 25). */
  autocomplete?(interaction: AutocompleteInteraction, ctx: CommandContext): Array<{ name: string; value: string }>;
}

/** An answer with files attached (an incident export): the text, and the files within Discord's limits. */
export interface CommandAnswer {
  content: string;
  files: readonly OutgoingFile[];
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
