-- Moving the email address and the phone number (issue 20; as PostgreSQL's 018_contact_moves.sql). A move link is stored as
-- its SHA-256 digest only, with the address it moves to and the session that asked; the patient
-- names its newest. The UNIQUE index on patients.email is the new address's reservation.
CREATE TABLE email_move_tokens (
  token_hash      CHAR(64)     NOT NULL PRIMARY KEY,
  patient_id      CHAR(36)     NOT NULL,
  new_email       VARCHAR(254) NOT NULL,
  keep_session_id CHAR(36)     NULL,
  expires_at      DATETIME(3)  NOT NULL,
  used_at         DATETIME(3),
  CONSTRAINT email_move_tokens_hash_sha256 CHECK (token_hash REGEXP '^[0-9a-f]{64}$'),
  CONSTRAINT email_move_tokens_patient FOREIGN KEY (patient_id) REFERENCES patients (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE patients ADD COLUMN email_move_token_hash CHAR(64) NULL;

-- The link to the new address, a credential: kept in verify_url, which closing an item forgets.
-- Any migration that adds another outbox kind must restate both constraints with every kind.
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known;
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_shape;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms',
    'account_notice_email', 'phone_claim_request', 'email_move_email')),
  ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN recipient IS NOT NULL
           AND reset_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'email_move_email' THEN recipient IS NOT NULL AND first_name IS NULL
           AND reset_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'password_reset_email' THEN recipient IS NOT NULL
           AND verify_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'password_changed_email' THEN first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'phone_code_sms' THEN recipient IS NOT NULL AND first_name IS NULL
           AND verify_url IS NULL AND reset_url IS NULL AND notice IS NULL
           AND (sms_text IS NULL) = (status IN ('sent', 'failed'))
      WHEN 'account_notice_email' THEN recipient IS NOT NULL AND notice IS NOT NULL
           AND first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
      ELSE first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
           AND notice IS NULL AND (recipient IS NULL) = (status IN ('sent', 'failed'))
    END);

-- Moving the phone number: the number a code moves the patient to, until it is proven (NULL: a code
-- that verifies the number already stored).
ALTER TABLE phone_codes ADD COLUMN new_phone VARCHAR(32) NULL;
