-- Notices about the patient's own account (issue 20; as PostgreSQL's 014_account_notices.sql): one
-- outbox kind, `account_notice_email`, whose `notice` says which. No name and no value in it.
ALTER TABLE outbox_mails ADD COLUMN notice VARCHAR(32) NULL AFTER sms_text;
-- Any migration that adds another outbox kind must restate both constraints with every kind.
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known;
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_shape;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms',
    'account_notice_email')),
  ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN recipient IS NOT NULL
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
