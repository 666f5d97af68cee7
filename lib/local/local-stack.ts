/**
 * The local stack behind `npm start` and `npm run bench`: the Lambda handlers on a local HTTP port,
 * against DynamoDB Local (or PostgreSQL, or MySQL) and the SES emulator, each started here unless an endpoint
 * is given. The environment is set before the handlers are imported: they read it at module load,
 * like a Lambda cold start.
 */
import type { AddressInfo } from 'node:net';
import type { OpenedMysql } from '../adapters/mysql/open-database.js';
import { createHashingPool, type HashingPool, type HashingPoolOptions } from '../adapters/bcrypt/hashing-pool.js';
import { isSingleTable } from '../adapters/dynamodb/placement.js';
import { loadConfig } from '../config.js';
import { usePasswordHasher, useStorage } from '../wiring.js';
import { createApiServer, type RequestLogEntry } from './api-server.js';
import { frontDoorPages } from './front-door.js';
import { startLapseSweeper } from './lapse-sweeper.js';
import { OUTBOX_POLL_INTERVAL_MS, startOutboxNotifications, startOutboxRelay, startOutboxStream } from './outbox-relay.js';
import { waitUntilHealthy } from './readiness.js';
import { loadRoutes } from './routes.js';
import { assertListening, assertPortsFree, ensureAuditTable, ensureTables, freePort, listenError, LOOPBACK, startDynamoDbLocal, startSesEmulator, urlHost, type RunningService } from './services.js';
import { startSmsInbox } from './sms-inbox.js';

/** The local stack's CORS default: any port on localhost (a dev server such as Vite or webpack). */
const LOCAL_CORS_ORIGINS = 'http://localhost:*,http://127.0.0.1:*';

export interface LocalStackOptions {
  /** 0 picks a free port. */
  port: number;
  /** The address every service listens on (HOST): LOOPBACK unless given. */
  host?: string;
  storage: 'dynamodb' | 'postgres' | 'mysql';
  dynamodbPort?: number;
  sesPort?: number;
  /** The local SMS inbox's port (SMS_PORT). */
  smsPort?: number;
  dataDir?: string;
  databaseUrl?: string;
  /** The outbox mailer on new outbox items (stream, or NOTIFY), and the sweep for what it missed. */
  outboxRelay: boolean;
  /** Told one line as each service is ready (npm start prints them). */
  progress?: (line: string) => void;
  /** DynamoDB Local's JVM tuned to start fast rather than to run fast for long (services.ts). */
  quickStart?: boolean;
  /** Told every request once answered (npm start's compact log). */
  onRequest?: (entry: RequestLogEntry) => void;
  /** The password-hashing pool's slots and admission budget (default: the machine's cores, HASHING_BUDGET_MS). */
  hashing?: HashingPoolOptions;
}

export interface LocalStack {
  apiUrl: string;
  sesEndpoint: string;
  /** Where texts go: the SMS inbox (its page at /, JSON at /store), or SMS_ENDPOINT as given. */
  smsEndpoint: string;
  /** Where the data lives, for the start-up banner. */
  store: string;
  /** The hasher every handler here hashes with (the bench's floor is measured through it). */
  hasher: HashingPool;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const env = process.env;
  // The one switch that lets settings fall back to local defaults and a local master key stand in for
  // KMS; nothing deployed sets it (and loadConfig refuses it in Lambda).
  env.LOCAL_MODE = '1';
  // A front end on any local port may call the local API (CORS); set it empty to allow none.
  env.CORS_ALLOWED_ORIGINS ??= LOCAL_CORS_ORIGINS;
  const host = options.host ?? LOOPBACK;
  const progress = options.progress ?? (() => undefined);
  const startedAt = Date.now();
  const seconds = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
  const startsDynamoDb = options.storage === 'dynamodb' && !env.DYNAMODB_ENDPOINT;
  const [startsSes, startsSms] = [!env.SES_ENDPOINT, !env.SMS_ENDPOINT];
  // Every port is checked before anything starts: a taken one is refused at once, not after Java.
  await assertPortsFree(host, [
    { port: options.port, variable: 'PORT' },
    ...(startsDynamoDb ? [{ port: options.dynamodbPort, variable: 'DYNAMODB_PORT' }] : []),
    ...(startsSes ? [{ port: options.sesPort, variable: 'SES_PORT' }] : []),
    ...(startsSms ? [{ port: options.smsPort, variable: 'SMS_PORT' }] : []),
  ]);
  // Each service's port chosen now (0: a free one), so every endpoint is known before any is up and
  // the handlers (which read them at import, like a cold start) load while Java starts.
  const endpointOn = (port: number) => `http://${urlHost(host)}:${port}`;
  const dynamodbPort = startsDynamoDb ? options.dynamodbPort || (await freePort()) : undefined;
  const sesPort = startsSes ? options.sesPort || (await freePort()) : undefined;
  const smsPort = startsSms ? options.smsPort || (await freePort()) : undefined;
  if (dynamodbPort) env.DYNAMODB_ENDPOINT = endpointOn(dynamodbPort);
  if (sesPort) env.SES_ENDPOINT = endpointOn(sesPort);
  if (smsPort) env.SMS_ENDPOINT = endpointOn(smsPort);
  const started: RunningService[] = [];
  const stopAll = () => Promise.all(started.reverse().map((s) => s.stop()));
  /** Starts a service, keeps it for the stop, and says when it is ready. */
  const service = async <T extends RunningService>(name: string, start: () => Promise<T>): Promise<T> => {
    const running = await start();
    started.push(running);
    progress(`${name.padEnd(26)} ready  ${running.endpoint}  (${seconds()})`);
    return running;
  };
  try {
    let store = '';
    // Where new outbox items come from locally: the table's stream, PostgreSQL's NOTIFY, or (MySQL has
    // no notification) a short poll.
    let startOutboxFeed: () => Promise<{ stop(): Promise<void> }> = () => { throw new Error('no store'); };
    // MySQL's feed already is a sweep (a short one): no second, slower one beside it.
    let feedIsSweep = false;
    const startStore = async () => {
      if (options.storage === 'postgres' || options.storage === 'mysql') {
        // Imported only here, so the SQL adapters and drivers stay out of the Lambda bundles.
        // What both SQL stores give: every port, where the data lives, how to close it.
        let db: OpenedMysql;
        if (options.storage === 'mysql') {
          db = await (await import('../adapters/mysql/open-database.js')).openMysql({ databaseUrl: options.databaseUrl });
          startOutboxFeed = () => startOutboxRelay(OUTBOX_POLL_INTERVAL_MS);
          feedIsSweep = true;
          store = `MySQL ${db.description}`;
        } else {
          const postgres = await (await import('../adapters/postgres/open-database.js')).openPostgres({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
          db = postgres;
          startOutboxFeed = () => startOutboxNotifications(postgres.onOutboxInsert);
          store = `PostgreSQL ${db.description}`;
        }
        await service(options.storage === 'mysql' ? 'MySQL' : 'PostgreSQL', async () => ({ endpoint: db.description, stop: () => db.close() }));
        useStorage(db.storage);
        // SQL databases have no TTL: lapsed unverified registrations are deleted every minute (DynamoDB: TTL).
        const sweeper = startLapseSweeper(db.storage.repository);
        started.push({ endpoint: 'lapse sweeper', stop: async () => sweeper.stop() });
      } else {
        if (dynamodbPort) await service('DynamoDB Local', () => startDynamoDbLocal({ port: dynamodbPort, dataDir: options.dataDir, host, quickStart: options.quickStart }));
        env.TABLE_NAME ??= 'patients';
        env.AUDIT_TABLE_NAME ??= 'patient-audit';
        // One table unless IDENTITY_TABLE_NAME, TOKEN_TABLE_NAME or OUTBOX_TABLE_NAME name others (as in AWS).
        const names = loadConfig(env);
        await Promise.all([ensureTables(env.DYNAMODB_ENDPOINT!, names), ensureAuditTable(env.DYNAMODB_ENDPOINT!, env.AUDIT_TABLE_NAME)]);
        const endpoint = env.DYNAMODB_ENDPOINT!;
        startOutboxFeed = () => startOutboxStream(endpoint, names.outboxTableName);
        const tables = isSingleTable(names) ? `table ${names.tableName}` : `tables ${names.tableName}, ${names.identityTableName}, ${names.tokenTableName}, ${names.outboxTableName}`;
        store = `DynamoDB ${env.DYNAMODB_ENDPOINT} (${tables}${options.dataDir ? `, data in ${options.dataDir}` : ', in memory'})`;
      }
    };
    // One process serves many requests here, unlike a Lambda instance: hash off the event loop, with
    // Lambda's bcrypt, a bounded number at a time; a full pool refuses new registrations at the door.
    const hasher = createHashingPool(loadConfig(env).bcryptRounds, options.hashing);
    started.push({ endpoint: 'bcrypt pool', stop: () => hasher.close() });
    usePasswordHasher(hasher, hasher);

    // The store (Java's start is the slowest part), the inboxes and the handlers' import side by side
    // (a SQL store is chosen before the handlers load: they take it at import); if one fails, the
    // others are awaited and stopped with it.
    const sqlStore = options.storage !== 'dynamodb';
    const storeReady = startStore();
    const results = await Promise.allSettled([
      storeReady,
      sesPort && service('Email inbox (SES emulator)', () => startSesEmulator({ port: sesPort, host })),
      smsPort && service('SMS inbox', () => startSmsInbox({ port: smsPort, host })),
      sqlStore ? storeReady.then(() => loadRoutes()) : loadRoutes(),
    ]);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const routes = (results[3] as PromiseFulfilledResult<Awaited<ReturnType<typeof loadRoutes>>>).value;

    const pages = frontDoorPages({ sesEndpoint: env.SES_ENDPOINT!, smsEndpoint: env.SMS_ENDPOINT!, store });
    const server = createApiServer(routes, undefined, { onRequest: options.onRequest, pages });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options.port, 'PORT', host)));
      server.listen(options.port, host, resolve);
    });
    assertListening(server, options.port, 'PORT');
    started.push({
      endpoint: 'api',
      stop: () => new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    });
    if (options.outboxRelay) {
      const feed = await startOutboxFeed();
      started.push({ endpoint: 'outbox feed', stop: () => feed.stop() });
      if (!feedIsSweep) {
        const relay = await startOutboxRelay();
        started.push({ endpoint: 'outbox relay', stop: () => relay.stop() });
      }
    }
    const { port } = server.address() as AddressInfo;
    // Ready means answering: the caller prints the banner only after this.
    const apiUrl = `http://${urlHost(host)}:${port}`;
    await waitUntilHealthy(apiUrl);
    progress(`${'API (the Lambda handlers)'.padEnd(26)} ready  ${apiUrl}  (${seconds()})`);
    return { apiUrl, sesEndpoint: env.SES_ENDPOINT!, smsEndpoint: env.SMS_ENDPOINT!, store, hasher, stop: async () => void (await stopAll()) };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
