-- Alertmanager groups as incidents (SPEC §10): incidents of kind 'alert', and what each group showed last.

-- SQLite cannot change a CHECK constraint in place, so the incidents table is rebuilt with 'alert'
-- allowed: copied aside, recreated, copied back. Neither ALTER TABLE RENAME nor a TEMP table: both
-- leave the connection unable to checkpoint the WAL afterwards ("database table is locked").
-- Foreign keys are off during migrations and checked afterwards by migrate.ts; ids are kept.
CREATE TABLE incidents_copy AS SELECT * FROM incidents;
DROP TABLE incidents;

CREATE TABLE incidents (
  id                  INTEGER PRIMARY KEY,
  subject             TEXT    NOT NULL CHECK (length(subject) > 0),
  kind                TEXT    NOT NULL CHECK (kind IN ('target', 'node', 'cluster', 'alert')),
  state               TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  cause               TEXT    NOT NULL,
  targets_json        TEXT    NOT NULL DEFAULT '[]'
                      CHECK (json_valid(targets_json) AND json_type(targets_json) = 'array'),
  opened_at           INTEGER NOT NULL,
  resolved_at         INTEGER,
  reopen_count        INTEGER NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
  acknowledged_by     TEXT,
  acknowledged_at     INTEGER,
  notified_at         INTEGER,
  escalated_at        INTEGER,
  restart_count       INTEGER NOT NULL DEFAULT 0 CHECK (restart_count >= 0),
  needs_human         INTEGER NOT NULL DEFAULT 0 CHECK (needs_human IN (0, 1)),
  discord_message_id  TEXT,
  discord_thread_id   TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  discord_render_hash TEXT,
  CHECK (state <> 'resolved' OR resolved_at IS NOT NULL),
  CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL))
) STRICT;

INSERT INTO incidents (id, subject, kind, state, cause, targets_json, opened_at, resolved_at, reopen_count,
  acknowledged_by, acknowledged_at, notified_at, escalated_at, restart_count, needs_human,
  discord_message_id, discord_thread_id, created_at, updated_at, discord_render_hash)
SELECT id, subject, kind, state, cause, targets_json, opened_at, resolved_at, reopen_count,
  acknowledged_by, acknowledged_at, notified_at, escalated_at, restart_count, needs_human,
  discord_message_id, discord_thread_id, created_at, updated_at, discord_render_hash
FROM incidents_copy;
DROP TABLE incidents_copy;

CREATE UNIQUE INDEX incidents_by_open_subject ON incidents (subject) WHERE state <> 'resolved';
CREATE INDEX incidents_by_subject ON incidents (subject, id);
CREATE INDEX incidents_by_resolved_at ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX incidents_by_discord_thread_id ON incidents (discord_thread_id) WHERE discord_thread_id IS NOT NULL;

-- A silence may also mute one Alertmanager group's incident (scope 'alert', name = the hash in its
-- subject); rebuilt the same way.
CREATE TABLE silences_copy AS SELECT * FROM silences;
DROP TABLE silences;

CREATE TABLE silences (
  id         INTEGER PRIMARY KEY,
  scope      TEXT    NOT NULL CHECK (scope IN ('everything', 'target', 'node', 'alert')),
  -- The target, node or alert group silenced (a bare name, never a subject); NULL exactly when everything is.
  name       TEXT    CHECK (name IS NULL OR (length(name) > 0 AND instr(name, ':') = 0)),
  starts_at  INTEGER NOT NULL,
  ends_at    INTEGER NOT NULL,
  created_by TEXT    NOT NULL,
  reason     TEXT    NOT NULL DEFAULT '',
  lifted_at  INTEGER,
  lifted_by  TEXT,
  CHECK ((scope = 'everything') = (name IS NULL)),
  CHECK (ends_at > starts_at),
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
) STRICT;

INSERT INTO silences (id, scope, name, starts_at, ends_at, created_by, reason, lifted_at, lifted_by)
SELECT id, scope, name, starts_at, ends_at, created_by, reason, lifted_at, lifted_by FROM silences_copy;
DROP TABLE silences_copy;

CREATE INDEX silences_by_ends_at ON silences (ends_at);

-- One row per Alertmanager group (its groupKey): the last notification, the incident it belongs to
-- (its own, or the target's or node's it joined) and the Alertmanager silence set from Discord.
CREATE TABLE alert_groups (
  group_key          TEXT    PRIMARY KEY NOT NULL,
  subject            TEXT    NOT NULL UNIQUE CHECK (subject LIKE 'alert:%'),
  incident_id        INTEGER REFERENCES incidents (id),
  title              TEXT    NOT NULL,
  notification_json  TEXT    NOT NULL CHECK (json_valid(notification_json) AND json_type(notification_json) = 'object'),
  silence_id         TEXT,
  silence_ends_at    INTEGER,
  silence_created_by TEXT,
  updated_at         INTEGER NOT NULL,
  -- An Alertmanager silence is all three or none.
  CHECK ((silence_id IS NULL) = (silence_ends_at IS NULL) AND (silence_id IS NULL) = (silence_created_by IS NULL))
) STRICT;

CREATE INDEX alert_groups_by_incident_id ON alert_groups (incident_id);
