import { rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startSesEmulator } from '../../lib/local/services.js';
import { startSmsInbox } from '../../lib/local/sms-inbox.js';
import { AWS_CALLS_DIR } from './aws-calls.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sesEndpoint: string;
    smsEndpoint: string;
  }
}

/** One DynamoDB Local, one SES emulator and one SMS inbox for the whole run; each test file gets its own table. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Each run records afresh (test/support/record-aws-calls.ts): no call from an older run counts.
  rmSync(AWS_CALLS_DIR, { recursive: true, force: true });
  const [dynamo, ses, sms] = await Promise.all([startDynamoDbLocal(), startSesEmulator(), startSmsInbox()]);
  project.provide('dynamodbEndpoint', dynamo.endpoint);
  project.provide('sesEndpoint', ses.endpoint);
  project.provide('smsEndpoint', sms.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), ses.stop(), sms.stop()]);
  };
}
