import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FUNCTION_RUNTIME } from '../../infra/constructs/function-bundling.js';

// Lambda's runtime name is "nodejs<major>.x": the tests, npm start and the bench must run on that major
// (the `node` dev dependency puts its binary first on PATH inside npm scripts).
const lambdaMajor = Number(/^nodejs(\d+)\.x$/.exec(FUNCTION_RUNTIME.name)?.[1]);
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('the toolchain is the Node that production runs', () => {
  it('the Lambda runtime names a Node major', () => {
    expect(lambdaMajor).toBeGreaterThanOrEqual(24);
  });

  it('this test process runs on the Lambda runtime major', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(lambdaMajor);
  });

  it('the node dev dependency and .nvmrc pin the same major', () => {
    expect(Number(String(pkg.devDependencies.node).split('.')[0])).toBe(lambdaMajor);
    expect(Number(readFileSync(new URL('../../.nvmrc', import.meta.url), 'utf8').trim().split('.')[0])).toBe(lambdaMajor);
  });

  it('npm ci still installs on the oldest supported Node (engines stays at 20.19)', () => {
    expect(pkg.engines.node).toBe('>=20.19');
  });
});
