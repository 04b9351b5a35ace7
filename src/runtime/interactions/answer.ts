import type { InteractionEditReplyOptions } from 'discord.js';
import { withFiles } from '../../adapters/discord/files.js';
import { clip, DISCORD_LIMITS } from '../../core/text.js';
import type { CommandAnswer } from './context.js';

/**
 * The edit that turns a deferred (ephemeral) reply into the answer: the text within Discord's reply
 * limit, the files that fit attached (those that do not are named in the text), mentioning nobody.
 */
export function replyOptions(answer: string | CommandAnswer): InteractionEditReplyOptions {
  if (typeof answer === 'string') return { content: clip(answer, DISCORD_LIMITS.reply), allowedMentions: { parse: [] } };
  return { ...withFiles(answer.content, answer.files), allowedMentions: { parse: [] } };
}
