-- Phone verification by SMS (issue 11). A patient has at most one current code, stored only as a
-- keyed digest (HMAC of "<patient id>:<code>"); a new code replaces the row, so the older code stops
-- matching. A try locks the row (SELECT … FOR UPDATE): concurrent wrong tries each count, and of
-- concurrent right tries exactly one deletes the row and verifies the phone.
CREATE TABLE phone_codes (
  patient_id  uuid        PRIMARY KEY REFERENCES patients (id) ON DELETE CASCADE,
  code_id     uuid        NOT NULL,
  code_digest text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  failures    integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
  created_at  timestamptz NOT NULL
);

ALTER TABLE patients ADD COLUMN phone_verified_at timestamptz;

-- The SMS carrying a code goes through the outbox like a mail; its text holds the code, so it is
-- cleared once the SMS is sent or given up (like a mail's link).
ALTER TABLE outbox_mails ADD COLUMN sms_text text;
-- Any migration that adds another outbox kind must restate both constraints with every kind.
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known, DROP CONSTRAINT outbox_mails_kind_shape;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms')),
  ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL
           AND reset_url IS NULL AND sms_text IS NULL
      WHEN 'password_reset_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND sms_text IS NULL
      WHEN 'password_changed_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
      WHEN 'phone_code_sms' THEN patient_id IS NOT NULL AND recipient IS NOT NULL AND first_name IS NULL
           AND verify_url IS NULL AND reset_url IS NULL
           AND (sms_text IS NULL) = (status IN ('sent', 'failed'))
      ELSE patient_id IS NULL AND first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
           AND (recipient IS NULL) = (status IN ('sent', 'failed'))
    END);
