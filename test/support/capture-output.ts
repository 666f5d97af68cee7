import { afterAll, beforeAll, vi } from 'vitest';
import { logger } from '../../lib/logging/logger.js';

/** Canary values: if any of them shows up in captured output or storage, patient data leaked. */
export const CANARY = {
  password: 'Canary#Pass-91xQ',
  medical: 'Canary-Condition-Zebra-4417',
  provider: 'Canary Mutual Insurance',
  policy: 'CANARY-POLICY-7788',
  lastName: 'Canarysson',
};

export function canaryOverrides() {
  return {
    last_name: CANARY.lastName,
    password: CANARY.password,
    confirm_password: CANARY.password,
    medical_history: [CANARY.medical],
    insurance_info: { provider: CANARY.provider, policy_number: CANARY.policy },
  };
}

/** Captures everything written to stdout/stderr by this test file, with the logger at DEBUG. */
export function captureOutput(): { text(): string; reset(): void } {
  let output = '';
  const capture = (stream: NodeJS.WriteStream) =>
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as never);
  beforeAll(() => {
    logger.setLogLevel('DEBUG');
    // injectLambdaContext puts the configured level (POWERTOOLS_LOG_LEVEL) back at each invocation: keep DEBUG.
    vi.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
    capture(process.stdout);
    capture(process.stderr);
  });
  afterAll(() => {
    vi.restoreAllMocks();
    logger.setLogLevel('WARN');
  });
  return { text: () => output, reset: () => { output = ''; } };
}
