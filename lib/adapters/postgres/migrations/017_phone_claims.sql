-- Possession of a number wins (issue 19 item 4). A number typed at registration without being proven
-- by SMS can be taken over by whoever proves it with a claim code: the holder's row keeps the value
-- (the column stays NOT NULL and E.164) flagged `phone_number_released`, and uniqueness holds only
-- among numbers not released. Same constraint name, so a duplicate still maps to the spec's 422.
ALTER TABLE patients ADD COLUMN phone_number_released boolean NOT NULL DEFAULT false;
ALTER TABLE patients DROP CONSTRAINT patients_phone_number_unique;
CREATE UNIQUE INDEX patients_phone_number_unique ON patients (phone_number) WHERE NOT phone_number_released;
-- Lookups that do not name the predicate (the lapsed cleanup, the duplicate check) keep an index.
CREATE INDEX patients_phone_number ON patients (phone_number);

-- A number's current claim code, keyed by the number's keyed digest (never the number) and stored
-- only as a keyed digest. Checked under a row lock; spent (deleted) by the registration's transaction.
CREATE TABLE phone_claims (
  claim_key   text        PRIMARY KEY,
  code_id     uuid        NOT NULL,
  code_digest text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  failures    integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
  created_at  timestamptz NOT NULL
);

-- The request for a claim code is an outbox kind of its own (a request, like resend_request: no
-- patient, its number forgotten once handled, which kind_shape's ELSE branch already requires).
-- Any migration that adds another outbox kind must restate the kind list.
ALTER TABLE outbox_mails DROP CONSTRAINT outbox_mails_kind_known;
ALTER TABLE outbox_mails
  ADD CONSTRAINT outbox_mails_kind_known CHECK (kind IN (
    'verification_email', 'resend_request', 'password_reset_request', 'password_reset_email', 'password_changed_email', 'phone_code_sms',
    'account_notice_email', 'phone_claim_request'));

-- Taken-back accounts (issue 20): a reset that proves the mailbox of a never-verified registration
-- deletes what the registrant typed that is not the owner's, and the patient is asked to confirm or
-- correct the rest (names, date of birth, gender, address) with a PATCH /me that names them all.
ALTER TABLE patients ADD COLUMN profile_review_required boolean NOT NULL DEFAULT false;
