-- Which sessions a password change ended, for its notice (issue 22 item 8): 'all' after a reset link,
-- 'others' after a signed-in change. Older notices hold NULL and are read as 'others'.
ALTER TABLE outbox_mails ADD COLUMN sessions_ended text
  CONSTRAINT outbox_mails_sessions_ended_known CHECK (sessions_ended IN ('all', 'others'));
ALTER TABLE outbox_mails ADD CONSTRAINT outbox_mails_sessions_ended_notice_only
  CHECK (sessions_ended IS NULL OR kind = 'password_changed_email');
