-- The refresh-token reuse interval (issue 19 items 6 and 11): the token a family's current one
-- replaced, and when, so a retry of that rotation within the interval gets the same successor
-- instead of revoking the family as reuse.
ALTER TABLE session_families
  ADD COLUMN previous_token_hash text,
  ADD COLUMN rotated_at          timestamptz;
