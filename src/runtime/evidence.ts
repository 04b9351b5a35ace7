/**
 * The shell around core/evidence.ts: after a cycle committed, each incident that now knows why one of
 * its targets is down gets ONE quiet thread note with the evidence (the failing container's last log
 * lines and the newest Warning events), and `/logs` and the Logs button answer with the same excerpt.
 * Reading a log is I/O, so it happens here, after commit and outside any transaction; the note is an
 * outbox effect queued with an audit record in one transaction (the record is also what makes it once).
 * A log that cannot be read is a line in the note, never a failed cycle.
 */
import type { Config } from '../config/types.js';
import type { Diagnosis } from '../core/diagnosis.js';
import { redactSecrets } from '../core/redact.js';
import { evidenceFile, evidenceText, logSource, type Evidence, type LogRead, type LogSource } from '../core/evidence.js';
import { DISCORD_LIMITS } from '../core/text.js';
import type { ClusterSnapshot, Incident } from '../core/types.js';
import { createLogReader, type LogReader } from '../adapters/kube/logs.js';
import type { Store } from '../adapters/sqlite/store.js';
import type { Logger } from '../log.js';
import type { ClusterReader, Clock } from './ports.js';
import type { CommandAnswer } from './interactions/context.js';

/** The audit action that records an incident's evidence note for one target (and makes it once). */
export const EVIDENCE_QUEUED = 'evidenceQueued';

/** At most this many targets of one incident get a note (a node incident can list dozens). */
const MAX_NOTES_PER_INCIDENT = 3;

/** What the evidence needs from the shell. */
export interface EvidenceDeps {
  config: Config;
  store: Store;
  /** Reads container logs; null when `diagnosis.logs` is off (then no log is ever requested). */
  logs: LogReader | null;
  clock: Clock;
  logger: Logger;
}

/** The incidents among `incidents` that know why some target is down and may still owe their evidence note. */
export function mayOweEvidence(incidents: ReadonlyArray<Incident | null>): number[] {
  return incidents.filter((i): i is Incident => i !== null && i.id !== null && i.state !== 'resolved' && Object.keys(i.diagnoses ?? {}).length > 0).map((i) => i.id!);
}

/**
 * Reads the evidence of each incident in `incidentIds` that does not have its note yet, and queues the
 * note (only with logs on) (one per diagnosed target, a few at most) with its audit record. Call after the cycle committed,
 * before restarts replace the pods whose logs say why. Returns how many notes were queued.
 */
export async function queueEvidence(deps: EvidenceDeps, incidentIds: readonly number[], snapshot: ClusterSnapshot): Promise<number> {
  // Logs off, no note: the card already says why, and the Warning events stay one /logs away.
  if (deps.logs === null || incidentIds.length === 0 || !snapshot.reachable) return 0;
  const jobs: Array<{ incident: Incident; target: string; diagnosis: Diagnosis }> = [];
  for (const id of incidentIds) {
    const incident = deps.store.getIncident(id);
    if (!incident || incident.state === 'resolved') continue;
    const done = new Set(deps.store.auditFor({ incidentId: id, action: EVIDENCE_QUEUED }).map((a) => String(a.detail.target)));
    const owed = Object.entries(incident.diagnoses ?? {}).filter(([target]) => !done.has(target));
    // Once per incident and target: the first diagnosis brings its evidence; later ones have /logs.
    for (const [target, diagnosis] of owed.slice(0, Math.max(0, MAX_NOTES_PER_INCIDENT - done.size))) jobs.push({ incident, target, diagnosis });
  }
  const read = await Promise.all(jobs.map((job) => gather(deps, snapshot, job.target, job.diagnosis)));
  const now = deps.clock();
  let queued = 0;
  deps.store.transaction(() => {
    jobs.forEach(({ incident, target }, i) => {
      const evidence = read[i]!;
      if (evidence.log === null && evidence.events.length === 0) return;
      if (deps.store.auditFor({ incidentId: incident.id!, action: EVIDENCE_QUEUED }).some((a) => a.detail.target === target)) return;
      deps.store.enqueueEffect(incident.id!, { type: 'threadNote', text: evidenceText(evidence, DISCORD_LIMITS.content) }, now);
      // What was read, never what it said: the log's text stays out of the audit log and the database.
      deps.store.appendAudit({ at: now, actor: 'scheduler', action: EVIDENCE_QUEUED, subject: incident.subject, incidentId: incident.id, reason: null, detail: auditDetail(target, evidence) });
      queued++;
    });
  });
  return queued;
}

/**
 * `/logs` and the Logs button: the same excerpt for one configured target, from a fresh snapshot, as an
 * ephemeral answer, with the whole excerpt as a `.txt` file when the message had to clip it. With logs off
 * it says so and shows the Warning events only.
 */
export async function evidenceNow(deps: EvidenceDeps & { cluster: ClusterReader }, targetName: string): Promise<CommandAnswer> {
  const target = deps.config.targets.find((t) => t.name === targetName);
  if (!target) return { content: `${targetName} is not a configured target.`, files: [] };
  const snapshot = await deps.cluster.snapshot(deps.config.targets, deps.clock());
  if (!snapshot.reachable) return { content: `The Kubernetes API does not answer (${snapshot.error}), so there is no log to show.`, files: [] };
  const diagnosis = deps.store.openIncidents().find((i) => i.diagnoses?.[targetName])?.diagnoses?.[targetName] ?? null;
  const evidence = await gather(deps, snapshot, targetName, diagnosis, true);
  const off = deps.logs === null ? '\n(log excerpts are off: diagnosis.logs is false)' : '';
  const max = DISCORD_LIMITS.reply - off.length;
  // What the message had to clip goes whole beside it, as Discord shows a long paste: a .txt file.
  const file = evidenceFile(evidence, max);
  return { content: evidenceText(evidence, max) + off, files: file ? [{ name: file.name, data: file.text, description: `Log excerpt of ${targetName}, redacted` }] : [] };
}

/**
 * Reads what one target's evidence shows. In a note, only a diagnosis that names a container has a log
 * to read (a pod that cannot be scheduled or mount its volume never started one); asked for by a person
 * (`anyContainer`), the container that restarted most is read.
 */
async function gather(deps: EvidenceDeps, snapshot: ClusterSnapshot, target: string, diagnosis: Diagnosis | null, anyContainer = false): Promise<Evidence> {
  const workload = snapshot.reachable ? snapshot.workloads[target] : undefined;
  const events = workload?.events ?? [];
  const config = deps.config.targets.find((t) => t.name === target);
  const wantsLog = deps.logs !== null && config !== undefined && (anyContainer || diagnosis?.container != null);
  const source = wantsLog ? logSource(workload, diagnosis) : null;
  if (!wantsLog) return { target, source: null, log: null, events };
  if (source === null) return { target, source: null, log: { ok: false, why: 'no pod to read a log from' }, events };
  const log = await readLog(deps, config.namespace, source);
  return { target, source, log, events };
}

async function readLog(deps: EvidenceDeps, namespace: string, source: LogSource): Promise<LogRead> {
  try {
    const log = await deps.logs!.read(namespace, source);
    if (!log.ok) deps.logger.info({ namespace, pod: source.pod, container: source.container, why: log.why }, 'container log unavailable');
    return log;
  } catch (err) {
    // The reader promises never to throw; a bug there still must not cost the incident its note.
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
}

function auditDetail(target: string, evidence: Evidence): Record<string, unknown> {
  const { source, log } = evidence;
  return {
    target,
    pod: source?.pod ?? null,
    container: source?.container ?? null,
    previous: source?.previous ?? false,
    log: log === null ? 'none' : log.ok ? 'read' : `unavailable: ${redactSecrets(log.why)}`,
    events: evidence.events.length,
  };
}

/** The log reader the app uses: none with `diagnosis.logs` off (no `pods/log` request, ever), else the one given, else one over `config.kubernetes`. */
export function evidenceLogReader(config: Config, options: { logs?: LogReader | null; env?: NodeJS.ProcessEnv }): LogReader | null {
  if (!config.diagnosis.logs) return null;
  if (options.logs !== undefined) return options.logs;
  return createLogReader({ ...config.kubernetes, env: options.env ?? process.env });
}
