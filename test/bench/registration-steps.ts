/**
 * Where a registration's time goes beyond its hash (issue 23 item 6): the register handler as the
 * local server runs it (same dependencies: the same hashing pool, store and local key), invoked in
 * process with each dependency's calls timed. Steps: validation (the generated validator alone),
 * the pre-check reads, the hash, the data key and encryption (alongside the hash), the transaction,
 * the rest of the handler (middy chain, idempotency-free path, response), and HTTP (the HTTP row's
 * median minus the in-process total).
 */
import type { Context } from 'aws-lambda';
import { loadConfig } from '../../lib/config.js';
import { validateRegistration } from '../../lib/patient/generated/register.js';
import { apiEvent, uniqueRegistration } from '../support/requests.js';
import { summarize, timed, type Summary } from './stats.js';

export const STEPS = ['validation', 'pre-check reads', 'hash', 'data key + encryption', 'transaction', 'rest of the handler', 'handler in process'] as const;
export type Step = (typeof STEPS)[number];

/** The object with each named method timed into `samples[step]` (one sample per call). */
function timedMethods<T extends object>(target: T, steps: Partial<Record<keyof T, Step>>, samples: Record<Step, number[]>): T {
  return new Proxy(target, {
    get(object, property) {
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const step = steps[property as keyof T];
      if (!step) return value.bind(object);
      return async (...args: unknown[]) => {
        const { value: result, ms } = await timed(() => value.apply(object, args) as Promise<unknown>);
        samples[step].push(ms);
        return result;
      };
    },
  });
}

const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 15_000 } as unknown as Context;

export async function registrationSteps(count: number): Promise<Record<Step, Summary>> {
  // Imported once the local stack has set the environment: the handler module builds its dependencies at load.
  const { createRegisterHandler } = await import('../../functions/register/handler.js');
  const { createRegisterDeps } = await import('../../lib/wiring.js');
  const deps = createRegisterDeps(loadConfig(process.env, ['encryption', 'mail', 'identifiers']));
  const samples = Object.fromEntries(STEPS.map((step) => [step, [] as number[]])) as Record<Step, number[]>;
  const handler = createRegisterHandler({
    ...deps,
    repository: timedMethods(deps.repository, { findTakenIdentifiers: 'pre-check reads', createPatient: 'transaction' }, samples),
    hasher: timedMethods(deps.hasher, { hash: 'hash' }, samples),
    cipher: timedMethods(deps.cipher, { encryptFields: 'data key + encryption' }, samples),
  });
  for (let i = 0; i < count; i++) {
    const body = uniqueRegistration();
    samples.validation.push((await timed(async () => validateRegistration(structuredClone(body), deps.clock))).ms);
    const { value: result, ms } = await timed(() => handler(apiEvent(body), context));
    if (result.statusCode !== 201) throw new Error(`registration steps: expected 201, got ${result.statusCode} ${result.body}`);
    samples['handler in process'].push(ms);
    const at = samples['handler in process'].length - 1;
    // The hash and the encryption run side by side: the longer of the two is on the path.
    const onPath = samples['pre-check reads'][at]! + Math.max(samples.hash[at]!, samples['data key + encryption'][at] ?? 0) + samples.transaction[at]!;
    samples['rest of the handler'].push(ms - onPath);
  }
  return Object.fromEntries(STEPS.map((step) => [step, summarize(samples[step])])) as Record<Step, Summary>;
}
