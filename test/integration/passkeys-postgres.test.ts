import { afterAll } from 'vitest';
import { openPostgres } from '../../lib/adapters/postgres/open-database.js';
import { useStorage } from '../../lib/wiring.js';
import { describePasskeyFlow } from '../support/passkey-flow.js';

/**
 * STORAGE=postgres (embedded PGlite, as `npm start` runs it without DATABASE_URL): the passkey
 * handlers on migration 022. The store is set before the handlers are imported (they build their
 * dependencies at module load, like a cold start).
 */
const db = await openPostgres({});
useStorage(db.storage);
afterAll(() => db.close());

describePasskeyFlow('PostgreSQL (PGlite)', async () => ({
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
