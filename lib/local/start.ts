/**
 * `npm start`: the API on a local port (PORT, 3000) running the Lambda handlers against DynamoDB Local
 * (or STORAGE=postgres), the SES emulator and the local SMS inbox. Ctrl-C stops everything it started.
 */
import { startLocalStack } from './local-stack.js';
import { JAVA_MISSING } from './services.js';

const env = process.env;
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(env.PORT ?? 3000);
env.VERIFY_URL_BASE ??= `http://localhost:${port}/api/v1/patient/verify-email`;
// The name on the pages and mails (and the sender's display name); each stage sets its own (infra/config/stages.ts).
env.SERVICE_NAME ??= 'Patient Registration (local)';
/** dynamodb (the default, as deployed) or postgres: DATABASE_URL, else embedded PGlite. */
const storage = env.STORAGE || 'dynamodb';

async function main(): Promise<void> {
  if (storage !== 'dynamodb' && storage !== 'postgres') throw new Error(`STORAGE must be "dynamodb" or "postgres", not "${storage}"`);
  const stack = await startLocalStack({
    port,
    storage,
    dynamodbPort: Number(env.DYNAMODB_PORT ?? 8000),
    sesPort: Number(env.SES_PORT ?? 8005),
    smsPort: Number(env.SMS_PORT ?? 8006),
    dataDir: env.DATA_DIR || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    outboxRelay: true,
  });
  console.log(`Patient registration API  ${stack.apiUrl}/api/v1/patient/register`);
  console.log(`Email inbox (SES emulator) ${stack.sesEndpoint}`);
  console.log(`SMS inbox (texts go here)  ${stack.smsEndpoint}  (JSON: ${stack.smsEndpoint}/store)`);
  console.log(`Data                       ${stack.store}`);
  console.log(`Patient-data key           ${env.KMS_KEY_ID ? `KMS ${env.KMS_KEY_ID}` : 'LOCAL master key (KMS_KEY_ID not set; for development only)'}`);
  console.log('Press Ctrl-C to stop.');

  const shutdown = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  const message = (error as Error).message;
  console.error(message === JAVA_MISSING ? message : `Could not start: ${message}`);
  process.exit(1);
});
