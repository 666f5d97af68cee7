-- Password reset (issue 11). Tokens are stored as SHA-256 digests only, like verification tokens;
-- the patient names its newest one, so a newer request makes every older link "superseded".
CREATE TABLE password_reset_tokens (
  token_hash  text        PRIMARY KEY
              CONSTRAINT password_reset_tokens_hash_sha256 CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  patient_id  uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX password_reset_tokens_patient_id ON password_reset_tokens (patient_id);
CREATE INDEX password_reset_tokens_expires_at ON password_reset_tokens (expires_at);

ALTER TABLE patients ADD COLUMN reset_token_hash text;

-- The outbox carries forgot-password requests (an address only, forgotten once handled, like a
-- resend request), reset mails (their link, a credential, in reset_url: cleared once sent) and
-- "your password was changed" notices (no link at all).
ALTER TABLE outbox_mails ADD COLUMN reset_url text;
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known;
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_shape;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email')),
  ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL AND reset_url IS NULL
      WHEN 'password_reset_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL AND verify_url IS NULL
      WHEN 'password_changed_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND reset_url IS NULL
      ELSE patient_id IS NULL AND first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL
           AND (recipient IS NULL) = (status IN ('sent', 'failed'))
    END);
