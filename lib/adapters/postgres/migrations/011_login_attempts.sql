-- Password attempts per throttled subject (issue 19 items 1 and 2), replacing login_failures.
-- A subject is an account, an unknown email's digest, a device, a verification link or a session
-- (lib/auth/lockout-policy.ts): not every subject is a patient, so there is no foreign key, and a
-- lapsed registration's rows stay until the subject succeeds (these are local and test stores;
-- DynamoDB removes its items by TTL). An attempt is reserved before bcrypt runs: the row is locked
-- (SELECT … FOR UPDATE), the lock read, the new count and lock written, in one transaction.
-- The counts of login_failures are not carried over: at worst an account's lock starts again.
DROP TABLE login_failures;

CREATE TABLE login_attempts (
  subject       text        PRIMARY KEY,
  failures      integer     NOT NULL CHECK (failures >= 0),
  locked_until  timestamptz NOT NULL
);
