import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root, resolved from this file so synth works from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const DEFAULT_FUNCTIONS_DIR = path.join(REPO_ROOT, 'functions');

/** `functions/<name>/handler.ts`: the fixed layout of every Lambda entry. */
export function handlerEntry(functionsDir: string, name: string): string {
  return path.join(functionsDir, name, 'handler.ts');
}
