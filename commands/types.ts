/** The contract every command file implements; it is declared beside the router that calls it. */
export type { CommandAnswer, CommandContext, SlashCommand } from '../src/runtime/interactions/context.js';
