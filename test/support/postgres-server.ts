import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../lib/local/services.js';

export interface RunningPostgres {
  /** postgresql:// URL of the superuser on the throwaway cluster (trust auth, localhost only). */
  url: string;
  stop(): Promise<void>;
}

export const POSTGRES_MISSING =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or PG_BIN: ' +
  'install them (Debian/Ubuntu: sudo apt-get install -y postgresql) or set PG_BIN to their folder.';

/** The newest Debian PostgreSQL install, or PG_BIN. Never skipped: a missing server fails the run. */
function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(POSTGRES_MISSING);
  return join(root, newest, 'bin');
}

/** postgres refuses to run as root; under root (CI containers) the cluster belongs to the postgres user. */
function clusterOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const owner = { uid: id('-u'), gid: id('-g') };
  if (!Number.isInteger(owner.uid) || owner.uid <= 0) throw new Error('running as root needs a "postgres" OS user to own the test cluster');
  return owner;
}

function run(bin: string, command: string, args: string[], owner: ReturnType<typeof clusterOwner>): void {
  const result = spawnSync(join(bin, command), args, { encoding: 'utf8', ...owner, env: { ...process.env, LC_ALL: 'C' } });
  if (result.status !== 0) {
    throw new Error(`${command} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr || result.stdout}`);
  }
}

/**
 * A throwaway PostgreSQL cluster in a temp folder: its socket stays in that folder, TCP on 127.0.0.1
 * only, durability off (test data is disposable), stopped and deleted by stop().
 */
export async function startPostgresServer(): Promise<RunningPostgres> {
  const bin = postgresBin();
  const owner = clusterOwner();
  const dir = mkdtempSync(join(tmpdir(), 'pg-contract-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  run(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'], owner);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  try {
    run(bin, 'pg_ctl', ['start', '-w', '-t', '30', '-D', data, '-l', join(dir, 'server.log'), '-o', options], owner);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      run(bin, 'pg_ctl', ['stop', '-w', '-m', 'immediate', '-D', data], owner);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
