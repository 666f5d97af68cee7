-- Who holds an outbox claim and who owns an in-progress idempotency key: a sender or request whose
-- lease ran out and was taken over can no longer mark, release, complete or abandon what it lost.
ALTER TABLE outbox_mails ADD COLUMN claim_id uuid;
ALTER TABLE idempotency_keys ADD COLUMN owner text;
