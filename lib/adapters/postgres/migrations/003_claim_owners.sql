-- Who holds an outbox claim and who owns an in-progress idempotency key: a sender or request whose
-- lease ran out and was taken over can no longer mark, release, complete or abandon what it lost.
ALTER TABLE outbox_mails ADD COLUMN claim_id uuid;
ALTER TABLE idempotency_keys ADD COLUMN owner text;
-- The Idempotency-Key a patient was registered with: a retry of a request that committed but never
-- answered gets the original 201 instead of "already registered".
ALTER TABLE patients ADD COLUMN registration_key text;
