import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { openMysql } from '../../lib/adapters/mysql/open-database.js';
import { useStorage } from '../../lib/wiring.js';
import { startMariadbServer } from '../support/mariadb-server.js';
import { describePasskeyFlow } from '../support/passkey-flow.js';

/**
 * STORAGE=mysql on a throwaway MariaDB 10.11 (Debian's mariadb-server): the passkey handlers on
 * migration 013. The store is set before the handlers are imported, like a cold start.
 */
const server = await startMariadbServer();
const db = await openMysql({ databaseUrl: await server.createDatabase(`db_${randomUUID().replaceAll('-', '')}`) });
useStorage(db.storage);
afterAll(async () => {
  await db.close();
  await server.stop();
});

describePasskeyFlow('MariaDB', async () => ({
  register: (await import('../../functions/register/handler.js')).handler,
  verify: (await import('../../functions/verify-email/handler.js')).handler,
  outboxMailer: (await import('../../functions/outbox-mailer/handler.js')).handler,
  enrolOptions: (await import('../../functions/passkey-enrol-options/handler.js')).handler,
  enrol: (await import('../../functions/passkey-enrol/handler.js')).handler,
  loginOptions: (await import('../../functions/passkey-login-options/handler.js')).handler,
  login: (await import('../../functions/passkey-login/handler.js')).handler,
  remove: (await import('../../functions/passkey-remove/handler.js')).handler,
  passwordLogin: (await import('../../functions/login/handler.js')).handler,
  loginMfa: (await import('../../functions/login-mfa/handler.js')).handler,
}));
