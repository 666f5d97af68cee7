-- Passkeys (issue 21): WebAuthn credentials, the public half only. A credential id names one passkey
-- across every patient (the primary key), so a sign-in finds its patient from the id alone. The
-- counter moves forward by UPDATE … WHERE counter < new (a cloned authenticator's older counter
-- matches no row). bigint: the counter is an unsigned 32-bit number.
CREATE TABLE passkeys (
  credential_id text        PRIMARY KEY,
  patient_id    uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  public_key    text        NOT NULL,
  counter       bigint      NOT NULL CHECK (counter >= 0 AND counter <= 4294967295),
  transports    jsonb       NOT NULL DEFAULT '[]',
  aaguid        text        NOT NULL,
  name          text        NOT NULL,
  created_at    timestamptz NOT NULL,
  last_used_at  timestamptz
);
CREATE INDEX passkeys_patient ON passkeys (patient_id, created_at);

-- Challenges handed to browsers, until their answer spends them (DELETE … RETURNING: one request
-- gets each). An enrolment's is bound to its patient; a sign-in's to nobody. Expired rows are
-- deleted by the next challenge saved (the index on expires_at serves it).
CREATE TABLE passkey_challenges (
  challenge  text        PRIMARY KEY,
  purpose    text        NOT NULL CHECK (purpose IN ('enrol', 'sign_in')),
  patient_id uuid        REFERENCES patients (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  CHECK ((purpose = 'enrol') = (patient_id IS NOT NULL))
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (expires_at);
