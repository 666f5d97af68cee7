import { defineConfig } from 'vitest/config';

/** The integration project's files; test/iam checks that a recording came from each of them. */
export const INTEGRATION_INCLUDE = ['test/integration/**/*.test.ts', 'test/contract/**/*.test.ts'];

export default defineConfig({
  test: {
    // Logs at WARN keep test output readable; the log canary test turns INFO and DEBUG back on.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN' },
    // bcrypt at cost 12 is CPU-bound on a 2-core machine: one worker per core, no oversubscription.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          // The storage contract runs per adapter: DynamoDB Local (this setup), and a PostgreSQL
          // server, embedded PGlite and a MariaDB server, each started by its own test file.
          include: INTEGRATION_INCLUDE,
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/integration-env.ts', 'test/support/record-aws-calls.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Runs `npm run bench -- --smoke` (DynamoDB Local, one process): every row prints; timings are not checked.
        extends: true,
        test: { name: 'bench', include: ['test/bench/**/*.test.ts'], testTimeout: 180_000 },
      },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000 },
      },
      {
        // Compares each function's IAM grants with the AWS calls the integration project recorded
        // (test/support/record-aws-calls.ts), so it runs after every group-0 project has finished.
        extends: true,
        test: {
          name: 'iam',
          include: ['test/iam/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
