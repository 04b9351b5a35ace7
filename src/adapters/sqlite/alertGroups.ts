/** The `alert_groups` table: each Alertmanager group's last notification, incident and silence. */
import type { Database } from 'better-sqlite3';
import type { AlertGroup, AlertmanagerSilence, AlertNotification } from '../../core/alertmanager.js';

/** Typed access to Alertmanager groups; synchronous, may run inside `transaction()`. */
export interface AlertGroupRepo {
  /** The group with this `groupKey`, or null when Alertmanager never sent it. */
  alertGroup(groupKey: string): AlertGroup | null;
  /** Inserts or overwrites the group (its silence included). */
  saveAlertGroup(group: AlertGroup): void;
  /** The groups that belong to an incident (its own group, or those that joined it), by key. */
  alertGroupsForIncident(incidentId: number): AlertGroup[];
  /** Sets or clears the Alertmanager silence stormguard created for a group. */
  setAlertGroupSilence(groupKey: string, silence: AlertmanagerSilence | null): void;
}

interface AlertGroupRow {
  group_key: string;
  subject: string;
  incident_id: number | null;
  title: string;
  notification_json: string;
  silence_id: string | null;
  silence_ends_at: number | null;
  silence_created_by: string | null;
  updated_at: number;
}

const COLUMNS = 'group_key, subject, incident_id, title, notification_json, silence_id, silence_ends_at, silence_created_by, updated_at';

function fromRow(row: AlertGroupRow): AlertGroup {
  return {
    groupKey: row.group_key,
    subject: row.subject,
    incidentId: row.incident_id,
    title: row.title,
    notification: JSON.parse(row.notification_json) as AlertNotification,
    silence: row.silence_id === null ? null : { id: row.silence_id, endsAt: row.silence_ends_at!, createdBy: row.silence_created_by! },
    updatedAt: row.updated_at,
  };
}

/** Builds the Alertmanager group repository over `db`. */
export function createAlertGroupRepo(db: Database): AlertGroupRepo {
  const byKey = db.prepare<[string], AlertGroupRow>(`SELECT ${COLUMNS} FROM alert_groups WHERE group_key = ?`);
  const byIncident = db.prepare<[number], AlertGroupRow>(`SELECT ${COLUMNS} FROM alert_groups WHERE incident_id = ? ORDER BY group_key`);
  const upsert = db.prepare(`
    INSERT INTO alert_groups (${COLUMNS})
    VALUES (@group_key, @subject, @incident_id, @title, @notification_json, @silence_id, @silence_ends_at, @silence_created_by, @updated_at)
    ON CONFLICT (group_key) DO UPDATE SET subject = excluded.subject, incident_id = excluded.incident_id, title = excluded.title,
      notification_json = excluded.notification_json, silence_id = excluded.silence_id, silence_ends_at = excluded.silence_ends_at,
      silence_created_by = excluded.silence_created_by, updated_at = excluded.updated_at`);
  const setSilence = db.prepare('UPDATE alert_groups SET silence_id = ?, silence_ends_at = ?, silence_created_by = ? WHERE group_key = ?');

  return {
    alertGroup(groupKey) {
      const row = byKey.get(groupKey);
      return row ? fromRow(row) : null;
    },
    saveAlertGroup(group) {
      upsert.run({
        group_key: group.groupKey,
        subject: group.subject,
        incident_id: group.incidentId,
        title: group.title,
        notification_json: JSON.stringify(group.notification),
        silence_id: group.silence?.id ?? null,
        silence_ends_at: group.silence?.endsAt ?? null,
        silence_created_by: group.silence?.createdBy ?? null,
        updated_at: group.updatedAt,
      });
    },
    alertGroupsForIncident(incidentId) {
      return byIncident.all(incidentId).map(fromRow);
    },
    setAlertGroupSilence(groupKey, silence) {
      const { changes } = setSilence.run(silence?.id ?? null, silence?.endsAt ?? null, silence?.createdBy ?? null, groupKey);
      if (changes !== 1) throw new Error(`setAlertGroupSilence: no Alertmanager group ${groupKey}`);
    },
  };
}
