-- Second factors (issue 21). How a session family was signed in: the RFC 8176 method references (space-separated,
-- e.g. 'pwd otp'), the sign-in time and the assurance level reached. Kept for the family's life: every
-- refresh issues access tokens with the original sign-in, since a refresh is not a sign-in. Families
-- started before this have none: their tokens read as an old password sign-in (AAL1).
ALTER TABLE session_families
  ADD COLUMN amr       text CHECK (char_length(amr) <= 64),
  ADD COLUMN auth_time timestamptz,
  ADD COLUMN acr       text CHECK (char_length(acr) <= 64);

-- Authenticator apps (TOTP): the secret only envelope-encrypted (the EncryptedFields JSON: key id,
-- wrapped data key, ciphertext), pending until a first code confirms it. last_used_step is the newest
-- accepted time step: a code is accepted only by an UPDATE conditioned on a later step, so a replay,
-- however parallel, finds the step used.
CREATE TABLE totp_factors (
  patient_id     uuid        PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
  enrolment_id   uuid        NOT NULL,
  active         boolean     NOT NULL DEFAULT false,
  secret         text        NOT NULL,
  last_used_step bigint,
  created_at     timestamptz NOT NULL,
  confirmed_at   timestamptz
);

-- Recovery codes as keyed digests (HMAC of "<patient id>:<code>"); spending one is its DELETE.
CREATE TABLE recovery_codes (
  patient_id uuid NOT NULL REFERENCES totp_factors (patient_id) ON DELETE CASCADE,
  digest     text NOT NULL,
  PRIMARY KEY (patient_id, digest)
);

-- The second step of a sign-in: the mfa_token's SHA-256, spent once by a conditional UPDATE.
CREATE TABLE mfa_challenges (
  token_hash   text        PRIMARY KEY,
  patient_id   uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  subject      text        NOT NULL,
  device_id    text,
  device       text        CHECK (char_length(device) <= 100),
  password_tag text        NOT NULL,
  expires_at   timestamptz NOT NULL,
  spent_at     timestamptz
);
CREATE INDEX mfa_challenges_expiry ON mfa_challenges (expires_at);
