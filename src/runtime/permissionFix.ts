/**
 * A fix made in Discord is seen at once (SPEC §14, issue 24 item 3): when the gateway says the incidents
 * channel's overwrites, a role of the bot or the bot's roles changed while Discord refuses stormguard
 * for a permission (403 50001/50013, or another 403), what it refused is delivered again right away
 * instead of at the next retry (minutes). The retry timer stays the fallback.
 */
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import type { Clock } from './ports.js';
import { discordSetupProblem } from './reachability.js';

/** The setup problems a permission change in Discord can fix: the 403s (a 401 token or a 404 channel cannot). */
const FIXED_BY_PERMISSIONS = new Set(['missingAccess', 'missingPermissions', 'forbidden']);

/**
 * At most one early delivery per this long, however many events arrive: a burst of updates (a person
 * ticking boxes) is one attempt, and a wrong fix costs one refused request per second at most — far
 * inside Discord's limit of 10,000 invalid requests per 10 minutes.
 */
export const PERMISSION_FIX_DEBOUNCE_MS = 1_000;

/** Takes the gateway's permission events. */
export interface PermissionFix {
  /** A permission may have changed (`event` names the gateway event, for the log). */
  changed(event: string): void;
  /** Cancels a pending attempt (shutdown). */
  stop(): void;
}

/** Builds the reaction; `deliver` is the bot's delivery pass. */
export function createPermissionFix(deps: { store: Store; clock: Clock; logger: Logger; deliver: () => Promise<unknown>; debounceMs?: number }): PermissionFix {
  let timer: NodeJS.Timeout | null = null;
  const events = new Set<string>();

  function attempt(): void {
    timer = null;
    const seen = [...events];
    events.clear();
    let hurried: number;
    try {
      const problem = discordSetupProblem(deps.store);
      // Nothing refused for a permission: nothing to hurry, and no request is spent.
      if (!problem || !FIXED_BY_PERMISSIONS.has(problem.problem)) return;
      hurried = deps.store.hurryPending('discord', deps.clock());
      deps.logger.info({ events: seen, problem: problem.problem, effects: hurried }, 'Discord permissions changed: delivering what it refused now');
    } catch (err) {
      // The database refuses writes: the retry timer delivers once it takes them again.
      deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Discord permissions changed, but the outbox could not be hurried');
      return;
    }
    if (hurried > 0) void deps.deliver().catch((err: unknown) => deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'delivery after a Discord permission change failed'));
  }

  return {
    changed(event) {
      events.add(event);
      // Trailing throttle: the first event starts the wait, later ones join it.
      timer ??= setTimeout(attempt, deps.debounceMs ?? PERMISSION_FIX_DEBOUNCE_MS);
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
