/** The contract of people's actions: what commands and buttons call, and what the shell gives them. */
import type { ExportFormat } from '../../core/export.js';
import type { Maintenance } from '../../core/maintenance.js';
import type { Config } from '../../config/types.js';
import type { GateDecision } from '../../core/gate.js';
import type { ClusterSnapshot, Incident, Silence, SilenceScope, TargetState } from '../../core/types.js';
import type { Store } from '../../adapters/sqlite/store.js';
import type { AlertmanagerApi } from '../../adapters/alertmanager/api.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../metrics.js';
import type { MaintenanceWindow } from '../../core/windows.js';
import type { MaintenanceActions } from './maintenance.js';
import type { ClusterReader, Clock, Restarter } from '../ports.js';
import type { IncidentListing } from './incidentList.js';

/** What people's actions (commands and buttons) need from the shell. */
export interface ActionDeps {
  config: Config;
  store: Store;
  cluster: ClusterReader;
  restarter: Restarter;
  clock: Clock;
  logger: Logger;
  /** Delivers pending effects now (the interaction router calls it after answering the person). */
  deliver: () => Promise<unknown>;
  metrics?: Metrics;
  /** Alertmanager's API, when `alertmanager.url` is configured: silences of `alert:` incidents go there too. */
  alertmanager?: AlertmanagerApi | null;
  /** The last cycle's view of the cluster, so a reply titles an incident as its card does ("node-b is NotReady"). */
  lastSnapshot?: () => ClusterSnapshot | null;
}

/** Everything one `/status` answer shows, read once for all the targets it lists. */
export interface StatusFacts {
  snapshot: ClusterSnapshot;
  now: number;
  states: Record<string, TargetState>;
  /** The open incident shown for each listed target (`incidentAbout`: the one covering it, else one naming it), if any. */
  covering: Map<string, Incident | null>;
  /** How to name each covering incident to people: its subject, or an Alertmanager group's title. */
  names: Map<number, string>;
  silences: Silence[];
  gate: Map<string, GateDecision>;
  /** The maintenance windows in force (absent: none known). */
  windows?: MaintenanceWindow[];
  /** The planned maintenances in force (`activeMaintenance`). */
  maintenance: Maintenance[];
}

/** The result of a person's action: a sentence for them, and whether it happened. */
export interface ActionResult {
  ok: boolean;
  message: string;
}

/**
 * The actions a person can take, shared by slash commands and buttons so both behave the same: the
 * contract the commands and the interaction router are written against.
 */
export interface Actions extends MaintenanceActions {
  /** Records a refusal (unauthorised, wrong guild, bad input) in the audit log. */
  refuse(actor: string, action: string, reason: string, detail?: Record<string, unknown>): void;

  /** What the gate says right now about restarting `target` by hand, from a fresh snapshot. */
  gateNow(targetName: string, snapshot?: ClusterSnapshot): Promise<GateDecision>;

  /** The gate's answer for several targets against one snapshot, reading the database once. */
  gateAll(targetNames: string[], snapshot: ClusterSnapshot): Map<string, GateDecision>;

  /**
   * `/restart` and the Restart button: through the same gate as the scheduler, then carried out and
   * noted. The gate is asked and the attempt written in ONE transaction, after the only `await` (the
   * snapshot): another person's restart or a cycle cannot slip in between — the second sees the first's
   * pending attempt and is refused (`restartInProgress`).
   */
  restart(targetName: string, by: string, reason: string | null): Promise<ActionResult>;

  /** `/note text:` in an incident's thread: a timeline entry, and a quiet thread note saying who wrote it. */
  note(incident: Incident, by: string, text: string): Promise<ActionResult>;

  /** `/incident export` and the Export button: the incident's export as a file, read from the database; null when there is no such incident. */
  exportFile(incidentId: number, format: ExportFormat): { name: string; content: string } | null;

  /** `/ack` and the Acknowledge button. */
  acknowledge(incident: Incident, by: string, via?: 'button' | 'slashCommand'): Promise<ActionResult>;

  /**
   * `/silence` and the Silence 1h button: a scope of everything, one target, one node or one alert
   * group. One silence per scope: a new one replaces the one in force (its end is the new one, shorter
   * or longer), so repeated clicks never stack. All of it commits in one transaction.
   */
  silence(scope: SilenceScope, durationMs: number, by: string, reason: string): Promise<ActionResult>;

  /**
   * `/silence off` in an Alertmanager incident's thread: lifts the silences of that incident's group, in
   * stormguard and (expiring every one stormguard tagged for the group) in Alertmanager; a silence of
   * everything stays.
   */
  liftIncidentSilence(incident: Incident, by: string): Promise<ActionResult>;

  /**
   * `/silence off`: without a target every silence; with one, the silences that mute it — its own and
   * its incident's (what `/status` shows for it) — but not a silence of everything. Alert groups whose
   * silence is lifted are lifted in Alertmanager too.
   */
  liftSilence(target: string | null, by: string): Promise<ActionResult>;

  /** Brings Alertmanager's tagged silences to what stormguard committed (at start: a crash may have left some behind). */
  reconcileAlertSilences(): Promise<void>;

  /** Delivers what the actions queued (thread notes, edits); the router calls it after replying. */
  deliver(): Promise<unknown>;

  /** The incident with this id (any state), or null. */
  incident(id: number): Incident | null;

  /** How a reply names an incident: `#3 “frigate is down (HTTP 503)”`. */
  named(incident: Incident): string;

  /** The refusal for acting on a resolved incident. */
  alreadyResolved(incident: Incident): string;

  /** What the Restart button restarts: the incident's targets that are down, else all it lists. */
  targetsToRestart(incident: Incident): string[];

  /** What `/status` shows for these targets, from a fresh snapshot, reading the database once. */
  statusFacts(targetNames: string[]): Promise<StatusFacts>;

  /** The incident whose thread this is (any state), or null. */
  incidentByThread(threadId: string): Incident | null;

  /** Every incident that is not resolved, oldest first. */
  openIncidents(): Incident[];

  /**
   * What `/incidents` lists: open incidents newest first and, with `days`, those resolved in the last
   * `days` days, most recent first; each with its Discord message id (null before it was posted), and now.
   */
  incidentList(days?: number): IncidentListing & { maintenance: Maintenance[] };

  /** The silences in force now, soonest to end first, each with its scope in words (`/silence` without a duration lists them). */
  activeSilences(): { now: number; silences: Array<Silence & { what: string }> };
}
