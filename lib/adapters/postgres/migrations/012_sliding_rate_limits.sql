-- Sliding windows (issue 19 item 17): per key, the times (epoch ms, a JSON array) of the hits admitted
-- in the last window, at most the limit's worth; decided under the row's lock. A row is dead after
-- expires_at (its newest hit has left the window). DynamoDB: RATE#<key> / SLIDING with a TTL.
CREATE TABLE rate_limit_slides (
  key        text        PRIMARY KEY,
  hits       text        NOT NULL,
  expires_at timestamptz NOT NULL
);
