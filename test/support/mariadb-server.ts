import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { freePort } from '../../lib/local/services.js';

export interface RunningMariadb {
  /** mysql:// URL of root on the throwaway server (no password, 127.0.0.1 only), without a database. */
  url: string;
  /** A fresh, empty database on the server, as a mysql:// URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's mariadb-server puts the server in /usr/sbin, the installer in /usr/bin (PostgreSQL: /usr/lib/postgresql/N/bin). */
const SERVER = process.env.MARIADBD ?? '/usr/sbin/mariadbd';
const INSTALL_DB = process.env.MARIADB_INSTALL_DB ?? '/usr/bin/mariadb-install-db';

export const MARIADB_MISSING =
  `MariaDB server binaries (${SERVER}, ${INSTALL_DB}) were not found: install them ` +
  '(Debian/Ubuntu: sudo apt-get install -y mariadb-server) or set MARIADBD and MARIADB_INSTALL_DB.';

/**
 * The zone the server itself runs in: not UTC, so only the adapter's own `SET time_zone = '+00:00'`
 * on every pooled connection can make NOW() agree with the UTC the adapter writes.
 */
export const SERVER_TIME_ZONE = '+05:30';

/**
 * A throwaway MariaDB server in a temp folder: data and socket there, TCP on 127.0.0.1 only, no
 * durability (test data is disposable), killed and deleted by stop(). Never skipped: a missing
 * server fails the run. mariadbd refuses to run as root unless told to (--user=root), so under root
 * (CI) it is; otherwise it runs as the current user.
 */
export async function startMariadbServer(): Promise<RunningMariadb> {
  if (!existsSync(SERVER) || !existsSync(INSTALL_DB)) throw new Error(MARIADB_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'mariadb-contract-'));
  const data = join(dir, 'data');
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  const installed = spawnSync(
    INSTALL_DB,
    ['--no-defaults', `--datadir=${data}`, ...user, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
    { encoding: 'utf8' },
  );
  if (installed.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (${installed.error?.message ?? `exit ${installed.status}`}): ${installed.stderr || installed.stdout}`);
  }
  const port = await freePort();
  const errorLog = join(dir, 'error.log');
  const server = spawn(SERVER, [
    '--no-defaults', `--datadir=${data}`, ...user, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'mysqld.sock')}`,
    `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${errorLog}`, '--skip-name-resolve',
    `--default-time-zone=${SERVER_TIME_ZONE}`, '--max-connections=200',
    '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--innodb-buffer-pool-size=64M', '--skip-log-bin',
  ], { stdio: 'ignore' });
  let exited = false;
  server.once('exit', () => (exited = true));

  const url = `mysql://root@127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(url, () => exited, errorLog);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async createDatabase(name) {
      const connection = await mysql.createConnection(url);
      try {
        await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      } finally {
        await connection.end();
      }
      return `${url}/${name}`;
    },
    stop,
  };
}

async function waitUntilReady(url: string, exited: () => boolean, errorLog: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const tail = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8').split('\n').slice(-15).join('\n') : '');
    if (exited()) throw new Error(`mariadbd exited during start-up:\n${tail()}`);
    try {
      const connection = await mysql.createConnection({ uri: url, connectTimeout: 1_000 });
      await connection.end();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections within 60 s (${(error as Error).message}):\n${tail()}`);
      await sleep(100);
    }
  }
}
