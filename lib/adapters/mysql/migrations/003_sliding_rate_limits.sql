-- Sliding windows (issue 19 item 17): per key, the times (epoch ms, a JSON array) of the hits admitted
-- in the last window, at most the limit's worth; decided under the row's lock. A row is dead after
-- expires_at (its newest hit has left the window).
CREATE TABLE rate_limit_slides (
  `key`      VARCHAR(255) NOT NULL PRIMARY KEY,
  hits       TEXT         NOT NULL,
  expires_at DATETIME(3)  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
