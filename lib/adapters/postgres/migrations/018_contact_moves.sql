-- Moving the email address and the phone number (issue 20). A move link is stored as its SHA-256 digest only, like a
-- verification or reset link, with the address it moves to and the session that asked (which goes
-- on after the move); the patient names its newest, so a newer request makes every older link
-- "superseded". The move itself is one transaction that rewrites patients.email: the UNIQUE
-- constraint on it is the new address's reservation, and the old row value its release.
CREATE TABLE email_move_tokens (
  token_hash      text        PRIMARY KEY
                  CONSTRAINT email_move_tokens_hash_sha256 CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  patient_id      uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  new_email       text        NOT NULL,
  keep_session_id uuid,
  expires_at      timestamptz NOT NULL,
  used_at         timestamptz
);
CREATE INDEX email_move_tokens_patient_id ON email_move_tokens (patient_id);

ALTER TABLE patients ADD COLUMN email_move_token_hash text;

-- The link to the new address, a credential: kept in verify_url, which every way of closing an item
-- forgets. Any migration that adds another outbox kind must restate both constraints with every kind.
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known, DROP CONSTRAINT outbox_mails_kind_shape;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms',
    'account_notice_email', 'phone_claim_request', 'email_move_email')),
  ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN patient_id IS NOT NULL AND recipient IS NOT NULL
           AND reset_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'email_move_email' THEN patient_id IS NOT NULL AND recipient IS NOT NULL AND first_name IS NULL
           AND reset_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'password_reset_email' THEN patient_id IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'password_changed_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL AND notice IS NULL
      WHEN 'phone_code_sms' THEN patient_id IS NOT NULL AND recipient IS NOT NULL AND first_name IS NULL
           AND verify_url IS NULL AND reset_url IS NULL AND notice IS NULL
           AND (sms_text IS NULL) = (status IN ('sent', 'failed'))
      WHEN 'account_notice_email' THEN patient_id IS NOT NULL AND recipient IS NOT NULL AND notice IS NOT NULL
           AND first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
      ELSE patient_id IS NULL AND first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
           AND notice IS NULL AND (recipient IS NULL) = (status IN ('sent', 'failed'))
    END);

-- Moving the phone number: a code that moves the patient to a new number holds it here until it is
-- proven (NULL: a code that verifies the number already stored). One code per patient either way.
ALTER TABLE phone_codes ADD COLUMN new_phone text;
