/**
 * `npm start`: the API on a local port (PORT, 3000) running the Lambda handlers against DynamoDB Local
 * (or STORAGE=postgres), the SES emulator and the local SMS inbox, all on HOST (127.0.0.1).
 * SIGINT, SIGTERM, SIGHUP or the parent's death stop everything it started (lib/local/README.md).
 */
// First: it sets the log level before any module that logs is loaded.
import { LOG_FORMAT } from './log-format.js';
import { OPENAPI_PATH } from '../http/openapi.js';
import { API_PATHS } from '../http/routes.js';
import { compactRequestLine } from './api-server.js';
import { startLocalStack, type LocalStack } from './local-stack.js';
import { isWildcardHost, JAVA_MISSING, LOOPBACK, prepareDataDir } from './services.js';

const env = process.env;
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(env.PORT ?? 3000);
const host = env.HOST || LOOPBACK;
env.VERIFY_URL_BASE ??= `http://localhost:${port}/api/v1/patient/verify-email`;
// The name on the pages and mails (and the sender's display name); each stage sets its own (infra/config/stages.ts).
env.SERVICE_NAME ??= 'Patient Registration (local)';
/** dynamodb (the default, as deployed), postgres (DATABASE_URL, else embedded PGlite) or mysql (DATABASE_URL). */
const storage = env.STORAGE || 'dynamodb';


/** How long a stop may take before whatever is left is killed. */
const STOP_DEADLINE_MS = 5000;
/** How often the parent is checked: when it dies, this process is re-parented and ppid changes. */
const PARENT_CHECK_MS = 500;

/**
 * Stops on SIGINT, SIGTERM and SIGHUP (a closed terminal), and when the parent dies (npm killed with
 * SIGKILL, which it cannot forward): every stop request, including one during start-up, ends here.
 * A second request, or a stop that outlasts its deadline, exits at once; Java and esbuild then go
 * with this process, since each exits when its standard input from us closes.
 */
function stopOnRequest(stack: () => LocalStack | undefined): void {
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`Stopping (${why}).`);
    setTimeout(() => process.exit(1), STOP_DEADLINE_MS).unref();
    void Promise.resolve(stack()?.stop()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  const parent = process.ppid;
  if (parent > 1) {
    setInterval(() => {
      if (process.ppid !== parent) stop('parent process exited');
    }, PARENT_CHECK_MS).unref();
  }
  // A closed terminal or pipe must not turn the stop into a crash on the next log line.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
}

async function main(): Promise<void> {
  let stack: LocalStack | undefined;
  stopOnRequest(() => stack);
  if (storage !== 'dynamodb' && storage !== 'postgres' && storage !== 'mysql') {
    throw new Error(`STORAGE must be "dynamodb", "postgres" or "mysql", not "${storage}"`);
  }
  if (LOG_FORMAT !== 'compact' && LOG_FORMAT !== 'json') throw new Error(`LOG_FORMAT must be "compact" or "json", not "${LOG_FORMAT}"`);
  // A relative DATA_DIR is taken from where the command was typed: npm runs scripts in the package
  // folder but keeps that place in INIT_CWD.
  const dataDir = env.DATA_DIR ? prepareDataDir(env.DATA_DIR, env.INIT_CWD || process.cwd()) : undefined;
  console.log(`Starting (${storage === 'dynamodb' && !env.DYNAMODB_ENDPOINT ? 'DynamoDB Local' : storage}, the email and SMS inboxes, then the API)…`);
  stack = await startLocalStack({
    progress: (line) => console.log(`  ${line}`),
    quickStart: true,
    ...(LOG_FORMAT === 'compact' && { onRequest: (entry) => console.log(compactRequestLine(entry)) }),
    port,
    host,
    storage,
    dynamodbPort: Number(env.DYNAMODB_PORT ?? 8000),
    sesPort: Number(env.SES_PORT ?? 8005),
    smsPort: Number(env.SMS_PORT ?? 8006),
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    outboxRelay: true,
  });
  console.log(`Start here                 ${stack.apiUrl}/  (what runs where, the inboxes, the API reference, example calls)`);
  console.log(`Patient registration API  POST ${stack.apiUrl}${API_PATHS.register}`);
  console.log(`API description (OpenAPI) ${stack.apiUrl}${OPENAPI_PATH}`);
  console.log(`Email inbox (SES emulator) ${stack.sesEndpoint}`);
  console.log(`SMS inbox (texts go here)  ${stack.smsEndpoint}  (JSON: ${stack.smsEndpoint}/store)`);
  console.log(`Data                       ${stack.store}`);
  console.log(`Patient-data key           ${env.KMS_KEY_ID ? `KMS ${env.KMS_KEY_ID}` : 'LOCAL master key (KMS_KEY_ID not set; for development only)'}`);
  console.log(
    isWildcardHost(host)
      ? `Listening on               every interface (HOST=${host}): anyone on your network can reach the API, inboxes and table`
      : `Listening on               ${host} only (HOST=0.0.0.0 opens it to the network)`,
  );
  console.log('Press Ctrl-C to stop.');
}

main().catch((error: unknown) => {
  const message = (error as Error).message;
  console.error(message === JAVA_MISSING ? message : `Could not start: ${message}`);
  process.exit(1);
});
