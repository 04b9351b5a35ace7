-- Each waiting outbox row remembers how long its retry was meant to wait (issue 10, clock steps): a
-- planned time further from now than that can only mean the wall clock stepped back, and the row is
-- then due that long from now instead of hours later. Rows never tried wait nothing (0). Rows already
-- backing off keep what is left of their wait, measured against this database's clock at upgrade.
ALTER TABLE outbox ADD COLUMN retry_delay_ms INTEGER NOT NULL DEFAULT 0 CHECK (retry_delay_ms >= 0);
UPDATE outbox SET retry_delay_ms = max(0, next_attempt_at - CAST(unixepoch('subsec') * 1000 AS INTEGER))
WHERE status = 'pending' AND attempts > 0;
