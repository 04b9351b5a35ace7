/** The `incidents` table: the lifecycle record of each outage and its Discord message. */
import type { Database } from 'better-sqlite3';
import type { Diagnoses } from '../../core/diagnosis.js';
import type { Incident, IncidentKind, IncidentState } from '../../core/types.js';

/** Where an incident lives in Discord; both null until its message was posted. */
export interface DiscordRefs {
  messageId: string | null;
  threadId: string | null;
  /** Hash of the message as last rendered to Discord; null before the first post. */
  renderHash: string | null;
}

/** Typed access to incidents; every method is synchronous and may run inside `transaction()`. */
export interface IncidentRepo {
  /** Inserts a new incident and returns it with its id; a second unresolved one per subject throws. */
  insertIncident(incident: Incident): Incident;
  /** Overwrites the stored incident with the same id (Discord refs are left alone). */
  updateIncident(incident: Incident): void;
  /** The incident with this id, or null. */
  getIncident(id: number): Incident | null;
  /** Every incident that is not resolved, oldest first. */
  openIncidents(): Incident[];
  /** The most recently opened incident of this subject, whatever its state, or null. */
  latestIncidentFor(subject: string): Incident | null;
  /** Every unresolved incident plus those resolved at or after `resolvedSince` (the reopen window). */
  recentIncidents(resolvedSince: number): Incident[];
  /** Remembers the incident's Discord message and thread, so it is edited and never posted twice. */
  setDiscordMessage(id: number, messageId: string, threadId: string | null): void;
  /** The incident's Discord message and thread, or null when there is no such incident. */
  getDiscordRefs(id: number): DiscordRefs | null;
  /** Remembers what Discord now shows for the incident, so an unchanged rendering is not edited again. */
  setDiscordRenderHash(id: number, hash: string): void;
  /** The incident whose Discord thread this is, or null. */
  incidentByThread(threadId: string): Incident | null;
}

interface IncidentRow {
  id: number;
  subject: string;
  kind: IncidentKind;
  state: IncidentState;
  cause: string;
  targets_json: string;
  opened_at: number;
  resolved_at: number | null;
  reopen_count: number;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  notified_at: number | null;
  escalated_at: number | null;
  restart_count: number;
  needs_human: number;
  diagnoses_json: string | null;
}

const COLUMNS = `id, subject, kind, state, cause, targets_json, opened_at, resolved_at, reopen_count,
  acknowledged_by, acknowledged_at, notified_at, escalated_at, restart_count, needs_human, diagnoses_json`;

function fromRow(row: IncidentRow): Incident {
  return {
    id: row.id,
    subject: row.subject,
    kind: row.kind,
    state: row.state,
    cause: row.cause,
    targets: JSON.parse(row.targets_json) as string[],
    openedAt: row.opened_at,
    resolvedAt: row.resolved_at,
    reopenCount: row.reopen_count,
    acknowledgedBy: row.acknowledged_by,
    acknowledgedAt: row.acknowledged_at,
    notifiedAt: row.notified_at,
    escalatedAt: row.escalated_at,
    restartCount: row.restart_count,
    needsHuman: row.needs_human === 1,
    ...(row.diagnoses_json === null ? {} : { diagnoses: JSON.parse(row.diagnoses_json) as Diagnoses }),
  };
}

/** The named parameters shared by insert and update. */
function toParams(incident: Incident) {
  return {
    subject: incident.subject,
    kind: incident.kind,
    state: incident.state,
    cause: incident.cause,
    targets_json: JSON.stringify(incident.targets),
    opened_at: incident.openedAt,
    resolved_at: incident.resolvedAt,
    reopen_count: incident.reopenCount,
    acknowledged_by: incident.acknowledgedBy,
    acknowledged_at: incident.acknowledgedAt,
    notified_at: incident.notifiedAt,
    escalated_at: incident.escalatedAt,
    restart_count: incident.restartCount,
    needs_human: incident.needsHuman ? 1 : 0,
    diagnoses_json: incident.diagnoses && Object.keys(incident.diagnoses).length > 0 ? JSON.stringify(incident.diagnoses) : null,
  };
}

/** Builds the incident repository over `db`; `now` stamps created_at/updated_at. */
export function createIncidentRepo(db: Database, now: () => number): IncidentRepo {
  const insert = db.prepare(`
    INSERT INTO incidents (subject, kind, state, cause, targets_json, opened_at, resolved_at, reopen_count,
      acknowledged_by, acknowledged_at, notified_at, escalated_at, restart_count, needs_human, diagnoses_json,
      created_at, updated_at)
    VALUES (@subject, @kind, @state, @cause, @targets_json, @opened_at, @resolved_at, @reopen_count,
      @acknowledged_by, @acknowledged_at, @notified_at, @escalated_at, @restart_count, @needs_human, @diagnoses_json,
      @at, @at)`);
  const update = db.prepare(`
    UPDATE incidents SET subject = @subject, kind = @kind, state = @state, cause = @cause,
      targets_json = @targets_json, opened_at = @opened_at, resolved_at = @resolved_at,
      reopen_count = @reopen_count, acknowledged_by = @acknowledged_by, acknowledged_at = @acknowledged_at,
      notified_at = @notified_at, escalated_at = @escalated_at, restart_count = @restart_count,
      needs_human = @needs_human, diagnoses_json = @diagnoses_json, updated_at = @at
    WHERE id = @id`);
  const byId = db.prepare<[number], IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE id = ?`);
  const open = db.prepare<[], IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE state <> 'resolved' ORDER BY id`);
  // Ids grow in insertion order, which is opening order, and do not depend on the clock.
  const latest = db.prepare<[string], IncidentRow>(
    `SELECT ${COLUMNS} FROM incidents WHERE subject = ? ORDER BY id DESC LIMIT 1`,
  );
  const recent = db.prepare<[number], IncidentRow>(
    `SELECT ${COLUMNS} FROM incidents WHERE state <> 'resolved' OR resolved_at >= ? ORDER BY id`,
  );
  const setDiscord = db.prepare(
    'UPDATE incidents SET discord_message_id = ?, discord_thread_id = ?, updated_at = ? WHERE id = ?',
  );
  const discordRefs = db.prepare<[number], { discord_message_id: string | null; discord_thread_id: string | null; discord_render_hash: string | null }>(
    'SELECT discord_message_id, discord_thread_id, discord_render_hash FROM incidents WHERE id = ?',
  );
  const setRenderHash = db.prepare('UPDATE incidents SET discord_render_hash = ? WHERE id = ?');
  const byThread = db.prepare<[string], IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE discord_thread_id = ? ORDER BY id DESC LIMIT 1`);

  return {
    insertIncident(incident) {
      // Inserting an incident that already has an id would duplicate it: a caller bug.
      if (incident.id !== null) throw new Error(`insertIncident: incident ${incident.id} is already stored`);
      const { lastInsertRowid } = insert.run({ ...toParams(incident), at: now() });
      return { ...incident, targets: [...incident.targets], id: Number(lastInsertRowid) };
    },
    updateIncident(incident) {
      if (incident.id === null) throw new Error('updateIncident: incident has no id; insert it first');
      const { changes } = update.run({ ...toParams(incident), id: incident.id, at: now() });
      if (changes !== 1) throw new Error(`updateIncident: no incident with id ${incident.id}`);
    },
    getIncident(id) {
      const row = byId.get(id);
      return row ? fromRow(row) : null;
    },
    openIncidents() {
      return open.all().map(fromRow);
    },
    latestIncidentFor(subject) {
      const row = latest.get(subject);
      return row ? fromRow(row) : null;
    },
    recentIncidents(resolvedSince) {
      return recent.all(resolvedSince).map(fromRow);
    },
    setDiscordMessage(id, messageId, threadId) {
      const { changes } = setDiscord.run(messageId, threadId, now(), id);
      if (changes !== 1) throw new Error(`setDiscordMessage: no incident with id ${id}`);
    },
    getDiscordRefs(id) {
      const row = discordRefs.get(id);
      return row ? { messageId: row.discord_message_id, threadId: row.discord_thread_id, renderHash: row.discord_render_hash } : null;
    },
    setDiscordRenderHash(id, hash) {
      const { changes } = setRenderHash.run(hash, id);
      if (changes !== 1) throw new Error(`setDiscordRenderHash: no incident with id ${id}`);
    },
    incidentByThread(threadId) {
      const row = byThread.get(threadId);
      return row ? fromRow(row) : null;
    },
  };
}
