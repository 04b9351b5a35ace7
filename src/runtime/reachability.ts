import { storeProblem } from '../adapters/sqlite/health.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import { EffectError, type EffectSink } from '../core/delivery.js';
import type { Clock } from './ports.js';

/** Meta key holding since when Discord has not answered (epoch ms), empty while it answers. */
export const DISCORD_UNREACHABLE_SINCE = 'discord.unreachableSince';
/** Meta key holding the setup problem Discord refuses stormguard for (JSON), empty while it accepts. */
export const DISCORD_SETUP_PROBLEM = 'discord.setupProblem';

/** Why Discord refuses stormguard until a person fixes something (token, access, permissions, channel). */
export interface DiscordSetupProblem {
  problem: string;
  fix: string;
  since: number;
}

/** Since when Discord has been unreachable, or null (persisted, so a bot restart keeps counting). */
export function discordUnreachableSince(store: Store): number | null {
  const value = Number(store.getMeta(DISCORD_UNREACHABLE_SINCE) ?? '');
  return Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * After the wall clock stepped back, "unreachable since" lies after now: it restarts from now, so the
 * email fallback waits `fallbackAfter` from now and not the size of the step on top.
 */
export function settleUnreachableSince(store: Store, now: number): void {
  const since = discordUnreachableSince(store);
  if (since !== null && since > now) store.setMeta(DISCORD_UNREACHABLE_SINCE, String(now));
}

/** The setup problem Discord currently refuses stormguard for, or null. */
export function discordSetupProblem(store: Store): DiscordSetupProblem | null {
  const raw = store.getMeta(DISCORD_SETUP_PROBLEM);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as DiscordSetupProblem;
  } catch {
    return null;
  }
}

/** An error that carries a setup problem (the Discord adapter's `DiscordSetupError`), by shape. */
function setupOf(err: unknown): { problem: string; fix: string } | null {
  if (!(err instanceof EffectError)) return null;
  const { problem, fix } = err as EffectError & { problem?: unknown; fix?: unknown };
  return typeof problem === 'string' && typeof fix === 'string' ? { problem, fix } : null;
}

/**
 * Wraps the Discord sink to remember whether Discord can be told: a retryable failure (5xx, 429,
 * network) or a setup refusal (401, 403 50001/50013, 404 10003) starts the unreachable clock the
 * email fallback reads; a setup refusal is also remembered (for /readyz and the metric) and logged
 * once, with what to fix. Any success stops both; another 4xx means Discord answered.
 */
export function trackDiscordReachability(sink: EffectSink, store: Store, clock: Clock, logger?: Logger): EffectSink {
  return {
    async deliver(pending, context) {
      let delivered;
      try {
        delivered = await sink.deliver(pending, context);
      } catch (err) {
        // The database failed, not Discord (it may have just answered): nothing to learn about Discord.
        if (storeProblem(err) !== null) throw err;
        const setup = setupOf(err);
        if (setup && discordSetupProblem(store)?.problem !== setup.problem) {
          store.setMeta(DISCORD_SETUP_PROBLEM, JSON.stringify({ ...setup, since: clock() }));
          logger?.error({ problem: setup.problem }, `Discord refuses stormguard: ${setup.fix}; retrying every few minutes, email fallback covers it meanwhile`);
        }
        if (err instanceof EffectError && !err.retryable) markReachable(store, logger);
        else if (discordUnreachableSince(store) === null) store.setMeta(DISCORD_UNREACHABLE_SINCE, String(clock()));
        throw err;
      }
      try {
        markReachable(store, logger);
      } catch (err) {
        // Delivered all the same: a database that cannot record it must not make it look undelivered (and sent again).
        if (storeProblem(err) === null) throw err;
      }
      return delivered;
    },
  };
}

function markReachable(store: Store, logger?: Logger): void {
  if (discordUnreachableSince(store) !== null) store.setMeta(DISCORD_UNREACHABLE_SINCE, '');
  const problem = discordSetupProblem(store);
  if (problem) {
    store.setMeta(DISCORD_SETUP_PROBLEM, '');
    logger?.info({ problem: problem.problem }, 'Discord accepts stormguard again; delivering what it owes');
  }
}
