-- The audit trail (who signed in, refreshed, signed out, read which fields of whose record). Events
-- outlive the patient they name (6 years): patient_id has no foreign key, so neither deleting a
-- patient nor the lapse of an unverified registration can remove or block its events. No patient
-- data here: ids, codes, field names and a keyed digest of the source address only.
CREATE TABLE audit_events (
  id                uuid        PRIMARY KEY,
  at                timestamptz NOT NULL,
  action            text        NOT NULL,
  outcome           text        NOT NULL CHECK (outcome IN ('success', 'failure')),
  patient_id        text,
  reason            text,
  fields            text[],
  session_id        text,
  request_id        text,
  source_ip_digest  text
);
CREATE INDEX audit_events_patient_at ON audit_events (patient_id, at, id);
