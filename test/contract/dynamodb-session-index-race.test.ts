import { randomBytes, randomUUID } from 'node:crypto';
import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import type { NewSessionFamily } from '../../lib/auth/session-ports.js';
import { loadConfig } from '../../lib/config.js';
import type { PasswordChangedMail, PatientRecord } from '../../lib/patient/ports.js';
import { testIdentifierDigests } from '../support/identifier-keys.js';
import { mailFor, patientFixture, tokenFor } from './patient-repository.contract.js';

const MINUTE = 60_000;
const NEW_HASH = '$2b$12$newnewnewnewnewnewnewuJ6bHpu0WjKlVq1Ff0cPh8O3AxYzZ9Ae';
const changedNotice = (patient: PatientRecord): PasswordChangedMail => ({
  kind: 'password_changed_email', id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: new Date().toISOString(), sessionsEnded: 'all',
});
/** The password change's own transaction: its first item sets the new hash on the patient. */
const isPasswordWrite = (command: unknown) =>
  command instanceof TransactWriteCommand && String(command.input.TransactItems?.[0]?.Update?.UpdateExpression).startsWith('SET password_hash = :next');

/**
 * Issue 19 item 3 on DynamoDB: a password write reads the patient's sessions, then commits; a sign-in
 * under the old password that commits in between (its own check of the hash still passes) must not
 * survive it. The write is conditioned on the sessions' version it read, which the sign-in moved: it is
 * refused and runs again on a fresh read, ending the new session too. `between` lands the sign-in exactly
 * between the write's read and its transaction.
 */
describe('DynamoDB: a sign-in between a password write\'s read of the sessions and its commit', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());
  const storage = createDynamoStorage(db, config, testIdentifierDigests());
  let between: (() => Promise<void>) | undefined;
  const racing = new Proxy(db, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (...args: Parameters<DynamoDBDocumentClient['send']>) => {
        if (between && isPasswordWrite(args[0])) {
          const run = between;
          between = undefined; // once: the write's second round goes through
          await run();
        }
        return target.send(...args);
      };
    },
  });
  const racingRepository = createDynamoStorage(racing, config, testIdentifierDigests()).repository;

  const family = (patient: PatientRecord): NewSessionFamily => ({
    familyId: randomUUID(), patientId: patient.id, tokenHash: randomBytes(32).toString('hex'), now: new Date(),
    idleTtlMs: 60 * MINUTE, absoluteTtlMs: 120 * MINUTE, credential: { passwordHash: patient.password_hash },
  });
  const verifiedPatient = async () => {
    const patient = patientFixture({ email_verified: true });
    await storage.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    return patient;
  };
  const live = (started: NewSessionFamily) => storage.sessions.isLive(started, new Date());

  it.each([
    ['with a session to end', true],
    ['with none yet (the index is only checked)', false],
  ])('%s: the sign-in\'s session ends with the others', async (_, hadSession) => {
    const patient = await verifiedPatient();
    const before = family(patient);
    if (hadSession) expect(await storage.sessions.startFamily(before)).toBe('started');
    const slipped = family(patient);
    between = async () => { expect(await storage.sessions.startFamily(slipped)).toBe('started'); };
    expect(await racingRepository.changePassword({ patientId: patient.id, expectedHash: patient.password_hash, passwordHash: NEW_HASH, notice: changedNotice(patient), now: new Date() })).toBe(true);
    expect(between).toBeUndefined(); // the sign-in did land in between
    expect(await live(slipped)).toBe(false);
    if (hadSession) expect(await live(before)).toBe(false);
    // And after it, the old password starts nothing.
    expect(await storage.sessions.startFamily(family(patient))).toBe('refused');
  });
});
