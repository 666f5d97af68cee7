-- Notices about the patient's own account (issue 20: a changed name or date of birth, and later the
-- moves of email and phone, closing): one outbox kind, `account_notice_email`, whose `notice` says
-- which. A notice carries no name and no value, only the address it goes to.
ALTER TABLE outbox_mails ADD COLUMN notice text;
-- Any migration that adds another outbox kind must restate both constraints with every kind.
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known, DROP CONSTRAINT outbox_mails_kind_shape;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms',
    'account_notice_email')),
  ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN patient_id IS NOT NULL AND recipient IS NOT NULL
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
