-- The patient model (README "Data model") as PostgreSQL tables.
-- Applied once by migrate.ts inside a transaction; never edit an applied migration, add 002_… instead.

CREATE TABLE patients (
  id                     uuid        PRIMARY KEY,
  first_name             text        NOT NULL,
  last_name              text        NOT NULL,
  -- Stored normalized (trimmed, lowercased) by the use case; the constraint makes a forgotten
  -- normalization fail loudly instead of letting "Jane@x.com" slip past the unique index.
  email                  text        NOT NULL
                         CONSTRAINT patients_email_unique UNIQUE
                         CONSTRAINT patients_email_normalized CHECK (email = lower(btrim(email))),
  phone_number           text        NOT NULL
                         CONSTRAINT patients_phone_number_unique UNIQUE
                         CONSTRAINT patients_phone_number_e164 CHECK (phone_number ~ '^\+[1-9][0-9]{7,14}$'),
  password_hash          text        NOT NULL,
  date_of_birth          date        NOT NULL,
  gender                 text        NOT NULL
                         CONSTRAINT patients_gender_known CHECK (gender IN ('male', 'female', 'other', 'prefer_not_to_say')),
  -- Address and emergency contact as columns: their shape is fixed by the request schema, so the
  -- database can enforce NOT NULL and pairing rules directly (see README, "Why columns, not JSONB").
  address_street         text        NOT NULL,
  address_city           text        NOT NULL,
  address_state          text        NOT NULL,
  address_zip            text        NOT NULL,
  address_country        text        NOT NULL
                         CONSTRAINT patients_address_country_iso CHECK (address_country ~ '^[A-Z]{2}$'),
  emergency_contact_name         text,
  emergency_contact_phone        text,
  emergency_contact_relationship text,
  -- Patient data only as AES-256-GCM ciphertext, with the KMS-wrapped data key that opens it.
  medical_history_ciphertext bytea,
  insurance_info_ciphertext  bytea,
  phi_key_id             text,
  phi_wrapped_key        bytea,
  email_verified         boolean     NOT NULL DEFAULT false,
  email_verified_at      timestamptz,
  phone_verified         boolean     NOT NULL DEFAULT false,
  is_active              boolean     NOT NULL DEFAULT true,
  created_at             timestamptz NOT NULL,
  updated_at             timestamptz NOT NULL,
  CONSTRAINT patients_emergency_contact_complete
    CHECK ((emergency_contact_name IS NULL) = (emergency_contact_phone IS NULL)
           AND (emergency_contact_relationship IS NULL OR emergency_contact_name IS NOT NULL)),
  CONSTRAINT patients_phi_key_complete CHECK ((phi_key_id IS NULL) = (phi_wrapped_key IS NULL)),
  CONSTRAINT patients_ciphertext_has_key
    CHECK (phi_key_id IS NOT NULL OR (medical_history_ciphertext IS NULL AND insurance_info_ciphertext IS NULL))
);

-- Only the SHA-256 of a token is stored. Used and expired rows are kept so that a late click still
-- answers "used"/"expired"; DynamoDB drops them by TTL a week after expiry, here a periodic
-- DELETE … WHERE expires_at < now() - interval '7 days' would (the index below serves it).
CREATE TABLE verification_tokens (
  token_hash  text        PRIMARY KEY
              CONSTRAINT verification_tokens_hash_sha256 CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  patient_id  uuid        NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);

CREATE INDEX verification_tokens_patient_id ON verification_tokens (patient_id);
CREATE INDEX verification_tokens_expires_at ON verification_tokens (expires_at);
