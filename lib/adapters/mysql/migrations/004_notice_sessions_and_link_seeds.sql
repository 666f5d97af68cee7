-- Which sessions a password change ended, for its notice (issue 22 item 8): 'all' after a reset link,
-- 'others' after a signed-in change. Older notices hold NULL and are read as 'others'.
ALTER TABLE outbox_mails ADD COLUMN sessions_ended VARCHAR(8),
  ADD CONSTRAINT outbox_mails_sessions_ended_known CHECK (sessions_ended IN ('all', 'others')),
  ADD CONSTRAINT outbox_mails_sessions_ended_notice_only CHECK (sessions_ended IS NULL OR kind = 'password_changed_email');

-- The newest links' seeds and expiries (issue 19 item 10): a link token is derived from its seed with
-- the identifier key (lib/patient/link-token.ts), so a request inside a live link's life re-sends that
-- link instead of replacing it. A seed alone is not a token; it is cleared when its link is used.
ALTER TABLE patients
  ADD COLUMN verification_link_seed VARCHAR(64),
  ADD COLUMN verification_link_expires_at DATETIME(3),
  ADD COLUMN reset_link_seed VARCHAR(64),
  ADD COLUMN reset_link_expires_at DATETIME(3);

-- Link mails (verification, reset) carry nothing the registrant chose (issue 19 item 9): their name is
-- no longer queued, and the names already queued are dropped. The shape no longer asks for one; it
-- does not forbid one either, so an instance of the previous release finishing during a deploy can
-- still queue its mail.
UPDATE outbox_mails SET first_name = NULL WHERE kind IN ('verification_email', 'password_reset_email');
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_shape;
ALTER TABLE outbox_mails ADD CONSTRAINT outbox_mails_kind_shape CHECK (
    CASE kind
      WHEN 'verification_email' THEN recipient IS NOT NULL
           AND reset_url IS NULL AND sms_text IS NULL
      WHEN 'password_reset_email' THEN recipient IS NOT NULL
           AND verify_url IS NULL AND sms_text IS NULL
      WHEN 'password_changed_email' THEN first_name IS NOT NULL AND recipient IS NOT NULL
           AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
      WHEN 'phone_code_sms' THEN recipient IS NOT NULL AND first_name IS NULL
           AND verify_url IS NULL AND reset_url IS NULL
           AND (sms_text IS NULL) = (status IN ('sent', 'failed'))
      ELSE first_name IS NULL AND verify_url IS NULL AND reset_url IS NULL AND sms_text IS NULL
           AND (recipient IS NULL) = (status IN ('sent', 'failed'))
    END);
