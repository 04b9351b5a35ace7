-- Maintenance windows (SPEC §12): declared with /maintenance, or an occurrence of a recurring window of
-- the configuration (`recurring` names it; one row per occurrence, so its end is reported once even
-- across restarts). Whether a window is in force is derived from its times, never stored.
CREATE TABLE maintenance_windows (
  id           INTEGER PRIMARY KEY,
  -- The nodes and targets it covers: JSON arrays of bare names, at least one name in all.
  nodes_json   TEXT    NOT NULL CHECK (json_valid(nodes_json) AND json_type(nodes_json) = 'array'),
  targets_json TEXT    NOT NULL CHECK (json_valid(targets_json) AND json_type(targets_json) = 'array'),
  starts_at    INTEGER NOT NULL,
  ends_at      INTEGER NOT NULL,
  reason       TEXT    NOT NULL DEFAULT '',
  -- A Discord user id, or `config` for an occurrence of a recurring window.
  created_by   TEXT    NOT NULL CHECK (length(created_by) > 0),
  -- The person's name as Discord showed it then, for plain-text sentences (the gate's); '' for `config`.
  created_by_name TEXT NOT NULL DEFAULT '',
  recurring    TEXT    CHECK (recurring IS NULL OR length(recurring) > 0),
  ended_at     INTEGER,
  ended_by     TEXT,
  -- When its end report was written: once per window.
  reported_at  INTEGER,
  CHECK (json_array_length(nodes_json) + json_array_length(targets_json) > 0),
  CHECK (ends_at > starts_at),
  CHECK ((ended_at IS NULL) = (ended_by IS NULL)),
  CHECK ((recurring IS NULL) <> (created_by = 'config'))
) STRICT;

-- One row per occurrence of a recurring window: a second cycle (or a second start) finds it, never adds it again.
CREATE UNIQUE INDEX maintenance_windows_by_recurring_starts_at ON maintenance_windows (recurring, starts_at) WHERE recurring IS NOT NULL;
-- What every cycle loads: the windows in force and those whose end report is owed.
CREATE INDEX maintenance_windows_by_unreported ON maintenance_windows (ends_at) WHERE reported_at IS NULL;
