import { randomBytes, randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import type { NewSessionFamily } from '../../lib/auth/session-ports.js';
import { loadConfig } from '../../lib/config.js';
import type { AccountNoticeMail, PatientRecord } from '../../lib/patient/ports.js';
import { testIdentifierDigests } from '../support/identifier-keys.js';
import { mailFor, patientFixture, tokenFor, uniqueEmail } from './patient-repository.contract.js';
import { NEW_HASH, changedNotice } from './password-write-fixtures.js';
import { usePlacedTables } from '../support/placed-tables.js';
import { clientWithInterlude } from '../support/racing-client.js';

// As deployed: the item families on their tables (lib/adapters/dynamodb/placement.ts).
await usePlacedTables();

const MINUTE = 60_000;
/** The password change's own transaction (its first item sets the new hash), or an email move's (it uses an EMAILMOVE# link first). */
const endsSessions = (command: unknown) => {
  if (!(command instanceof TransactWriteCommand)) return false;
  const first = command.input.TransactItems?.[0]?.Update;
  return String(first?.UpdateExpression).startsWith('SET password_hash = :next') || String((first?.Key as { pk?: string } | undefined)?.pk).startsWith('EMAILMOVE#');
};

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
  const racing = clientWithInterlude(db, endsSessions, async () => {
    const run = between;
    between = undefined; // once: the write's second round goes through
    await run?.();
  });
  const racingStorage = createDynamoStorage(racing, config, testIdentifierDigests());
  const racingRepository = racingStorage.repository;

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

  it('an email move: the sign-in\'s session ends with the others, the asking session is kept', async () => {
    const patient = await verifiedPatient();
    const asking = family(patient);
    expect(await storage.sessions.startFamily(asking)).toBe('started');
    const now = new Date();
    const newEmail = uniqueEmail();
    const tokenHash = randomBytes(32).toString('hex');
    const notice = (kind: AccountNoticeMail['notice']): AccountNoticeMail => ({ kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: kind, createdAt: now.toISOString() });
    expect(await storage.contactMoves.requestEmailMove({
      patientId: patient.id, newEmail, tokenHash, expiresAt: new Date(now.getTime() + 30 * MINUTE), keepSessionId: asking.familyId, now,
      link: { kind: 'email_move_email', id: randomUUID(), patientId: patient.id, to: newEmail, confirmUrl: 'https://app.clinic.test/me/email/confirm?token=x', createdAt: now.toISOString() },
      notice: notice('email_move_requested'),
    })).toBe(true);
    const slipped = family(patient);
    between = async () => { expect(await storage.sessions.startFamily(slipped)).toBe('started'); };
    expect(await racingStorage.contactMoves.confirmEmailMove({ tokenHash, patientId: patient.id, expectedEmail: patient.email, notice: notice('email_moved'), now: new Date() }))
      .toEqual({ outcome: 'moved', email: newEmail });
    expect(between).toBeUndefined();
    expect(await live(slipped)).toBe(false);
    expect(await live(asking)).toBe(true);
  });
});
