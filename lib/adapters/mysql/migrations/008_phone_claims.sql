-- Possession of a number wins (issue 19 item 4; as PostgreSQL's 017_phone_claims.sql). MySQL has no
-- partial index: uniqueness is on a stored generated column that is NULL for a released number (a
-- UNIQUE key admits many NULLs), under the same name, so a duplicate still maps to the spec's 422.
ALTER TABLE patients ADD COLUMN phone_number_released BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE patients ADD COLUMN phone_number_held VARCHAR(32) AS (IF(phone_number_released, NULL, phone_number)) STORED;
ALTER TABLE patients DROP INDEX patients_phone_number_unique;
ALTER TABLE patients ADD CONSTRAINT patients_phone_number_unique UNIQUE KEY (phone_number_held);
CREATE INDEX patients_phone_number ON patients (phone_number);

-- A number's current claim code, keyed by the number's keyed digest, stored only as a keyed digest.
CREATE TABLE phone_claims (
  claim_key   VARCHAR(255) NOT NULL PRIMARY KEY,
  code_id     CHAR(36)     NOT NULL,
  code_digest VARCHAR(255) NOT NULL,
  expires_at  DATETIME(3)  NOT NULL,
  failures    INT          NOT NULL DEFAULT 0,
  created_at  DATETIME(3)  NOT NULL,
  CONSTRAINT phone_claims_failures_counted CHECK (failures >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The request for a claim code: an outbox kind of its own (kind_shape's ELSE branch covers it).
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms',
    'account_notice_email', 'phone_claim_request'));

-- Taken-back accounts (issue 20; as PostgreSQL's 017): the patient confirms or corrects the profile.
ALTER TABLE patients ADD COLUMN profile_review_required BOOLEAN NOT NULL DEFAULT FALSE;
