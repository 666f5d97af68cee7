import { BatchGetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegisterHandler } from '../../functions/register/handler.js';
import { createEnvelopeFieldCipher } from '../../lib/adapters/crypto/envelope-field-cipher.js';
import { createDynamoPatientRepository } from '../../lib/adapters/dynamodb/patient-repository.js';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { createKmsDataKeySource } from '../../lib/adapters/kms/kms-data-key-source.js';
import { loadConfig } from '../../lib/config.js';
import { createRegisterDeps } from '../../lib/wiring.js';
import { CANARY, canaryOverrides, captureOutput } from '../support/capture-output.js';
import { awaitMails, documentClient, scanTable } from '../support/local-aws.js';
import { apiEvent, invoke, uniqueRegistration } from '../support/requests.js';
import { useOutboxStream } from '../support/outbox-stream.js';

useOutboxStream(); // the outbox mailer on this file's table stream, as npm start and AWS run it

/**
 * Dependencies failing under a registration: the client gets 503 with Retry-After, nothing is
 * written or reserved, and a later attempt with the same data succeeds. Faults a local stand-in
 * cannot produce on demand (throttling, KMS) are injected into real SDK clients.
 */
const output = captureOutput();
const config = loadConfig(process.env, ['encryption', 'mail']);
const deps = createRegisterDeps(config);
const healthy = createRegisterHandler(deps);

const kmsFault = (fault: Record<string, unknown>) => {
  const kms = new KMSClient({ region: 'us-east-1', maxAttempts: 1 });
  mockClient(kms).on(GenerateDataKeyCommand).rejects(Object.assign(new Error('kms fault'), fault));
  return { ...deps, cipher: createEnvelopeFieldCipher(createKmsDataKeySource(kms, 'arn:aws:kms:us-east-1:111122223333:key/k')) };
};

/** DynamoDB that answers the uniqueness check but throttles the write, past the SDK's own retries. */
const throttledWrites = () => {
  const db = createDynamoDocumentClient(config);
  const mock = mockClient(db);
  mock.on(BatchGetCommand).callsFake((input) => documentClient.send(new BatchGetCommand(input)));
  mock.on(TransactWriteCommand).rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException', $fault: 'client' }));
  return { ...deps, repository: createDynamoPatientRepository(db, config.tableName, deps.identifiers, config) };
};

/** DynamoDB that accepts connections and never answers: the request timeout must end it. */
const hungServer = createServer(() => undefined);
await new Promise<void>((resolve) => hungServer.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => { hungServer.closeAllConnections(); hungServer.close(() => resolve()); }));
const hungDynamo = () => {
  const db = createDynamoDocumentClient({ ...config, dynamodbEndpoint: `http://127.0.0.1:${(hungServer.address() as AddressInfo).port}` });
  return { ...deps, repository: createDynamoPatientRepository(db, config.tableName, deps.identifiers, config) };
};

/** DynamoDB that does not answer at all: a closed port, over the real SDK and its retries. */
const unreachableDynamo = () => {
  const db = createDynamoDocumentClient({ ...config, dynamodbEndpoint: 'http://127.0.0.1:9' });
  return { ...deps, repository: createDynamoPatientRepository(db, config.tableName, deps.identifiers, config) };
};

describe.each([
  ['KMS throttled', () => kmsFault({ name: 'ThrottlingException', $fault: 'client' })],
  ['KMS unavailable', () => kmsFault({ name: 'KMSInternalException', $fault: 'server' })],
  ['DynamoDB throttling the write', throttledWrites],
  ['DynamoDB unreachable', unreachableDynamo],
  ['DynamoDB hanging (no answer within the request timeout)', hungDynamo],
])('%s', (_name, faultyDeps) => {
  it('answers 503 with Retry-After, writes and reserves nothing; the same registration succeeds later', async () => {
    const body = uniqueRegistration(canaryOverrides());
    await awaitMails(body.email, 0); // the earlier registrations' mails are sent: the table holds still
    const before = await scanTable();

    const response = await invoke(createRegisterHandler(faultyDeps()), apiEvent(body));

    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBe('5');
    expect(response.body).toEqual({ success: false, message: 'The service is temporarily unavailable. Please retry shortly.' });
    expect(await awaitMails(body.email, 0)).toHaveLength(0);
    expect(await scanTable()).toEqual(before);

    expect((await invoke(healthy, apiEvent(body))).statusCode).toBe(201);
  });
});

describe('logs under faults', () => {
  it('name the failure, never the patient', () => {
    const text = output.text();
    expect(text).toContain('"statusCode":503');
    for (const secret of Object.values(CANARY)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/@email\.com/);
  });
});
