/**
 * `npm start` as a newcomer runs it, in a child process: its output, its process tree (from /proc),
 * the addresses its ports listen on (/proc/net/tcp, tcp6), and whether everything is gone after a stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY = 'Press Ctrl-C to stop.';

export interface NpmStart {
  child: ChildProcess;
  output(): string;
  /** Resolves when the banner is printed; rejects if npm exits first. */
  ready(): Promise<void>;
  /** When (performance.now()) text first appeared in the output, once it has; rejects if npm exits first. */
  seen(text: string): Promise<number>;
  /** When npm exited (performance.now()). */
  exitedAt(): number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills whatever is left of the process group (clean-up after a failed test). */
  kill(): void;
}

/**
 * The variables the integration environment sets that npm start must choose for itself here; a test
 * adds back what it wants (DYNAMODB_ENDPOINT to skip Java, ports, HOST, DATA_DIR).
 */
const CHOSEN_BY_TEST = [
  'DYNAMODB_ENDPOINT', 'SES_ENDPOINT', 'SMS_ENDPOINT', 'HOST', 'DATA_DIR', 'INIT_CWD', 'PORT', 'DYNAMODB_PORT', 'SES_PORT', 'SMS_PORT', 'STORAGE',
  'POWERTOOLS_LOG_LEVEL', 'LOG_FORMAT',
];

export function npmStart(env: Record<string, string>, { cwd = REPO_ROOT, args = ['start'] }: { cwd?: string; args?: string[] } = {}): NpmStart {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CHOSEN_BY_TEST) delete childEnv[name];
  // Its own process group, so a clean-up can reach every process it started.
  const child = spawn('npm', args, { cwd, env: { ...childEnv, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exitTime: number | undefined;
  // When each chunk arrived and where it ended in the output: a text's time is its last chunk's.
  const arrivals: { at: number; end: number }[] = [];
  const watchers: (() => void)[] = [];
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    arrivals.push({ at: performance.now(), end: output.length });
    for (const check of watchers.splice(0)) check();
  };
  const timeOf = (text: string) => {
    const index = output.indexOf(text);
    return index < 0 ? undefined : arrivals.find((a) => a.end >= index + text.length)!.at;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exitTime = performance.now();
      resolve({ code, signal });
    }));
  const seen = (text: string) => new Promise<number>((resolve, reject) => {
    const check = () => {
      const at = timeOf(text);
      if (at === undefined) watchers.push(check);
      else resolve(at);
    };
    check();
    void exited.then(() => {
      if (timeOf(text) === undefined) reject(new Error(`npm start exited before it printed "${text}":\n${output}`));
    });
  });
  const ready = () => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.includes(READY)) {
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    check();
    void exited.then(({ code, signal }) => reject(new Error(`npm start exited (${signal ?? code}) before it was ready:\n${output}`)));
  });
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return { child, output: () => output, ready, seen, exitedAt: () => exitTime, exited, kill };
}

function stat(pid: number): { ppid: number; state: string; comm: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const [state, ppid] = text.slice(close + 2).split(' ');
    return { ppid: Number(ppid), state: state!, comm: text.slice(text.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

/**
 * A process's name as ps shows it (/proc's comm: npm sets its title "npm start"), except that Node 24
 * names its main thread "MainThread": then the name of the executable it runs.
 */
function program(pid: number, comm: string): string {
  if (comm !== 'MainThread') return comm;
  try {
    return path.basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return comm;
  }
}

/** pid and all its descendants, with the names of the programs they run. */
export function processTree(pid: number): Map<number, string> {
  const all = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  const parents = new Map<number, { ppid: number; comm: string }>();
  for (const p of all) {
    const s = stat(p);
    if (s) parents.set(p, s);
  }
  const tree = new Map<number, string>();
  const visit = (p: number) => {
    tree.set(p, program(p, parents.get(p)?.comm ?? '?'));
    for (const [child, s] of parents) if (s.ppid === p && !tree.has(child)) visit(child);
  };
  visit(pid);
  return tree;
}

/**
 * A process that exited and waits to be reaped (a zombie) runs nothing, once all its threads are
 * gone: a JVM's main thread shows Z while its other threads still hold its sockets.
 */
export const isRunning = (pid: number) => {
  const s = stat(pid);
  if (s === undefined || s.state === 'X') return false;
  if (s.state !== 'Z') return true;
  try {
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
};

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True when nothing accepts connections on 127.0.0.1:port. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** The local addresses sockets listen on for port, as the kernel lists them (IPv4 and IPv6). */
export function listenAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const addresses: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local?.endsWith(`:${hexPort}`)) continue; // 0A: LISTEN
      addresses.push(decodeAddress(local.slice(0, local.indexOf(':'))));
    }
  }
  return addresses;
}

/** /proc/net/tcp's hex address (little-endian 32-bit words) as text: 127.0.0.1, ::, ::ffff:127.0.0.1. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((word) => Buffer.from(word, 'hex').reverse());
  const bytes = Buffer.concat(words);
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.subarray(0, 12).equals(Buffer.from('00000000000000000000ffff', 'hex'))) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  if (bytes.every((b) => b === 0)) return '::';
  return bytes.toString('hex').match(/.{4}/g)!.join(':');
}

export const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::ffff:127.0.0.1', '0000:0000:0000:0000:0000:0000:0000:0001']);
