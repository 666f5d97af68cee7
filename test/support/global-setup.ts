import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startSesEmulator } from '../../lib/local/services.js';
import { AWS_CALLS_DIR } from './aws-calls.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sesEndpoint: string;
  }
}

/** One DynamoDB Local and one SES emulator for the whole run; each test file gets its own table. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Each run records afresh (test/support/record-aws-calls.ts): no call from an older run counts.
  rmSync(AWS_CALLS_DIR, { recursive: true, force: true });
  const [dynamo, ses] = await Promise.all([startDynamoDbLocal(), startSesEmulator()]);
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  project.provide('sesEndpoint', ses.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), ses.stop()]);
  };
}
