import { loadConfig } from '../../lib/config.js';
import { ensureTables } from '../../lib/local/services.js';

/**
 * Puts this test file's item families on tables of their own, as every deployed stage has them
 * (lib/adapters/dynamodb/placement.ts; infra/stacks/stateful-stack.ts), and creates those tables.
 * Call at the top of a file, before its suites load their configuration. The integration suite and
 * `npm start` keep the one table (every name the same), so both layouts run the same stores.
 */
export async function usePlacedTables(): Promise<void> {
  const env = process.env;
  const base = env.TABLE_NAME!;
  env.IDENTITY_TABLE_NAME = `${base}-identities`;
  env.TOKEN_TABLE_NAME = `${base}-tokens`;
  env.OUTBOX_TABLE_NAME = `${base}-outbox`;
  await ensureTables(env.DYNAMODB_ENDPOINT!, loadConfig());
}
