import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** The benchmark script itself, with tiny counts: it runs end to end and prints every row. Timings are not judged. */
describe('npm run bench -- --smoke', () => {
  let outDir: string | undefined;
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('prints and writes every row of the table', async () => {
    outDir = await mkdtemp(path.join(tmpdir(), 'bench-smoke-'));
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_OUT_DIR: outDir };
    delete env.BENCH_NATIVE_BCRYPT;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/bench/bench.ts', '--smoke'], { cwd: REPO_ROOT, env, timeout: 170_000 });

    const rows = [
      "bcrypt floor: the server's hasher (native), hash, cost 12",
      'bcrypt native: @node-rs/bcrypt',
      'registration over HTTP',
      'registration step: validation',
      'registration step: pre-check reads',
      'registration step: hash',
      'registration step: data key + encryption',
      'registration step: transaction',
      'registration step: rest of the handler',
      'registration step: handler in process',
      'invalid request over HTTP vs GET /health, same server',
      'invalid request, 422',
      'invalid request, 2 registrations in flight',
      'duplicate email, 422',
      'time to inbox: 201 → mail in the SES emulator',
      'verify-email',
      "bcrypt floor: the server's hasher (native), compare, cost 12",
      'login 200 over HTTP',
      'TOTP sign-in, password step: login 200 mfa_required',
      'TOTP sign-in, code step: login/mfa 200',
      'TOTP sign-in, both steps',
      'login 401, unknown email / wrong password',
      'GET /me',
      'PATCH /me', 'GET /me/export, JSON', 'GET /me/export?format=fhir', 'passkey sign-in over HTTP: options + assertion',
      'password-forgot, registered / unknown address',
      'JWT signing alone, ES256, key in memory',
      'JWT verification alone, ES256',
      'registrations/s at concurrency 1',
      'registrations/s at concurrency 2',
      'registrations/s at concurrency 4',
      'cold start: register',
      'cold start: verify-email',
      'cold start: verify-email-page',
      'cold start: login',
      'cold start: token-refresh',
      'cold start: logout',
      'cold start: me',
      'cold start: password-forgot',
      'cold start: password-reset',
      'cold start: password-reset-page',
      'cold start: password-change',
      'bcrypt hash as deployed: bcryptjs vs native, cost 12',
      'bcrypt compare as deployed: bcryptjs vs native, cost 12',
      'cold start with native bcrypt: register',
      'cold start with native bcrypt: login',
    ];
    for (const row of rows) expect(stdout).toContain(`| ${row}`);
    const written = JSON.parse(await readFile(path.join(outDir, 'latest.json'), 'utf8')) as { smoke: boolean; rows: { row: string }[] };
    expect(written.smoke).toBe(true);
    expect(written.rows.length).toBeGreaterThanOrEqual(rows.length);
  });
});
