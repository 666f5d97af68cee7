import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import { placeTables } from './dynamodb/placement.js';

/** Dummy credentials for local stand-ins (DynamoDB Local, the SES emulator, the SMS inbox), only when none are configured. */
function localCredentials(endpoint: string | undefined) {
  const hasCredentials = process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  return endpoint && !hasCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {};
}

/**
 * A hung call must end as a 503 the client can retry before the Lambda timeout cuts the request off
 * with a bare gateway error: 3 attempts, each cut off after 2 s (1 s to connect). The SDK's agents
 * keep connections alive by default.
 */
export const SDK_MAX_ATTEMPTS = 3;
export const SDK_CONNECTION_TIMEOUT_MS = 1_000;
/** Counted from the start of each attempt, connecting included (@smithy/node-http-handler). */
export const SDK_REQUEST_TIMEOUT_MS = 2_000;
/**
 * The SDK's longest wait between attempts: throttling back-off is random up to 1 s × 2^retry
 * (@smithy/core util-retry, `Retry.throttlingDelay`); other errors wait less (50 ms base).
 */
const maxBackoffMs = (retry: number) => 1_000 * 2 ** retry;
/**
 * How long one SDK call can take at worst before it gives up: every attempt runs into its request
 * timeout and every wait between them is the longest throttling back-off. Each API function's
 * timeout must exceed it (checked by test/infra/stateless-stack.test.ts).
 */
export const SDK_CALL_WORST_CASE_MS =
  SDK_MAX_ATTEMPTS * SDK_REQUEST_TIMEOUT_MS +
  Array.from({ length: SDK_MAX_ATTEMPTS - 1 }, (_, retry) => maxBackoffMs(retry)).reduce((a, b) => a + b, 0);

const requestHandler = { connectionTimeout: SDK_CONNECTION_TIMEOUT_MS, requestTimeout: SDK_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true };

export type AwsClient = DynamoDBClient | KMSClient | SESClient | PinpointSMSVoiceV2Client;

/**
 * Test-only seam: the integration suite registers an observer that puts a recording middleware on
 * every client built here, to compare the calls each function's code really makes with its IAM
 * grants (test/iam). Production never registers one, so the clients are exactly as built.
 */
let clientObserver: ((client: AwsClient) => void) | undefined;
export function observeAwsClients(observer: ((client: AwsClient) => void) | undefined): void {
  clientObserver = observer;
}
function observed<T extends AwsClient>(client: T): T {
  clientObserver?.(client);
  return client;
}

/**
 * Built once per process and reused by every invocation. Each command goes to its item's table
 * (lib/adapters/dynamodb/placement.ts): the stores name the patient table only.
 */
export function createDynamoDocumentClient(config: Config): DynamoDBDocumentClient {
  const client = observed(new DynamoDBClient({
    region: config.region,
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler,
    ...(config.dynamodbEndpoint && { endpoint: config.dynamodbEndpoint }),
    ...localCredentials(config.dynamodbEndpoint),
  }));
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  placeTables(documents, config);
  return documents;
}

export function createKmsClient(config: Config): KMSClient {
  return observed(new KMSClient({ region: config.region, maxAttempts: SDK_MAX_ATTEMPTS, requestHandler }));
}

export function createSesClient(config: Config): SESClient {
  return observed(new SESClient({
    region: config.region,
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler,
    ...(config.sesEndpoint && { endpoint: config.sesEndpoint }),
    ...localCredentials(config.sesEndpoint),
  }));
}

/** AWS End User Messaging SMS (the pinpoint-sms-voice-v2 API); locally the SMS inbox at SMS_ENDPOINT. */
export function createSmsClient(config: Config): PinpointSMSVoiceV2Client {
  return observed(new PinpointSMSVoiceV2Client({
    region: config.region,
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler,
    ...(config.smsEndpoint && { endpoint: config.smsEndpoint }),
    ...localCredentials(config.smsEndpoint),
  }));
}
