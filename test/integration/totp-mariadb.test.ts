import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { openMysql } from '../../lib/adapters/mysql/open-database.js';
import { useStorage } from '../../lib/wiring.js';
import { startMariadbServer } from '../support/mariadb-server.js';

/** STORAGE=mysql (a throwaway MariaDB 10.11): the same flows through the same handlers, set before they load. */
const server = await startMariadbServer();
const db = await openMysql({ databaseUrl: await server.createDatabase(`db_${randomUUID().replaceAll('-', '')}`) });
useStorage(db.storage);
afterAll(async () => {
  await db.close();
  await server.stop();
});
const { describeTotpFlows } = await import('./totp-flows.js');

describeTotpFlows('MySQL (MariaDB)');
