-- Why an incident's targets are down, as Kubernetes said (SPEC §11): the lifecycle keeps one finding per
-- target (reason constant, container, the API's message, the hint) so the card shows it after a restart
-- of stormguard and after the outage is over. A JSON object by target name; NULL = nothing known, as for
-- every incident stored before this version.
ALTER TABLE incidents ADD COLUMN diagnoses_json TEXT CHECK (diagnoses_json IS NULL OR (json_valid(diagnoses_json) AND json_type(diagnoses_json) = 'object'));
