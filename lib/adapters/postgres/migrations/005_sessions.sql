-- Sign-in storage: refresh-token families and consecutive login failures. Tokens appear only as
-- SHA-256 digests. A token is its family's current one iff the family names it (current_token_hash);
-- every token ever issued keeps a row, so presenting a rotated one is recognised as reuse.
CREATE TABLE session_families (
  id                  uuid        PRIMARY KEY,
  patient_id          uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  current_token_hash  text        NOT NULL,
  idle_ms             bigint      NOT NULL CHECK (idle_ms > 0),
  expires_at          timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  revoked_at          timestamptz,
  created_at          timestamptz NOT NULL,
  CONSTRAINT session_families_ends_in_order CHECK (expires_at <= absolute_expires_at)
);
CREATE INDEX session_families_patient_id ON session_families (patient_id);

CREATE TABLE refresh_tokens (
  token_hash  text        PRIMARY KEY,
  family_id   uuid        NOT NULL REFERENCES session_families (id) ON DELETE CASCADE,
  issued_at   timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);

CREATE TABLE login_failures (
  patient_id       uuid        PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
  failures         integer     NOT NULL CHECK (failures > 0),
  last_failure_at  timestamptz NOT NULL
);
