/**
 * The evidence of why a target is down, as one quiet note (issue 22 item 4): the last lines of the failing
 * container's log — its previous instance when it has restarted, since the running one has not failed
 * yet — and the newest Warning events about it. Which pod and container to read is decided here from the
 * cycle's facts; the shell reads the log and hands the text back. Everything read from the cluster is
 * redacted (core/redact.ts) before anything else, then made literal for Discord and fitted to a limit.
 * Pure: no I/O, no clock.
 */
import type { Diagnosis } from './diagnosis.js';
import { redactSecrets } from './redact.js';
import { clip, discordTime, escapeMarkdown, fitLines, oneLine, plural } from './text.js';
import type { PodFacts, WarningEvent, WorkloadFacts } from './types.js';

/** How many of the log's last lines are read (`tailLines`). */
export const LOG_TAIL_LINES = 50;

/** How many bytes of log are read at most (`limitBytes`): 50 lines of a chatty app, never megabytes. */
export const LOG_LIMIT_BYTES = 64 * 1024;

/** The longest log line shown; a longer one is clipped (a JSON log line can be kilobytes). */
export const MAX_LOG_LINE = 300;

/** The most of a note the Warning events may take, so the log keeps most of it. */
const EVENTS_BUDGET = 700;

/** Which container's log to read: the pod, the container, and whether its previous instance. */
export interface LogSource {
  pod: string;
  /** The container's name as the API knows it (no `init:` prefix); null when the pod does not report its containers. */
  container: string | null;
  /** Read the previous (terminated) instance: the container has restarted, so the last one is the one that failed. */
  previous: boolean;
  restartCount: number;
}

/** What reading a log gave: its text, or why it could not be read (403, 404, a timeout, a container never started). */
export type LogRead = { ok: true; text: string } | { ok: false; why: string };

/** Everything one evidence note shows. */
export interface Evidence {
  target: string;
  /** The container read, or null when there is none to read (the pod never got one, or no pod exists). */
  source: LogSource | null;
  /** The log as read; null when logs are off or there was nothing to read. */
  log: LogRead | null;
  events: WarningEvent[];
}

/**
 * The pod and container whose log explains `diagnosis` of this workload: the diagnosed container in a
 * pod that is not ready (the one that restarted most), else — on demand, without a diagnosis naming a
 * container — the container that restarted most in a pod that is not ready, else in any pod. Null when
 * the workload has no pod.
 */
export function logSource(workload: WorkloadFacts | undefined, diagnosis: Diagnosis | null): LogSource | null {
  if (!workload || workload.pods.length === 0) return null;
  const failing = workload.pods.filter((p) => !p.ready);
  const pods = failing.length > 0 ? failing : workload.pods;
  const wanted = diagnosis?.container ?? null;
  const candidates = pods.flatMap((pod) =>
    (pod.containers ?? []).filter((c) => wanted === null || (c.init ? `init:${c.name}` : c.name) === wanted).map((c) => ({ pod, c })),
  );
  if (candidates.length === 0) {
    const pod = pods[0]!;
    return (pod.containers ?? []).length === 0 && wanted === null ? { pod: pod.name, container: null, previous: false, restartCount: 0 } : orNull(pod, wanted);
  }
  const best = candidates.reduce((a, b) => (b.c.restartCount > a.c.restartCount ? b : a));
  return { pod: best.pod.name, container: best.c.name, previous: best.c.restartCount > 0, restartCount: best.c.restartCount };
}

/** A pod whose containers are not reported: read its only container's log (the API picks it), unless a named one was wanted. */
function orNull(pod: PodFacts, wanted: string | null): LogSource | null {
  if (wanted !== null && (pod.containers ?? []).length > 0) return null;
  return { pod: pod.name, container: wanted?.replace(/^init:/, '') ?? null, previous: false, restartCount: 0 };
}

/**
 * The evidence as one message of at most `max` characters (Discord's content limit by default): a line
 * saying what was read, the log's last lines in a code block that nothing inside can close, "(clipped; N
 * more lines)" when the newest lines that fit are fewer than were read, and the Warning events. Secrets
 * are redacted before anything is cut, so a clip can never leave half a secret unrecognised.
 */
export function evidenceText(evidence: Evidence, max: number): string {
  const head = headLine(evidence);
  const events = eventsPart(evidence.events);
  const parts = [head];
  const log = evidence.log;
  let tail = events === '' ? '' : `\n${events}`;
  if (log !== null && !log.ok) parts.push(`logs unavailable: ${escapeMarkdown(oneLine(redactSecrets(log.why)))}`);
  const prefix = clip(parts.join('\n'), Math.max(0, max - tail.length - 40));
  if (log === null || !log.ok) return clip(`${prefix}${tail}`, max);
  const lines = logLines(log.text);
  if (lines.length === 0) return clip(`${prefix}\n(the log is empty)${tail}`, max);
  // The newest lines matter most: fill from the end, and say how many older ones did not fit.
  const room = max - prefix.length - tail.length - '\n```\n\n```'.length;
  const shown: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const dropped = i + 1;
    const note = `\n(clipped; ${plural(dropped - 1, 'more line')})`.length;
    const line = lines[i]!;
    const next = used + line.length + (shown.length === 0 ? 0 : 1);
    if (next + (i === 0 ? 0 : note) > room) break;
    shown.unshift(line);
    used = next;
  }
  const more = lines.length - shown.length;
  if (shown.length === 0) return clip(`${prefix}\n(clipped; ${plural(more, 'more line')})${tail}`, max);
  const clipped = more > 0 ? `\n(clipped; ${plural(more, 'more line')})` : '';
  tail = `${clipped}${tail}`;
  return `${prefix}\n\`\`\`\n${shown.join('\n')}\n\`\`\`${tail}`;
}

/** A plain-text file people download (the `.txt` beside an ephemeral answer). */
export interface EvidenceFile {
  name: string;
  text: string;
}

/**
 * The whole excerpt as a `.txt` file, for an answer whose message had to clip the log (`/logs`, the Logs
 * button): every line read and the Warning events, redacted like the message, in plain text. Null when the
 * message at `max` characters shows everything there is, or there is no log.
 */
export function evidenceFile(evidence: Evidence, max: number): EvidenceFile | null {
  const { log, source, target } = evidence;
  if (log === null || !log.ok || source === null) return null;
  if (evidenceText(evidence, max) === evidenceText(evidence, Number.MAX_SAFE_INTEGER)) return null;
  const container = `${source.previous ? 'the previous container' : 'container'} ${source.container ?? '(its only one)'}`;
  const lines = cleanLog(log.text).replace(/\n+$/, '');
  const events = evidence.events.map((e) => `${e.reason}${e.count > 1 ? ` x${e.count}` : ''} on ${e.object} at ${new Date(e.lastSeen).toISOString()}: ${oneLine(redactSecrets(e.message))}`);
  const text = [`${target}: last ${LOG_TAIL_LINES} lines of ${container} (pod ${source.pod})`, '', lines, ...(events.length > 0 ? ['', 'Warning events:', ...events] : [])].join('\n');
  return { name: `logs-${target}.txt`, text: `${text}\n` };
}

/** What was read, in words: "Evidence for frigate — last 50 lines of the previous container frigate (pod …, restarted 5 times)". */
function headLine({ target, source, log }: Evidence): string {
  const who = `**Evidence for ${escapeMarkdown(target)}**`;
  // No log asked for (logs off, or a reason that started no container): the events speak alone.
  if (log === null) return who;
  // No pod to read: the line below says so.
  if (source === null) return who;
  const container = source.container === null ? 'its container' : `${source.previous ? 'the previous container' : 'container'} ${escapeMarkdown(source.container)}`;
  const restarts = source.restartCount > 0 ? `, restarted ${plural(source.restartCount, 'time')}` : '';
  return `${who} — last ${LOG_TAIL_LINES} lines of ${container} (pod ${escapeMarkdown(source.pod)}${restarts}):`;
}

/** The log as lines fit for a code block: secrets out, terminal colours and control characters gone, no fence can form. */
export function logLines(text: string): string[] {
  const lines = cleanLog(text)
    .split('\n')
    .map((line) => clip(codeSafe(line), MAX_LOG_LINE));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const ZERO_WIDTH_SPACE = '\u200b';

/** A log as text safe to show anywhere: secrets out, terminal colours and control characters (a CR too) gone, newlines kept. */
function cleanLog(text: string): string {
  return (
    redactSecrets(text)
      .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
  );
}

/** A line that cannot close (or open) a code fence: no two backticks touch. */
function codeSafe(line: string): string {
  return line.replace(/`(?=`)/g, `\`${ZERO_WIDTH_SPACE}`);
}

/** The Warning events, newest first, one line each: reason, count, object, when, and the API's words. */
function eventsPart(events: readonly WarningEvent[]): string {
  if (events.length === 0) return '';
  const lines = events.map((e) => {
    const count = e.count > 1 ? ` ×${e.count}` : '';
    const text = escapeMarkdown(oneLine(redactSecrets(e.message)));
    return clip(`- **${escapeMarkdown(oneLine(e.reason))}**${count} on ${escapeMarkdown(e.object)} ${discordTime(e.lastSeen)}: ${text}`, EVENTS_BUDGET / 2);
  });
  return `Warning events:\n${fitLines(lines, EVENTS_BUDGET - 'Warning events:\n'.length, (n) => `… and ${n} more`)}`;
}
