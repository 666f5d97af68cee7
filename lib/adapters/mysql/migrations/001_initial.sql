-- The whole schema PostgreSQL reaches with its migrations 001–009, as MySQL tables (InnoDB).
-- Applied by migrate.ts statement by statement: MySQL DDL commits implicitly, so a migration is not
-- atomic here. Never edit an applied migration; add 002_… instead.
--
-- Every table: utf8mb4 with the binary collation. MySQL's default collations fold case and accents
-- ('José' = 'jose'), which would make the unique email index refuse addresses the use case keeps
-- apart; the use case normalizes, the database compares bytes (as PostgreSQL's text does).
-- Times are DATETIME(3) in UTC: every session sets time_zone '+00:00' (mysql-executor.ts).
-- Ids are UUID text in CHAR(36). Booleans are BOOLEAN (TINYINT(1)), read back as booleans.

CREATE TABLE patients (
  id                     CHAR(36)     NOT NULL PRIMARY KEY,
  first_name             TEXT         NOT NULL,
  last_name              TEXT         NOT NULL,
  -- Stored normalized (trimmed, lowercased) by the use case; the check makes a forgotten
  -- normalization fail loudly instead of letting "Jane@x.com" slip past the unique index.
  email                  VARCHAR(254) NOT NULL,
  phone_number           VARCHAR(32)  NOT NULL,
  password_hash          TEXT         NOT NULL,
  date_of_birth          DATE         NOT NULL,
  gender                 VARCHAR(32)  NOT NULL,
  -- Address and emergency contact as columns, as in PostgreSQL: their shape is fixed by the request
  -- schema, so the database enforces NOT NULL and the pairing rules itself (not a JSON document).
  address_street         TEXT         NOT NULL,
  address_city           TEXT         NOT NULL,
  address_state          TEXT         NOT NULL,
  address_zip            VARCHAR(32)  NOT NULL,
  address_country        CHAR(2)      NOT NULL,
  emergency_contact_name         TEXT,
  emergency_contact_phone        VARCHAR(32),
  emergency_contact_relationship TEXT,
  -- Patient data only as AES-256-GCM ciphertext, with the KMS-wrapped data key that opens it.
  medical_history_ciphertext MEDIUMBLOB,
  insurance_info_ciphertext  MEDIUMBLOB,
  phi_key_id             VARCHAR(2048),
  phi_wrapped_key        BLOB,
  email_verified         BOOLEAN      NOT NULL DEFAULT FALSE,
  email_verified_at      DATETIME(3),
  phone_verified         BOOLEAN      NOT NULL DEFAULT FALSE,
  phone_verified_at      DATETIME(3),
  is_active              BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at             DATETIME(3)  NOT NULL,
  updated_at             DATETIME(3)  NOT NULL,
  -- Digest of the newest verification token: a resend replaces it and older links answer "superseded".
  verification_token_hash CHAR(64),
  -- Digest of the newest password-reset token, likewise.
  reset_token_hash       CHAR(64),
  -- The Idempotency-Key a patient was registered with, and that request's fingerprint.
  registration_key       VARCHAR(255),
  registration_fingerprint VARCHAR(255),
  -- Unverified registrations lapse: removed with everything hanging off them (ON DELETE CASCADE).
  lapses_at              DATETIME(3),
  CONSTRAINT patients_email_unique UNIQUE KEY (email),
  CONSTRAINT patients_phone_number_unique UNIQUE KEY (phone_number),
  CONSTRAINT patients_email_normalized CHECK (email = LOWER(TRIM(email))),
  CONSTRAINT patients_phone_number_e164 CHECK (phone_number REGEXP '^[+][1-9][0-9]{7,14}$'),
  CONSTRAINT patients_gender_known CHECK (gender IN ('male', 'female', 'other', 'prefer_not_to_say')),
  CONSTRAINT patients_address_country_iso CHECK (address_country REGEXP '^[A-Z]{2}$'),
  CONSTRAINT patients_emergency_contact_complete
    CHECK ((emergency_contact_name IS NULL) = (emergency_contact_phone IS NULL)
           AND (emergency_contact_relationship IS NULL OR emergency_contact_name IS NOT NULL)),
  CONSTRAINT patients_phi_key_complete CHECK ((phi_key_id IS NULL) = (phi_wrapped_key IS NULL)),
  CONSTRAINT patients_ciphertext_has_key
    CHECK (phi_key_id IS NOT NULL OR (medical_history_ciphertext IS NULL AND insurance_info_ciphertext IS NULL)),
  -- MySQL has no partial index: NULLs (registrations that cannot lapse) are in it too.
  KEY patients_lapses_at (lapses_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Only the SHA-256 of a token is stored. Used and expired rows are kept so that a late click still
-- answers "used"/"expired".
CREATE TABLE verification_tokens (
  token_hash  CHAR(64)    NOT NULL PRIMARY KEY,
  patient_id  CHAR(36)    NOT NULL,
  expires_at  DATETIME(3) NOT NULL,
  used_at     DATETIME(3),
  CONSTRAINT verification_tokens_hash_sha256 CHECK (token_hash REGEXP '^[0-9a-f]{64}$'),
  CONSTRAINT verification_tokens_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  KEY verification_tokens_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE password_reset_tokens (
  token_hash  CHAR(64)    NOT NULL PRIMARY KEY,
  patient_id  CHAR(36)    NOT NULL,
  expires_at  DATETIME(3) NOT NULL,
  used_at     DATETIME(3),
  CONSTRAINT password_reset_tokens_hash_sha256 CHECK (token_hash REGEXP '^[0-9a-f]{64}$'),
  CONSTRAINT password_reset_tokens_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  KEY password_reset_tokens_expires_at (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Mails, requests and SMS written in the same transaction as the data they announce, delivered by
-- whoever claims them. Links (verify_url, reset_url) and codes (sms_text) are credentials: cleared
-- once sent or given up; a request's address likewise.
CREATE TABLE outbox_mails (
  id           CHAR(36)    NOT NULL PRIMARY KEY,
  kind         VARCHAR(32) NOT NULL,
  patient_id   CHAR(36),
  recipient    VARCHAR(254),
  first_name   TEXT,
  verify_url   TEXT,
  reset_url    TEXT,
  sms_text     TEXT,
  status       VARCHAR(16) NOT NULL DEFAULT 'pending',
  attempts     INT         NOT NULL DEFAULT 0,
  claim_id     CHAR(36),
  created_at   DATETIME(3) NOT NULL,
  -- When the item is next due: now for a new one, after a backoff or a lease; NULL once sent or given up.
  due_at       DATETIME(3),
  sent_at      DATETIME(3),
  CONSTRAINT outbox_mails_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  CONSTRAINT outbox_mails_status_known CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  CONSTRAINT outbox_mails_due_while_open CHECK ((due_at IS NULL) = (status IN ('sent', 'failed'))),
  CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms')),
  -- Each kind's shape, as in PostgreSQL but without patient_id: MySQL 8.0 refuses a CHECK on a column
  -- a foreign key acts on (error 3823, also for ON DELETE CASCADE); MariaDB would accept it. Which
  -- kinds carry a patient is the adapter's (lib/adapters/sql/outbox-row.ts).
  CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN first_name IS NOT NULL AND recipient IS NOT NULL
           AND reset_url IS NULL AND sms_text IS NULL
      WHEN 'password_reset_email' THEN first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND sms_text IS NULL
      WHEN 'password_changed_email' THEN first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
      WHEN 'phone_code_sms' THEN recipient IS NOT NULL AND first_name IS NULL
           AND verify_url IS NULL AND reset_url IS NULL
           AND (sms_text IS NULL) = (status IN ('sent', 'failed'))
      ELSE first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
           AND (recipient IS NULL) = (status IN ('sent', 'failed'))
    END),
  KEY outbox_mails_due (due_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Replayable responses per Idempotency-Key; a row is dead after expires_at. `key` is a reserved word.
CREATE TABLE idempotency_keys (
  scope         VARCHAR(64)  NOT NULL,
  `key`         VARCHAR(255) NOT NULL,
  fingerprint   VARCHAR(255) NOT NULL,
  status        VARCHAR(16)  NOT NULL,
  owner         VARCHAR(255),
  locked_until  DATETIME(3),
  status_code   INT,
  response_body MEDIUMTEXT,
  expires_at    DATETIME(3)  NOT NULL,
  PRIMARY KEY (scope, `key`),
  CONSTRAINT idempotency_keys_status_known CHECK (status IN ('in_progress', 'completed'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Fixed-window hit counters; a row is dead after expires_at.
CREATE TABLE rate_limit_windows (
  `key`        VARCHAR(255) NOT NULL,
  window_start DATETIME(3)  NOT NULL,
  hits         INT          NOT NULL,
  expires_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (`key`, window_start)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Refresh-token families: a token is its family's current one iff the family names it; every token
-- ever issued keeps a row, so presenting a rotated one is recognised as reuse.
CREATE TABLE session_families (
  id                  CHAR(36)    NOT NULL PRIMARY KEY,
  patient_id          CHAR(36)    NOT NULL,
  current_token_hash  CHAR(64)    NOT NULL,
  idle_ms             BIGINT      NOT NULL,
  expires_at          DATETIME(3) NOT NULL,
  absolute_expires_at DATETIME(3) NOT NULL,
  revoked_at          DATETIME(3),
  created_at          DATETIME(3) NOT NULL,
  CONSTRAINT session_families_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  CONSTRAINT session_families_idle_positive CHECK (idle_ms > 0),
  CONSTRAINT session_families_ends_in_order CHECK (expires_at <= absolute_expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE refresh_tokens (
  token_hash  CHAR(64)    NOT NULL PRIMARY KEY,
  family_id   CHAR(36)    NOT NULL,
  issued_at   DATETIME(3) NOT NULL,
  CONSTRAINT refresh_tokens_family FOREIGN KEY (family_id) REFERENCES session_families (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE login_failures (
  patient_id       CHAR(36)    NOT NULL PRIMARY KEY,
  failures         INT         NOT NULL,
  last_failure_at  DATETIME(3) NOT NULL,
  CONSTRAINT login_failures_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  CONSTRAINT login_failures_positive CHECK (failures > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- A patient's current phone code, as a keyed digest only; tried under a row lock (SELECT … FOR UPDATE).
CREATE TABLE phone_codes (
  patient_id  CHAR(36)     NOT NULL PRIMARY KEY,
  code_id     CHAR(36)     NOT NULL,
  code_digest VARCHAR(255) NOT NULL,
  expires_at  DATETIME(3)  NOT NULL,
  failures    INT          NOT NULL DEFAULT 0,
  created_at  DATETIME(3)  NOT NULL,
  CONSTRAINT phone_codes_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE,
  CONSTRAINT phone_codes_failures_counted CHECK (failures >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The audit trail. Events outlive the patient they name: patient_id has no foreign key. No patient
-- data: ids, codes, field names (a JSON array of names: MySQL has no array type) and a keyed digest
-- of the source address only.
CREATE TABLE audit_events (
  id                CHAR(36)     NOT NULL PRIMARY KEY,
  at                DATETIME(3)  NOT NULL,
  action            VARCHAR(64)  NOT NULL,
  outcome           VARCHAR(16)  NOT NULL,
  patient_id        VARCHAR(255),
  reason            VARCHAR(255),
  fields            TEXT,
  session_id        VARCHAR(255),
  request_id        VARCHAR(255),
  source_ip_digest  VARCHAR(255),
  CONSTRAINT audit_events_outcome_known CHECK (outcome IN ('success', 'failure')),
  CONSTRAINT audit_events_fields_json CHECK (fields IS NULL OR JSON_VALID(fields)),
  KEY audit_events_patient_at (patient_id, at, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
