import { PGlite } from '@electric-sql/pglite';
import { createPgliteExecutor } from '../../lib/adapters/postgres/pglite-executor.js';
import { describeStorageContract } from './patient-repository.contract.js';
import { postgresContractStore } from '../support/postgres-contract-store.js';
import { describePostgresLapseCleanup } from './postgres-lapse-cleanup.js';

// The embedded engine `STORAGE=postgres npm start` uses without DATABASE_URL. It runs transactions
// one at a time, so here the races check the constraints and the classification, not concurrency.
describeStorageContract('PostgreSQL embedded (PGlite)', async () => postgresContractStore(createPgliteExecutor(await PGlite.create())));
describePostgresLapseCleanup('PGlite', async () => ({ db: createPgliteExecutor(await PGlite.create()), stop: async () => {} }));
