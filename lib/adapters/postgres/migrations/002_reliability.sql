-- The reliability work: resendable verification links, the transactional outbox, idempotency keys
-- and rate-limit counters.

-- Digest of the newest verification token: a resend replaces it and older links answer "superseded".
ALTER TABLE patients ADD COLUMN verification_token_hash text;

-- Mails written in the same transaction as the data they announce, delivered by whoever claims them.
CREATE TABLE outbox_mails (
  id           uuid        PRIMARY KEY,
  kind         text        NOT NULL DEFAULT 'verification_email',
  patient_id   uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  recipient    text        NOT NULL,
  first_name   text        NOT NULL,
  -- The link is a credential: cleared once the mail is sent.
  verify_url   text,
  status       text        NOT NULL DEFAULT 'pending'
               CONSTRAINT outbox_mails_status_known CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts     integer     NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL,
  -- When the mail is next due: now for a new one, after a backoff or a lease; NULL once sent or given up.
  due_at       timestamptz,
  sent_at      timestamptz,
  CONSTRAINT outbox_mails_due_while_open CHECK ((due_at IS NULL) = (status IN ('sent', 'failed')))
);
CREATE INDEX outbox_mails_due ON outbox_mails (due_at) WHERE due_at IS NOT NULL;

-- Replayable responses per Idempotency-Key; a row is dead after expires_at (DynamoDB: TTL).
CREATE TABLE idempotency_keys (
  scope         text        NOT NULL,
  key           text        NOT NULL,
  fingerprint   text        NOT NULL,
  status        text        NOT NULL CONSTRAINT idempotency_keys_status_known CHECK (status IN ('in_progress', 'completed')),
  locked_until  timestamptz,
  status_code   integer,
  response_body text,
  expires_at    timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);

-- Fixed-window hit counters; a row is dead after expires_at (DynamoDB: TTL).
CREATE TABLE rate_limit_windows (
  key          text        NOT NULL,
  window_start timestamptz NOT NULL,
  hits         integer     NOT NULL,
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (key, window_start)
);
