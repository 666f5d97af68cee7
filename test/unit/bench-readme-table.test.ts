import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_README, LATEST_RUN_END, LATEST_RUN_START, replaceLatestRun, writeLatestRun } from '../../test/bench/readme-table.js';

const readme = (inside: string) => `# Bench\n\nprose before\n\n${LATEST_RUN_START}\n${inside}\n${LATEST_RUN_END}\n\nprose after\n`;

/** A full `npm run bench` writes its table into test/bench/README.md between two markers. */
describe('the bench README writer', () => {
  it('replaces only what is between the markers', () => {
    const updated = replaceLatestRun(readme('| old | table |'), '| new | table |\n');
    expect(updated).toBe(readme('| new | table |'));
  });

  it('gives the same file when run twice with the same table', () => {
    const once = replaceLatestRun(readme('old'), 'new');
    expect(replaceLatestRun(once, 'new')).toBe(once);
  });

  it.each([
    ['no markers', '# Bench\n'],
    ['only the start marker', `${LATEST_RUN_START}\n`],
    ['the markers in the wrong order', `${LATEST_RUN_END}\n${LATEST_RUN_START}\n`],
    ['two start markers', `${LATEST_RUN_START}\n${LATEST_RUN_START}\n${LATEST_RUN_END}\n`],
    ['two end markers', `${LATEST_RUN_START}\n${LATEST_RUN_END}\n${LATEST_RUN_END}\n`],
  ])('refuses a file with %s instead of guessing where the table goes', (_case, text) => {
    expect(() => replaceLatestRun(text, 'table')).toThrow(/exactly one/);
  });

  it('writes the file it is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-readme-'));
    try {
      const file = join(dir, 'README.md');
      writeFileSync(file, readme('old'));
      await writeLatestRun('new', file);
      expect(readFileSync(file, 'utf8')).toBe(readme('new'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds exactly one marker pair in test/bench/README.md, so a full run can write its table there', () => {
    const text = readFileSync(BENCH_README, 'utf8');
    expect(() => replaceLatestRun(text, 'table')).not.toThrow();
    expect(BENCH_README).toMatch(/test[\\/]bench[\\/]README\.md$/);
  });
});
