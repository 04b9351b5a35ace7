import type { Config } from '../../config/types.js';
import { requireConfiguredTarget } from '../../core/gate.js';
import type { Actions } from '../actions.js';

/** What every command and button handler gets besides the interaction: the actions, and the configuration. */
export interface CommandContext {
  actions: Actions;
  config: Config;
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
