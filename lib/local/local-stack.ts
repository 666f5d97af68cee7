/**
 * The local stack behind `npm start` and `npm run bench`: the Lambda handlers on a local HTTP port,
 * against DynamoDB Local (or PostgreSQL, or MySQL) and the SES emulator, each started here unless an endpoint
 * is given. The environment is set before the handlers are imported: they read it at module load,
 * like a Lambda cold start.
 */
import type { AddressInfo } from 'node:net';
import type { OpenedMysql } from '../adapters/mysql/open-database.js';
import { createHashingPool, type HashingPool, type HashingPoolOptions } from '../adapters/bcrypt/hashing-pool.js';
import { loadConfig } from '../config.js';
import { usePasswordHasher, useStorage } from '../wiring.js';
import { createApiServer } from './api-server.js';
import { startLapseSweeper } from './lapse-sweeper.js';
import { OUTBOX_POLL_INTERVAL_MS, startOutboxNotifications, startOutboxRelay, startOutboxStream } from './outbox-relay.js';
import { waitUntilHealthy } from './readiness.js';
import { loadRoutes } from './routes.js';
import { assertListening, ensureAuditTable, ensureTable, LOOPBACK, startDynamoDbLocal, startSesEmulator, urlHost, type RunningService } from './services.js';
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
  const started: RunningService[] = [];
  const stopAll = () => Promise.all(started.reverse().map((s) => s.stop()));
  try {
    let store: string;
    // Where new outbox items come from locally: the table's stream, PostgreSQL's NOTIFY, or (MySQL has
    // no notification) a short poll.
    let startOutboxFeed: () => Promise<{ stop(): Promise<void> }>;
    // MySQL's feed already is a sweep (a short one): no second, slower one beside it.
    let feedIsSweep = false;
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
      started.push({ endpoint: db.description, stop: () => db.close() });
      useStorage(db.storage);
      // SQL databases have no TTL: lapsed unverified registrations are deleted every minute (DynamoDB: TTL).
      const sweeper = startLapseSweeper(db.storage.repository);
      started.push({ endpoint: 'lapse sweeper', stop: async () => sweeper.stop() });
    } else {
      if (!env.DYNAMODB_ENDPOINT) {
        const dynamo = await startDynamoDbLocal({ port: options.dynamodbPort, dataDir: options.dataDir, host });
        started.push(dynamo);
        env.DYNAMODB_ENDPOINT = dynamo.endpoint;
      }
      env.TABLE_NAME ??= 'patients';
      env.AUDIT_TABLE_NAME ??= 'patient-audit';
      await Promise.all([ensureTable(env.DYNAMODB_ENDPOINT, env.TABLE_NAME), ensureAuditTable(env.DYNAMODB_ENDPOINT, env.AUDIT_TABLE_NAME)]);
      const [endpoint, table] = [env.DYNAMODB_ENDPOINT, env.TABLE_NAME];
      startOutboxFeed = () => startOutboxStream(endpoint, table);
      store = `DynamoDB ${env.DYNAMODB_ENDPOINT} (table ${env.TABLE_NAME}${options.dataDir ? `, data in ${options.dataDir}` : ', in memory'})`;
    }
    if (!env.SES_ENDPOINT) {
      const ses = await startSesEmulator({ port: options.sesPort, host });
      started.push(ses);
      env.SES_ENDPOINT = ses.endpoint;
    }
    if (!env.SMS_ENDPOINT) {
      const sms = await startSmsInbox({ port: options.smsPort, host });
      started.push(sms);
      env.SMS_ENDPOINT = sms.endpoint;
    }

    // One process serves many requests here, unlike a Lambda instance: hash off the event loop, with
    // Lambda's bcrypt, a bounded number at a time; a full pool refuses new registrations at the door.
    const hasher = createHashingPool(loadConfig(env).bcryptRounds, options.hashing);
    started.push({ endpoint: 'bcrypt pool', stop: () => hasher.close() });
    usePasswordHasher(hasher, hasher);

    const server = createApiServer(await loadRoutes());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE' ? new Error(`port ${options.port} is in use; set PORT to another port`)
          : error.code === 'EADDRNOTAVAIL' ? new Error(`${host} is not an address of this machine; set HOST to one (127.0.0.1 by default)`)
          : error,
        ),
      );
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
    return { apiUrl, sesEndpoint: env.SES_ENDPOINT, smsEndpoint: env.SMS_ENDPOINT, store, hasher, stop: async () => void (await stopAll()) };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
