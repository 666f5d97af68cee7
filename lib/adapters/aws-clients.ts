import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';

/** Dummy credentials for local stand-ins (DynamoDB Local, the SES emulator), only when none are configured. */
function localCredentials(endpoint: string | undefined) {
  const hasCredentials = process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE || process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  return endpoint && !hasCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {};
}

/**
 * A hung call must end as a 503 the client can retry, well before the Lambda timeout (10 s) cuts the
 * request off with a bare gateway error: 3 attempts of at most 2 s. The SDK's agents keep connections
 * alive by default.
 */
const requestHandler = { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true };

export type AwsClient = DynamoDBClient | KMSClient | SESClient;

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

/** Built once per process and reused by every invocation. */
export function createDynamoDocumentClient(config: Config): DynamoDBDocumentClient {
  const client = observed(new DynamoDBClient({
    region: config.region,
    maxAttempts: 3,
    requestHandler,
    ...(config.dynamodbEndpoint && { endpoint: config.dynamodbEndpoint }),
    ...localCredentials(config.dynamodbEndpoint),
  }));
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createKmsClient(config: Config): KMSClient {
  return observed(new KMSClient({ region: config.region, maxAttempts: 3, requestHandler }));
}

export function createSesClient(config: Config): SESClient {
  return observed(new SESClient({
    region: config.region,
    maxAttempts: 3,
    requestHandler,
    ...(config.sesEndpoint && { endpoint: config.sesEndpoint }),
    ...localCredentials(config.sesEndpoint),
  }));
}
