-- Planned maintenance recognised from the cluster (issue 23): one row per node whose maintenance is
-- running, or ended with its report on the card. It must survive a restart of stormguard: when the
-- cordon was first seen, which targets it explains, when the node was back (the settle wait counts from
-- there) and whether it already rang (an overrun rings once).
CREATE TABLE node_maintenance (
  node TEXT PRIMARY KEY NOT NULL CHECK (length(node) > 0),
  since INTEGER NOT NULL,
  cordoned_at INTEGER,
  signals_json TEXT NOT NULL CHECK (json_valid(signals_json) AND json_type(signals_json) = 'array'),
  targets_json TEXT NOT NULL CHECK (json_valid(targets_json) AND json_type(targets_json) = 'array'),
  disrupted_at INTEGER,
  down_at INTEGER,
  not_ready_since INTEGER,
  back_at INTEGER,
  rang_at INTEGER,
  ended_at INTEGER
) STRICT;
