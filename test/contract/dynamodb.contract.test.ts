import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import { loadConfig } from '../../lib/config.js';
import type { PatientRecord } from '../../lib/patient/ports.js';
import { describeStorageContract } from './patient-repository.contract.js';

/** The inverse of toPatientItem: key and bookkeeping attributes dropped, ciphertexts and phi_key folded back. */
function fromPatientItem(item: Record<string, any>): PatientRecord {
  const { pk, sk, entity, phi_key, email_verified_at, verification_token_hash, medical_history, insurance_info, ...fields } = item;
  const ciphertexts = { ...(medical_history && { medical_history }), ...(insurance_info && { insurance_info }) };
  return {
    ...(fields as PatientRecord),
    ...(phi_key && { encrypted: { keyId: phi_key.key_id, wrappedKey: phi_key.wrapped_key, ciphertexts } }),
  };
}

// DynamoDB Local and this file's table come from the integration setup (global-setup.ts, integration-env.ts).
describeStorageContract('DynamoDB (DynamoDB Local)', async () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  return {
    ...createDynamoStorage(db, config.tableName),
    async readPatient(id) {
      const { Item } = await db.send(new GetCommand({ TableName: config.tableName, Key: keys.patient(id), ConsistentRead: true }));
      return Item && fromPatientItem(Item);
    },
    cleanup: async () => db.destroy(),
  };
});
