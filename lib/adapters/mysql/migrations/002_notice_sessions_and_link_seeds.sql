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
