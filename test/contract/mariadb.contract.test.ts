import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations, statementsOf } from '../../lib/adapters/mysql/migrate.js';
import { violatedUniqueKey } from '../../lib/adapters/mysql/mysql-errors.js';
import { createMysqlExecutor, type MysqlExecutor } from '../../lib/adapters/mysql/mysql-executor.js';
import { MYSQL_NEEDS_URL, openMysql } from '../../lib/adapters/mysql/open-database.js';
import { createMysqlAuditTrail } from '../../lib/adapters/mysql/audit-trail.js';
import { createMysqlPatientRepository } from '../../lib/adapters/mysql/patient-repository.js';
import { fromPatientRow, SELECT_PATIENT, toMysqlPatientRow } from '../../lib/adapters/mysql/patient-row.js';
import { createMysqlStorage } from '../../lib/adapters/mysql/storage.js';
import { freePort } from '../../lib/local/services.js';
import { startMariadbServer, SERVER_TIME_ZONE, type RunningMariadb } from '../support/mariadb-server.js';
import { fullAuditEvent } from './audit-trail.contract.js';
import { describeStorageContract, expectUnavailableWhenUnreachable, mailFor, patientFixture, tokenFor, type ContractStore } from './patient-repository.contract.js';
import { describeSqlLapseCleanup } from './sql-lapse-cleanup.js';
import { expectSessionStartWaitsForHeldPasswordWrite } from './session-lock-order.js';
import { endFamilies } from '../../lib/adapters/mysql/session-store.js';

// This process runs in a zone that is neither UTC nor the server's: a Date written or read through
// the driver's local zone, or NOW() read in the server's, would show up as an hours-long shift.
process.env.TZ = 'America/New_York';

// One throwaway MariaDB 10.11 server (Debian's mariadb-server) for this file, a database per suite.
let server: Promise<RunningMariadb> | undefined;
const mariadb = () => (server ??= startMariadbServer());
afterAll(async () => (await server)?.stop());

async function freshDatabase(options = {}): Promise<MysqlExecutor> {
  const url = await (await mariadb()).createDatabase(`db_${randomUUID().replaceAll('-', '')}`);
  return createMysqlExecutor(url, options);
}

async function mysqlContractStore(db: MysqlExecutor): Promise<ContractStore> {
  await migrate(db);
  const outboxColumn = async (id: string, column: 'sms_text' | 'recipient') =>
    (await db.query<Record<string, string | null>>(`SELECT ${column} FROM outbox_mails WHERE id = :id`, { id }))[0]?.[column] ?? undefined;
  return {
    ...createMysqlStorage(db),
    outboxText: (id) => outboxColumn(id, 'sms_text'),
    outboxAddress: (id) => outboxColumn(id, 'recipient'),
    async outboxRaw(id) {
      const [row] = await db.query<Record<string, unknown>>('SELECT * FROM outbox_mails WHERE id = :id', { id });
      return row && JSON.stringify(row);
    },
    async readPatient(id) {
      const [row] = await db.query(SELECT_PATIENT, { id });
      return row && fromPatientRow(row);
    },
    cleanup: () => db.close(),
  };
}

// Real concurrent transactions on InnoDB: the pool is wider than the 20-way race so all 20 run at once.
describeStorageContract('MariaDB 10.11 server (mysql2)', async () => mysqlContractStore(await freshDatabase({ connectionLimit: 25 })));

describeSqlLapseCleanup('MariaDB 10.11 server (mysql2)', async () => {
  const db = await freshDatabase();
  const store = await mysqlContractStore(db);
  return {
    storage: store,
    count: async (from, patientId) => Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n ${from}`, { id: patientId }))[0]!.n),
    close: () => store.cleanup!(),
  };
});

describe('MySQL adapter: what it hides of MySQL', () => {
  const withDatabase = async <T>(use: (db: MysqlExecutor) => Promise<T>, options = {}): Promise<T> => {
    const db = await freshDatabase(options);
    try {
      await migrate(db);
      return await use(db);
    } finally {
      await db.close();
    }
  };

  it('a session start waits for a password write holding the patient row, then is refused (issue 19 item 3)', async () => {
    const db = await freshDatabase({ connectionLimit: 5 });
    try {
      const store = await mysqlContractStore(db);
      await expectSessionStartWaitsForHeldPasswordWrite({
        ...store,
        holdPatientRow: (patientId, newHash, whileHeld) => db.transaction(async (tx) => {
          await tx.run('UPDATE patients SET password_hash = :newHash WHERE id = :patientId', { patientId, newHash });
          await whileHeld();
          await endFamilies(tx, patientId, new Date());
        }),
        lockWaits: async () => Number((await db.query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
           WHERE t.trx_state = 'LOCK WAIT' AND p.DB = DATABASE()`))[0]!.n),
      });
    } finally {
      await db.close();
    }
  }, 60_000);

  it('sets UTC, READ COMMITTED and its sql_mode on every pooled connection, whatever the server default', async () => {
    await withDatabase(async (db) => {
      // Five transactions at once hold five connections; each reports its own session settings.
      const sessions = await Promise.all(Array.from({ length: 5 }, () =>
        db.transaction(async (tx) => {
          const [row] = await tx.query('SELECT CONNECTION_ID() AS id, @@session.time_zone AS zone, @@session.tx_isolation AS isolation, @@session.sql_mode AS mode, @@global.time_zone AS server_zone, SLEEP(0.2) AS slept');
          return row!;
        })));
      expect(new Set(sessions.map((s) => s.id)).size).toBe(5);
      for (const s of sessions) {
        expect(s).toMatchObject({ zone: '+00:00', isolation: 'READ-COMMITTED', server_zone: SERVER_TIME_ZONE });
        expect(String(s.mode).split(',')).toEqual(expect.arrayContaining(['STRICT_ALL_TABLES', 'ONLY_FULL_GROUP_BY', 'NO_ZERO_DATE']));
      }
    }, { connectionLimit: 5 });
  });

  it('runs a transaction InnoDB chose as deadlock victim (1213) again, so both of two crossing transactions commit', async () => {
    await withDatabase(async (db) => {
      await db.run('CREATE TABLE crossing (k INT PRIMARY KEY, n INT NOT NULL)');
      await db.run('INSERT INTO crossing VALUES (1, 0), (2, 0)');
      let holdingFirst = 0;
      let bothHold: () => void;
      const bothHoldFirst = new Promise<void>((resolve) => (bothHold = resolve));
      let runs = 0;
      // Each locks one row, waits until the other holds its row too, then wants the other's: a deadlock.
      const crossing = (first: number, second: number) =>
        db.transaction(async (tx) => {
          runs++;
          await tx.run('UPDATE crossing SET n = n + 1 WHERE k = :k', { k: first });
          if (++holdingFirst === 2) bothHold();
          await bothHoldFirst;
          await tx.run('UPDATE crossing SET n = n + 1 WHERE k = :k', { k: second });
        });
      await Promise.all([crossing(1, 2), crossing(2, 1)]);
      expect(runs).toBe(3); // the victim ran twice
      expect(await db.query('SELECT k, n FROM crossing ORDER BY k')).toEqual([{ k: 1, n: 2 }, { k: 2, n: 2 }]);
    }, { connectionLimit: 2 });
  });

  it('stores DATETIME(3) as the UTC wall clock, to the millisecond, and NOW() reads UTC', async () => {
    await withDatabase(async (db) => {
      const event = fullAuditEvent({ at: '2025-06-01T23:59:59.999Z' });
      await createMysqlAuditTrail(db).record(event);
      const [stored] = await db.query("SELECT DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f') AS wall FROM audit_events WHERE id = :id", { id: event.id });
      expect(stored!.wall).toBe('2025-06-01 23:59:59.999000');
      expect((await createMysqlAuditTrail(db).eventsFor(event.patientId!))[0]!.at).toBe(event.at);
      const [clock] = await db.query<{ now: Date }>('SELECT NOW(3) AS now');
      expect(Math.abs(clock!.now.getTime() - Date.now())).toBeLessThan(60_000);
    });
  });

  it('keeps address and emergency contact in columns of their own, not in a JSON document', async () => {
    await withDatabase(async (db) => {
      const patient = patientFixture();
      await createMysqlPatientRepository(db).createPatient(patient, tokenFor(patient), mailFor(patient));
      const [row] = await db.query('SELECT address_street, address_city, address_state, address_zip, address_country, emergency_contact_name, emergency_contact_phone, emergency_contact_relationship FROM patients WHERE id = :id', { id: patient.id });
      expect(row).toEqual({
        address_street: patient.address.street, address_city: patient.address.city, address_state: patient.address.state,
        address_zip: patient.address.zip, address_country: patient.address.country,
        emergency_contact_name: patient.emergency_contact!.name, emergency_contact_phone: patient.emergency_contact!.phone,
        emergency_contact_relationship: patient.emergency_contact!.relationship,
      });
      const types = await db.query<{ type: string }>("SELECT DISTINCT DATA_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patients'");
      expect(types.map((t) => t.type)).not.toContain('json');
      // A half emergency contact is refused by the database itself.
      await expect(db.run('UPDATE patients SET emergency_contact_phone = NULL WHERE id = :id', { id: patient.id })).rejects.toMatchObject({ errno: 4025 });
    });
  });

  it('reads the violated unique index out of a real 1062 error', async () => {
    await withDatabase(async (db) => {
      const first = patientFixture();
      await createMysqlPatientRepository(db).createPatient(first, tokenFor(first), mailFor(first));
      const insert = (patient: ReturnType<typeof patientFixture>) => {
        const row = toMysqlPatientRow(patient);
        return db.run(`INSERT INTO patients (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((c) => `:${c}`).join(', ')})`, row);
      };
      const error = (attempt: Promise<unknown>) => attempt.then(() => undefined, (e: unknown) => e);
      expect(violatedUniqueKey(await error(insert(patientFixture({ email: first.email }))))).toBe('patients_email_unique');
      expect(violatedUniqueKey(await error(insert(patientFixture({ phone_number: first.phone_number }))))).toBe('patients_phone_number_unique');
      expect(violatedUniqueKey(await error(insert(patientFixture({ id: first.id }))))).toBe('PRIMARY');
    });
  });

  it('applies the migrations once: a second run changes nothing; an edited applied one is refused', async () => {
    await withDatabase(async (db) => {
      const versions = readMigrations().map((m) => m.version);
      expect(versions[0]).toBe('001_initial');
      expect(await migrate(db)).toEqual([]); // withDatabase migrated already
      const rows = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(versions);
      const edited = readMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'edited' } : m));
      await expect(migrate(db, edited)).rejects.toThrow('migration 001_initial was changed after it was applied');
    });
  });

  it('names in no CHECK a column a foreign key acts on (MySQL 8.0 refuses that with 3823; MariaDB would not)', async () => {
    await withDatabase(async (db) => {
      const acted = await db.query<{ table_name: string; column_name: string }>(
        `SELECT k.TABLE_NAME AS table_name, k.COLUMN_NAME AS column_name FROM information_schema.KEY_COLUMN_USAGE k
           JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
          WHERE k.CONSTRAINT_SCHEMA = DATABASE() AND (r.DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR r.UPDATE_RULE NOT IN ('RESTRICT', 'NO ACTION'))`);
      const checks = await db.query<{ table_name: string; name: string; clause: string }>(
        `SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
          WHERE CONSTRAINT_SCHEMA = DATABASE()`);
      expect(acted.length).toBeGreaterThan(5);
      expect(checks.length).toBeGreaterThan(10);
      const clashes = checks.flatMap((check) => acted
        .filter((fk) => fk.table_name === check.table_name && new RegExp(`\\b${fk.column_name}\\b`).test(check.clause))
        .map((fk) => `${check.name} names ${fk.table_name}.${fk.column_name}`));
      expect(clashes).toEqual([]);
    });
  });

  it('splits a migration into its statements, dropping comment lines', () => {
    expect(statementsOf("-- a comment; with a semicolon\nCREATE TABLE a (x INT);\n\n-- next\nCREATE TABLE b (y TEXT DEFAULT 'p;q');\n")).toEqual([
      'CREATE TABLE a (x INT)', "CREATE TABLE b (y TEXT DEFAULT 'p;q')",
    ]);
  });

  it('turns an unreachable server into ServiceUnavailableError (503), not a 500', async () => {
    const db = createMysqlExecutor(`mysql://root@127.0.0.1:${await freePort()}/none`);
    try {
      await expectUnavailableWhenUnreachable(createMysqlPatientRepository(db));
    } finally {
      await db.close();
    }
  });

  it('refuses a statement whose :name has no value instead of sending NULL', async () => {
    await withDatabase(async (db) => {
      await expect(db.query('SELECT :given AS a, :missing AS b', { given: 1 })).rejects.toThrow('no value for :missing');
    });
  });
});

describe('STORAGE=mysql (openMysql)', () => {
  it('without DATABASE_URL says there is no embedded MySQL and points to STORAGE=postgres', async () => {
    await expect(openMysql({})).rejects.toThrow(MYSQL_NEEDS_URL);
    expect(MYSQL_NEEDS_URL).toMatch(/no embedded MySQL.*STORAGE=postgres/);
    await expect(openMysql({ databaseUrl: 'postgresql://u:secret@h/db' })).rejects.toThrow(/mysql:\/\/.*\*\*\*/);
    await expect(openMysql({ databaseUrl: 'mysql://u:secret@127.0.0.1:3306' })).rejects.toThrow(/names no database: mysql:\/\/u:\*\*\*@/);
  });

  it('opens a server by URL, migrates it and serves every port; the banner hides the password', async () => {
    const running = await mariadb();
    const name = `open_${randomUUID().replaceAll('-', '')}`;
    await running.createDatabase(name);
    // An application user with a password and rights on its database only, as a deployment would have.
    const root = createMysqlExecutor(running.url);
    try {
      await root.run(`CREATE USER '${name}'@'127.0.0.1' IDENTIFIED BY 's3cret-pw'`);
      await root.run(`GRANT ALL ON \`${name}\`.* TO '${name}'@'127.0.0.1'`);
    } finally {
      await root.close();
    }
    const opened = await openMysql({ databaseUrl: running.url.replace('root@', `${name}:s3cret-pw@`) + `/${name}` });
    try {
      expect(opened.description).toContain('migrated: 001_initial');
      expect(opened.description).not.toContain('s3cret-pw');
      const patient = patientFixture();
      await opened.storage.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
      expect(await opened.storage.repository.getPatient(patient.id)).toEqual(patient);
    } finally {
      await opened.close();
    }
  });
});
