import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The arrows between lib/ folders that must point one way (issue 19 item 14), read from the source:
 * every relative import and re-export, `import type` included (a type import still couples a layer
 * to the one it names).
 */
const LIB = path.resolve('lib');
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

interface Edge {
  from: string;
  to: string;
}

/** Every import of one lib/ module by another, as repository-relative paths. */
function libImports(): Edge[] {
  const edges: Edge[] = [];
  for (const file of readdirSync(LIB, { recursive: true, encoding: 'utf8' })) {
    if (!/\.(ts|js)$/.test(file)) continue;
    const source = readFileSync(path.join(LIB, file), 'utf8');
    for (const match of source.matchAll(IMPORT)) {
      const target = path.relative(LIB, path.resolve(LIB, path.dirname(file), (match[1] ?? match[2])!));
      if (!target.startsWith('..')) edges.push({ from: `lib/${file}`, to: `lib/${target}` });
    }
  }
  return edges;
}

const under = (dir: string) => (file: string) => file.startsWith(`lib/${dir}/`);
const describeEdges = (edges: Edge[]) => edges.map(({ from, to }) => `${from} → ${to}`).sort();

/** Folders of the domain: use cases, their ports and what they compose. None of them knows HTTP. */
const DOMAIN = ['patient', 'auth', 'password', 'phone', 'outbox', 'idempotency', 'audit', 'identifiers', 'rate-limit', 'sms', 'mail', 'validation'];

describe('layering: arrows between lib/ folders point one way', () => {
  const edges = libImports();

  it('reads the imports it judges (the scan is not vacuous)', () => {
    expect(edges.some((e) => e.from === 'lib/patient/validators.ts' && e.to === 'lib/validation/precompiled.js')).toBe(true);
    expect(edges.some((e) => e.from === 'lib/idempotency/idempotent.ts' && e.to === 'lib/identifiers/ports.js')).toBe(true);
  });

  it('lib/validation sits below the use cases: it imports nothing of lib/ but itself and lib/errors', () => {
    const upward = edges.filter((e) => under('validation')(e.from) && !under('validation')(e.to) && e.to !== 'lib/errors.js');
    expect(describeEdges(upward), 'pass what the domain knows (keywords, server-owned fields) in as arguments').toEqual([]);
  });

  it('the domain knows no HTTP: no domain folder imports lib/http', () => {
    const http = edges.filter((e) => DOMAIN.some((dir) => under(dir)(e.from)) && under('http')(e.to));
    expect(describeEdges(http), 'return plain values; the handler or lib/http makes the response').toEqual([]);
  });
});
