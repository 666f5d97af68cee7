/**
 * The bench's latest table lives in test/bench/README.md between two markers: a full run replaces
 * what is between them and leaves the rest of the file (the prose about each row) alone.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const BENCH_README = fileURLToPath(new URL('./README.md', import.meta.url));
export const LATEST_RUN_START = '<!-- bench:latest-run:start -->';
export const LATEST_RUN_END = '<!-- bench:latest-run:end -->';

/** `readme` with the text between the markers replaced by `block`; refuses a file without exactly one pair. */
export function replaceLatestRun(readme: string, block: string): string {
  const start = readme.indexOf(LATEST_RUN_START);
  const end = readme.indexOf(LATEST_RUN_END);
  const once = (marker: string, at: number) => at >= 0 && readme.indexOf(marker, at + marker.length) < 0;
  if (!once(LATEST_RUN_START, start) || !once(LATEST_RUN_END, end) || end < start) {
    throw new Error(`the bench README must hold exactly one ${LATEST_RUN_START} … ${LATEST_RUN_END} pair, in that order`);
  }
  return `${readme.slice(0, start + LATEST_RUN_START.length)}\n${block.trim()}\n${readme.slice(end)}`;
}

export async function writeLatestRun(block: string, file = BENCH_README): Promise<void> {
  await writeFile(file, replaceLatestRun(await readFile(file, 'utf8'), block));
}
