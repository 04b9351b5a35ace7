-- Two more incident kinds (SPEC §9, issue 10): 'setup' — stormguard cannot watch or act on some targets
-- because of its own setup (RBAC forbids a list, a target's workload does not exist) — and 'observer' —
-- stormguard's own view looks broken (many probes failing at once while Kubernetes reports them Ready).
-- The incidents table is rebuilt as in 004 (SQLite cannot change a CHECK in place).
CREATE TABLE incidents_copy AS SELECT * FROM incidents;
DROP TABLE incidents;

CREATE TABLE incidents (
  id                  INTEGER PRIMARY KEY,
  subject             TEXT    NOT NULL CHECK (length(subject) > 0),
  kind                TEXT    NOT NULL CHECK (kind IN ('target', 'node', 'cluster', 'alert', 'setup', 'observer')),
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

