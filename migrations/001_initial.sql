-- stormguard schema, version 1. Times are epoch milliseconds (INTEGER).
-- Applied by src/adapters/sqlite/migrate.ts in one transaction together with PRAGMA user_version.

CREATE TABLE incidents (
  id                 INTEGER PRIMARY KEY,
  subject            TEXT    NOT NULL CHECK (length(subject) > 0),
  kind               TEXT    NOT NULL CHECK (kind IN ('target', 'node', 'cluster')),
  state              TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  cause              TEXT    NOT NULL,
  targets_json       TEXT    NOT NULL DEFAULT '[]'
                     CHECK (json_valid(targets_json) AND json_type(targets_json) = 'array'),
  opened_at          INTEGER NOT NULL,
  resolved_at        INTEGER,
  reopen_count       INTEGER NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
  acknowledged_by    TEXT,
  acknowledged_at    INTEGER,
  notified_at        INTEGER,
  escalated_at       INTEGER,
  restart_count      INTEGER NOT NULL DEFAULT 0 CHECK (restart_count >= 0),
  needs_human        INTEGER NOT NULL DEFAULT 0 CHECK (needs_human IN (0, 1)),
  discord_message_id TEXT,
  discord_thread_id  TEXT,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  -- A resolved incident always carries its resolution time (a reopened one may keep the last one).
  CHECK (state <> 'resolved' OR resolved_at IS NOT NULL),
  -- Who acknowledged and when travel together.
  CHECK ((acknowledged_by IS NULL) = (acknowledged_at IS NULL))
) STRICT;

-- Only one incident per subject may be open (open or acknowledged) at a time: the database
-- enforces it so that no code path, retry or second instance can open a duplicate.
CREATE UNIQUE INDEX incidents_by_open_subject ON incidents (subject) WHERE state <> 'resolved';

-- "Most recent incident for this subject" (reopen within the window); ids grow in opening order.
CREATE INDEX incidents_by_subject ON incidents (subject, id);
CREATE INDEX incidents_by_resolved_at ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;

CREATE TABLE target_state (
  target                TEXT    PRIMARY KEY NOT NULL,
  health                TEXT    NOT NULL CHECK (health IN ('up', 'down')),
  consecutive_failures  INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  consecutive_successes INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_successes >= 0),
  last_detail           TEXT    NOT NULL DEFAULT '',
  last_observed_at      INTEGER,
  -- Last automatic-restart refusal audited for this target, so a refusal is audited once per change.
  last_gate_reason      TEXT
) STRICT;

-- A silence's state (pending/active/expired) is derived from its times, never stored.
CREATE TABLE silences (
  id         INTEGER PRIMARY KEY,
  target     TEXT,             -- NULL silences everything (maintenance)
  starts_at  INTEGER NOT NULL,
  ends_at    INTEGER NOT NULL,
  created_by TEXT    NOT NULL,
  reason     TEXT    NOT NULL DEFAULT '',
  lifted_at  INTEGER,
  lifted_by  TEXT,
  CHECK (ends_at > starts_at),
  CHECK ((lifted_at IS NULL) = (lifted_by IS NULL))
) STRICT;

CREATE INDEX silences_by_ends_at ON silences (ends_at);

CREATE TABLE restart_attempts (
  id           INTEGER PRIMARY KEY,
  target       TEXT    NOT NULL,
  incident_id  INTEGER REFERENCES incidents (id),
  requested_by TEXT    NOT NULL,
  automatic    INTEGER NOT NULL CHECK (automatic IN (0, 1)),
  requested_at INTEGER NOT NULL,
  status       TEXT    NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
  error        TEXT,
  finished_at  INTEGER,
  CHECK ((status = 'pending') = (finished_at IS NULL))
) STRICT;

-- Rate limit and backoff look at recent restarts of one target.
CREATE INDEX restart_attempts_by_target_requested_at ON restart_attempts (target, requested_at);
CREATE INDEX restart_attempts_by_requested_at ON restart_attempts (requested_at);
-- Crash recovery looks for attempts still pending at start-up.
CREATE INDEX restart_attempts_by_pending ON restart_attempts (id) WHERE status = 'pending';
CREATE INDEX restart_attempts_by_incident_id ON restart_attempts (incident_id);

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT    NOT NULL,
  action      TEXT    NOT NULL,
  subject     TEXT    NOT NULL,
  incident_id INTEGER REFERENCES incidents (id),
  reason      TEXT,
  detail_json TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(detail_json) AND json_type(detail_json) = 'object')
) STRICT;

CREATE INDEX audit_log_by_incident_id ON audit_log (incident_id, id);
CREATE INDEX audit_log_by_subject ON audit_log (subject, id);

-- Persist, then act: effects are written in the same transaction as the state that caused them
-- and delivered after commit. The row id is the effect's stable id.
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  incident_id     INTEGER REFERENCES incidents (id),
  type            TEXT    NOT NULL,
  payload_json    TEXT    NOT NULL CHECK (json_valid(payload_json) AND json_extract(payload_json, '$.type') = type),
  status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  done_at         INTEGER,
  CHECK ((status = 'pending') = (done_at IS NULL))
) STRICT;

-- Pending effects in id order, per incident, so one incident's effects are delivered in order.
CREATE INDEX outbox_by_pending_incident_id ON outbox (incident_id, id) WHERE status = 'pending';
CREATE INDEX outbox_by_pending_next_attempt_at ON outbox (next_attempt_at, id) WHERE status = 'pending';

CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;
