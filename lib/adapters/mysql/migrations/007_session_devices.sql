-- The patient's session list (issue 20): what signed in, as a short summary parsed from the user
-- agent (never the header itself), and when the family was last used (its sign-in or newest
-- refresh). Families started before this have neither: the list shows their creation as last use.
ALTER TABLE session_families
  ADD COLUMN device       VARCHAR(100),
  ADD COLUMN last_used_at DATETIME(3);
