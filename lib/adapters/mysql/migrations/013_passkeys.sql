-- Passkeys (issue 21; as PostgreSQL's 022_passkeys.sql). A credential id may be 1,023 bytes, more
-- than an InnoDB key holds in utf8mb4: the primary key is its SHA-256 (base64url), the id a column.
-- The counter moves forward by UPDATE … WHERE counter < new.
CREATE TABLE passkeys (
  credential_digest CHAR(43)     NOT NULL PRIMARY KEY,
  credential_id     TEXT         NOT NULL,
  patient_id        CHAR(36)     NOT NULL,
  public_key        TEXT         NOT NULL,
  counter           BIGINT       NOT NULL,
  transports        JSON         NOT NULL,
  aaguid            VARCHAR(36)  NOT NULL,
  name              VARCHAR(256) NOT NULL,
  created_at        DATETIME(3)  NOT NULL,
  last_used_at      DATETIME(3),
  KEY passkeys_patient (patient_id, created_at),
  CONSTRAINT passkeys_of_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  CONSTRAINT passkeys_counter_uint32 CHECK (counter >= 0 AND counter <= 4294967295)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Challenges until their answer spends them (a DELETE of the row read under lock: one request gets
-- each). Expired rows are deleted by the next challenge saved.
CREATE TABLE passkey_challenges (
  challenge  VARCHAR(64)  NOT NULL PRIMARY KEY,
  purpose    VARCHAR(16)  NOT NULL,
  patient_id CHAR(36),
  expires_at DATETIME(3)  NOT NULL,
  KEY passkey_challenges_expiry (expires_at),
  CONSTRAINT passkey_challenges_of_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  -- No CHECK may name patient_id, which the cascading foreign key acts on (MySQL 8.0 error 3823):
  -- PostgreSQL's "enrolment ⇔ patient" check is the use case's here (lib/passkey/webauthn.ts).
  CONSTRAINT passkey_challenges_purpose CHECK (purpose IN ('enrol', 'sign_in'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
