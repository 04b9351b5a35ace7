/**
 * The shell around `judgeCycle` (SPEC §14): after each cycle it reads whether the cycle was whole —
 * watch caches, database, Discord or the email fallback — and tells the heartbeat, in its dialect.
 */
import { judgeCycle, type CycleFacts, type CycleVerdict } from '../core/heartbeat.js';
import type { EffectSink } from '../core/delivery.js';
import type { ClusterSnapshot } from '../core/types.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import type { CycleReport } from './cycle.js';
import type { Heartbeat } from './heartbeat.js';
import { discordSetupProblem, discordUnreachableSince } from './reachability.js';

/** Whether email's last delivery worked, as the email sink saw it. */
export interface EmailHealth {
  /** The sink to deliver through: it records each outcome. */
  sink: EffectSink;
  /** The last outcome: null before any delivery. */
  state(): { working: boolean; why: string | null } | null;
}

/** Wraps the email sink to remember whether its last delivery worked (the heartbeat's "email fallback working"). */
export function trackEmailHealth(sink: EffectSink): EmailHealth {
  let last: { working: boolean; why: string | null } | null = null;
  return {
    sink: {
      async deliver(pending, context) {
        try {
          const delivered = await sink.deliver(pending, context);
          last = { working: true, why: null };
          return delivered;
        } catch (err) {
          last = { working: false, why: err instanceof Error ? err.message : String(err) };
          throw err;
        }
      },
    },
    state: () => last,
  };
}

/** What watching the cycles needs. */
export interface CycleWatchDeps {
  heartbeat: Heartbeat;
  store: Store;
  logger: Logger;
  /** Whether the gateway is connected now; null when Discord is not configured. */
  discordConnected: (() => boolean) | null;
  /** The email sink's health; null when email is not configured. */
  email: EmailHealth | null;
}

/** The bot's cycle hooks that feed the heartbeat. */
export interface CycleWatch {
  starting(): void;
  completed(report: CycleReport): void;
  failed(err: unknown): void;
}

/**
 * Builds the hooks: each cycle's end is judged from facts read once, the verdict is sent, and a change
 * of verdict is logged once (the reason, never the URL).
 */
export function createCycleWatch(deps: CycleWatchDeps): CycleWatch {
  let lastReason: string | null = null;
  const end = (snapshot: ClusterSnapshot | null, cycleError: string | null) => {
    const verdict = judgeCycle(facts(deps, snapshot, cycleError));
    said(verdict);
    deps.heartbeat.report(verdict);
  };
  const said = (verdict: CycleVerdict) => {
    const reason = verdict.whole ? null : verdict.reason;
    if (reason === lastReason) return;
    if (reason === null) deps.logger.info({ kind: deps.heartbeat.kind }, 'cycles are whole again; the heartbeat says so');
    else deps.logger.warn({ kind: deps.heartbeat.kind, reason }, 'this cycle was not whole; the heartbeat reports a failure');
    lastReason = reason;
  };
  return {
    starting: () => deps.heartbeat.start(),
    completed: (report) => end(report.snapshot, null),
    failed: (err) => end(null, err instanceof Error ? err.message : String(err)),
  };
}

/** Reads the facts a verdict needs; a database that cannot even be read counts as not written. */
function facts(deps: CycleWatchDeps, snapshot: ClusterSnapshot | null, cycleError: string | null): CycleFacts {
  let databaseWritable = false;
  let discord: CycleFacts['discord'] = null;
  try {
    databaseWritable = deps.store.health().writable;
    if (deps.discordConnected) {
      const setup = discordSetupProblem(deps.store);
      const unreachable = discordUnreachableSince(deps.store) !== null;
      const connected = deps.discordConnected();
      const why = setup ? `refused: ${setup.problem}` : unreachable ? 'not answering' : connected ? null : 'gateway disconnected';
      discord = { reachable: why === null, why };
    }
  } catch {
    databaseWritable = false;
  }
  return { snapshot, cycleError, databaseWritable, discord, email: deps.email ? (deps.email.state() ?? { working: true, why: null }) : null };
}
