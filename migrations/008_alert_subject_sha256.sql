-- Issue 21 item 11: an Alertmanager group's subject was `alert:` and a 64-bit FNV-1a hash of its groupKey;
-- two groupKeys with the same hash shared one subject (alert_groups.subject is UNIQUE), and every
-- notification of the second group failed. Subjects are now `alert:` and the SHA-256 of the groupKey
-- (hex); every row naming an old subject is re-keyed: the group, its incidents, their audit records
-- and the silences of scope 'alert' (whose name is the part after `alert:`).
-- `sha256_hex` is registered on the connection by migrate.ts (SQLite has no hash function).
-- A plain table, not TEMP: a TEMP table leaves the connection unable to checkpoint (see 004).
CREATE TABLE alert_rekey AS
  SELECT subject AS old_subject, 'alert:' || sha256_hex(group_key) AS new_subject FROM alert_groups;

UPDATE incidents SET subject = (SELECT new_subject FROM alert_rekey WHERE old_subject = incidents.subject)
  WHERE subject IN (SELECT old_subject FROM alert_rekey);
UPDATE audit_log SET subject = (SELECT new_subject FROM alert_rekey WHERE old_subject = audit_log.subject)
  WHERE subject IN (SELECT old_subject FROM alert_rekey);
UPDATE silences SET name = (SELECT substr(new_subject, 7) FROM alert_rekey WHERE old_subject = 'alert:' || silences.name)
  WHERE scope = 'alert' AND 'alert:' || name IN (SELECT old_subject FROM alert_rekey);
UPDATE alert_groups SET subject = (SELECT new_subject FROM alert_rekey WHERE old_subject = alert_groups.subject);
DROP TABLE alert_rekey;

-- Issue 21 item 5: the audit log is pruned by age (`retention`) in small batches each cycle.
CREATE INDEX audit_log_by_at ON audit_log (at);
