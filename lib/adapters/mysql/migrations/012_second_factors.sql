-- Second factors (issue 21). How a session family was signed in: the RFC 8176 method references (space-separated,
-- e.g. 'pwd otp'), the sign-in time and the assurance level reached. Kept for the family's life: every
-- refresh issues access tokens with the original sign-in, since a refresh is not a sign-in. Families
-- started before this have none: their tokens read as an old password sign-in (AAL1).
ALTER TABLE session_families
  ADD COLUMN amr       VARCHAR(64),
  ADD COLUMN auth_time DATETIME(3),
  ADD COLUMN acr       VARCHAR(64);

-- Authenticator apps (TOTP): the secret only envelope-encrypted (the EncryptedFields JSON: key id,
-- wrapped data key, ciphertext), pending until a first code confirms it. last_used_step is the newest
-- accepted time step: a code is accepted only by an UPDATE conditioned on a later step, so a replay,
-- however parallel, finds the step used.
CREATE TABLE totp_factors (
  patient_id     CHAR(36)    NOT NULL PRIMARY KEY,
  enrolment_id   CHAR(36)    NOT NULL,
  active         BOOLEAN     NOT NULL DEFAULT FALSE,
  secret         TEXT        NOT NULL,
  last_used_step BIGINT,
  created_at     DATETIME(3) NOT NULL,
  confirmed_at   DATETIME(3),
  CONSTRAINT totp_factors_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Recovery codes as keyed digests (HMAC of "<patient id>:<code>"); spending one is its DELETE.
CREATE TABLE recovery_codes (
  patient_id CHAR(36)     NOT NULL,
  digest     VARCHAR(255) NOT NULL,
  PRIMARY KEY (patient_id, digest),
  CONSTRAINT recovery_codes_factor FOREIGN KEY (patient_id) REFERENCES totp_factors (patient_id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The second step of a sign-in: the mfa_token's SHA-256, spent once by a conditional UPDATE.
CREATE TABLE mfa_challenges (
  token_hash   CHAR(64)     NOT NULL PRIMARY KEY,
  patient_id   CHAR(36)     NOT NULL,
  subject      VARCHAR(255) NOT NULL,
  device_id    VARCHAR(64),
  device       VARCHAR(100),
  password_tag CHAR(64)     NOT NULL,
  expires_at   DATETIME(3)  NOT NULL,
  spent_at     DATETIME(3),
  KEY mfa_challenges_expiry (expires_at),
  CONSTRAINT mfa_challenges_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
