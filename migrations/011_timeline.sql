-- The typed timeline (issue 25): every audit record says what kind of timeline entry it is and where
-- it came from. Written by the store beside each new record; older records are classified here by the
-- same core functions (src/core/timeline.ts, registered as SQL functions by migrate.ts), so the audit
-- log stays the one record of what happened and nothing is recorded twice.

ALTER TABLE audit_log ADD COLUMN kind TEXT CHECK (kind IS NULL OR kind IN (
  'detected', 'opened', 'rung', 'acknowledged', 'silenced', 'silenceLifted', 'maintenanceStarted',
  'maintenanceEnded', 'restartRequested', 'restartRefused', 'restartSucceeded', 'restartFailed',
  'diagnosisChanged', 'escalated', 'emailFallbackSent', 'reopened', 'resolved', 'note', 'changed', 'refused'));

ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT 'automatic'
  CHECK (source IN ('button', 'slashCommand', 'automatic', 'alertmanager', 'api'));

UPDATE audit_log SET
  kind = timeline_kind(action, reason, detail_json),
  source = timeline_source(actor, action, reason, detail_json);
