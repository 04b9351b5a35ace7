import type { Store } from '../adapters/sqlite/store.js';
import { EffectError, type EffectSink } from './outbox.js';
import type { Clock } from './ports.js';

/** Meta key holding since when Discord has not answered (epoch ms), empty while it answers. */
export const DISCORD_UNREACHABLE_SINCE = 'discord.unreachableSince';

/** Since when Discord has been unreachable, or null (persisted, so a bot restart keeps counting). */
export function discordUnreachableSince(store: Store): number | null {
  const value = Number(store.getMeta(DISCORD_UNREACHABLE_SINCE) ?? '');
  return Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * Wraps the Discord sink to remember whether Discord answers: a retryable failure (5xx, 429,
 * network) starts the unreachable clock if it is not running; any answer (success, or a 4xx that
 * Discord itself sent) stops it. The email fallback reads this clock.
 */
export function trackDiscordReachability(sink: EffectSink, store: Store, clock: Clock): EffectSink {
  return {
    async deliver(pending, incident) {
      try {
        await sink.deliver(pending, incident);
        markReachable(store);
      } catch (err) {
        if (err instanceof EffectError && !err.retryable) markReachable(store);
        else if (discordUnreachableSince(store) === null) store.setMeta(DISCORD_UNREACHABLE_SINCE, String(clock()));
        throw err;
      }
    },
  };
}

function markReachable(store: Store): void {
  if (discordUnreachableSince(store) !== null) store.setMeta(DISCORD_UNREACHABLE_SINCE, '');
}
