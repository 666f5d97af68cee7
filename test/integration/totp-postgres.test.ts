import { afterAll } from 'vitest';
import { openPostgres } from '../../lib/adapters/postgres/open-database.js';
import { useStorage } from '../../lib/wiring.js';

/** STORAGE=postgres (embedded PGlite): the same flows through the same handlers, set before they load. */
const db = await openPostgres({});
useStorage(db.storage);
afterAll(() => db.close());
const { describeTotpFlows } = await import('./totp-flows.js');

describeTotpFlows('PostgreSQL (PGlite)');
