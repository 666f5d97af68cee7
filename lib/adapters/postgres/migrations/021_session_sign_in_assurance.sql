-- How a session family was signed in (issue 21): the RFC 8176 method references (space-separated,
-- e.g. 'pwd otp'), the sign-in time and the assurance level reached. Kept for the family's life: every
-- refresh issues access tokens with the original sign-in, since a refresh is not a sign-in. Families
-- started before this have none: their tokens read as an old password sign-in (AAL1).
ALTER TABLE session_families
  ADD COLUMN amr       text CHECK (char_length(amr) <= 64),
  ADD COLUMN auth_time timestamptz,
  ADD COLUMN acr       text CHECK (char_length(acr) <= 64);
