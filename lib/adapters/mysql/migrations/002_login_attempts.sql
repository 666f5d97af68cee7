-- Password attempts per throttled subject (issue 19 items 1 and 2), replacing login_failures: the
-- same as PostgreSQL's migration 011. A subject is an account, an unknown email's digest, a device,
-- a verification link or a session (lib/auth/lockout-policy.ts), so there is no foreign key. An
-- attempt is reserved before bcrypt runs: the row is locked (SELECT … FOR UPDATE), the lock read,
-- the new count and lock written, in one transaction.
DROP TABLE login_failures;

CREATE TABLE login_attempts (
  subject       VARCHAR(200) NOT NULL PRIMARY KEY,
  failures      INT          NOT NULL,
  locked_until  DATETIME(3)  NOT NULL,
  CONSTRAINT login_attempts_counted CHECK (failures >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
