-- A silence has a scope: everything (maintenance), one target, or one node — stored as such, so the
-- Silence button, /silence, /status and the gate cannot disagree on how a target is spelled.
-- Version 2 kept one `target` column holding a bare name, NULL, or (from the button) a subject such
-- as `target:frigate` or `node:k3s-2`; those rows are read here into their scope.
CREATE TABLE silences_v3 (
  id         INTEGER PRIMARY KEY,
  scope      TEXT    NOT NULL CHECK (scope IN ('everything', 'target', 'node')),
  -- The target or node silenced (a bare name, never a subject); NULL exactly when everything is.
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

INSERT INTO silences_v3 (id, scope, name, starts_at, ends_at, created_by, reason, lifted_at, lifted_by)
SELECT id,
  CASE WHEN target IS NULL OR target = 'cluster' THEN 'everything' WHEN target LIKE 'node:%' THEN 'node' ELSE 'target' END,
  CASE WHEN target IS NULL OR target = 'cluster' THEN NULL
       WHEN target LIKE 'node:%' THEN substr(target, 6)
       WHEN target LIKE 'target:%' THEN substr(target, 8)
       ELSE target END,
  starts_at, ends_at, created_by, reason, lifted_at, lifted_by
FROM silences;

DROP TABLE silences;
ALTER TABLE silences_v3 RENAME TO silences;

-- "Which silences are still in force" looks at the end of each (its expiry, or when it was lifted).
CREATE INDEX silences_by_ends_at ON silences (ends_at);

-- Each outbox row says which channel carries it (discord, email, push), so delivery order is kept per
-- incident and channel without the database re-deriving the channel from the effect's type.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'discord' CHECK (channel IN ('discord', 'email', 'push'));
UPDATE outbox SET channel = type WHERE type IN ('email', 'push');
CREATE INDEX outbox_by_pending_incident_channel ON outbox (incident_id, channel, id) WHERE status = 'pending';
