-- A target whose Deployment/StatefulSet/DaemonSet does not exist is *missing* (issue 10 item 7): a
-- setup incident after failureThreshold observations in a row, so a workload deleted and re-created
-- (a Helm reinstall, `kubectl replace --force`) does not ring. The count is kept beside the target's
-- other hysteresis counters; existing rows start at 0.
ALTER TABLE target_state ADD COLUMN consecutive_missing INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_missing >= 0);
