import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/http/openapi.js';

/**
 * Redocly's linter with its recommended rules, on the document npm start serves: no error and no
 * warning (issue 22 item 6). Offline: no telemetry, no update check.
 */
const CLI = path.join(path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin/cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'openapi-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface LintReport { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] }

async function lint(document: object): Promise<LintReport> {
  const file = path.join(dir, `openapi-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(document, null, 2));
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  // lint exits 1 on errors; the JSON report on stdout says what they are either way.
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'lint', '--extends=recommended', '--format=json', file], { env })
    .catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  return JSON.parse(stdout) as LintReport;
}

const summary = (report: LintReport) => report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);

describe('redocly lint (recommended rules)', () => {
  it('passes the served document clean: no error, no warning', async () => {
    const report = await lint(openApiDocument());
    expect(summary(report)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('does catch what the issue found (a document without servers, an operation without 4XX)', async () => {
    const broken = openApiDocument();
    delete broken.servers;
    broken.paths['/api/v1/health'].get.responses = { 200: broken.paths['/api/v1/health'].get.responses[200] };
    const rules = (await lint(broken)).problems.map((p) => p.ruleId);
    expect(rules).toEqual(expect.arrayContaining(['no-empty-servers', 'operation-4xx-response']));
  }, 60_000);
});
