-- Unverified registrations lapse: a patient whose email is not verified by lapses_at is removed with
-- everything hanging off it, so a squatter cannot hold an address or a phone number for long.
-- Verifying the email sets it to NULL. Rows hanging off a patient (verification_tokens, outbox_mails,
-- session_families → refresh_tokens, login_failures) already reference it ON DELETE CASCADE, so
-- deleting the patient row is the whole cleanup. Idempotency rows hold no patient reference and
-- expire after 24 h, before the shortest lapse (1 day).
ALTER TABLE patients ADD COLUMN lapses_at timestamptz;

-- The periodic cleanup (removeLapsedRegistrations) looks only at registrations that can still lapse.
CREATE INDEX patients_lapses_at ON patients (lapses_at) WHERE lapses_at IS NOT NULL;
