-- Resend requests go through the outbox: recorded as asked, looked up by whoever delivers them, so
-- the request's answer and timing cannot depend on the address. They belong to no patient (yet).
ALTER TABLE outbox_mails ALTER COLUMN patient_id DROP NOT NULL;
ALTER TABLE outbox_mails ALTER COLUMN first_name DROP NOT NULL;
-- A resend request forgets the address it asked about once handled or given up.
ALTER TABLE outbox_mails ALTER COLUMN recipient DROP NOT NULL;
ALTER TABLE outbox_mails ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN ('verification_email', 'resend_request')),
  ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN patient_id IS NOT NULL AND first_name IS NOT NULL AND recipient IS NOT NULL
      ELSE patient_id IS NULL AND first_name IS NULL AND verify_url IS NULL
           AND (recipient IS NULL) = (status IN ('sent', 'failed'))
    END);

-- The fingerprint of the request that registered the patient with registration_key: a retry with
-- that key but another body is another request, even after the key's idempotency row expired.
ALTER TABLE patients ADD COLUMN registration_fingerprint text;
