import { randomBytes, randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDynamoDocumentClient } from '../../lib/adapters/aws-clients.js';
import { createDynamoStorage } from '../../lib/adapters/dynamodb/storage.js';
import { loadConfig } from '../../lib/config.js';
import { ServiceUnavailableError } from '../../lib/errors.js';
import type { AccountNoticeMail, PatientRecord } from '../../lib/patient/ports.js';
import { testIdentifierDigests } from '../support/identifier-keys.js';
import { mailFor, patientFixture, tokenFor, uniqueEmail, uniquePhone } from './patient-repository.contract.js';
import { usePlacedTables } from '../support/placed-tables.js';
import { clientWithInterlude } from '../support/racing-client.js';

// As deployed: the item families on their tables (lib/adapters/dynamodb/placement.ts).
await usePlacedTables();

const MINUTE = 60_000;
const notice = (patient: PatientRecord, kind: AccountNoticeMail['notice']): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: kind, createdAt: new Date().toISOString(),
});
/** The email move's own transaction: it uses an EMAILMOVE# link first. */
const isMoveWrite = (command: unknown) =>
  command instanceof TransactWriteCommand && String((command.input.TransactItems?.[0]?.Update?.Key as { pk?: string } | undefined)?.pk).startsWith('EMAILMOVE#');

/**
 * Issue 20, email move: a confirmation whose write meets a concurrent change of the patient that leaves
 * the move possible (a phone move replaces reservation_pks, which the write is conditioned on) is
 * judged again and moves, as on PostgreSQL and MySQL, where it waits for the row lock and goes ahead.
 * `between` runs the concurrent write exactly between the confirmation's reads and its transaction.
 */
describe('DynamoDB email move meeting a concurrent change of the patient', () => {
  const config = loadConfig();
  const db = createDynamoDocumentClient(config);
  afterAll(() => db.destroy());
  const storage = createDynamoStorage(db, config, testIdentifierDigests());
  let between: (() => Promise<void>) | undefined;
  let betweenRuns = 0;
  // The same client, except that the email move's transaction lets `between` land first.
  const racing = clientWithInterlude(db, isMoveWrite, async () => {
    if (!between) return;
    betweenRuns++;
    await between();
  });
  const racingMoves = createDynamoStorage(racing, config, testIdentifierDigests()).contactMoves;

  async function pendingMove() {
    const patient = patientFixture({ email_verified: true });
    await storage.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
    const now = new Date();
    const newEmail = uniqueEmail();
    const tokenHash = randomBytes(32).toString('hex');
    expect(await storage.contactMoves.requestEmailMove({
      patientId: patient.id, newEmail, tokenHash, expiresAt: new Date(now.getTime() + 30 * MINUTE), now,
      link: { kind: 'email_move_email', id: randomUUID(), patientId: patient.id, to: newEmail, confirmUrl: 'https://app.clinic.test/me/email/confirm?token=x', createdAt: now.toISOString() },
      notice: notice(patient, 'email_move_requested'),
    })).toBe(true);
    return { patient, newEmail, tokenHash };
  }
  /** A phone move of the patient, through the store, to a fresh number: it replaces reservation_pks. */
  async function movePhone(patient: PatientRecord) {
    const now = new Date();
    const newPhone = uniquePhone();
    const digest = `v1.${randomBytes(32).toString('hex')}`;
    await storage.phoneCodes.issueCode(
      { patientId: patient.id, codeId: randomUUID(), digest, expiresAt: new Date(now.getTime() + 10 * MINUTE), createdAt: now, newPhone },
      { kind: 'phone_code_sms', id: randomUUID(), patientId: patient.id, to: newPhone, text: '123456 is your code', createdAt: now.toISOString() },
    );
    const moved = await storage.phoneCodes.attemptMoveCode(patient.id, [digest], now, 5, { notice: notice(patient, 'phone_moved'), takenOverNotice: (holder) => ({ ...notice(patient, 'phone_number_taken_over'), patientId: holder.id, to: holder.email }) });
    expect(moved).toEqual({ outcome: 'verified' });
    return newPhone;
  }
  const confirm = (patient: PatientRecord, tokenHash: string) =>
    racingMoves.confirmEmailMove({ tokenHash, patientId: patient.id, expectedEmail: patient.email, notice: notice(patient, 'email_moved'), now: new Date() });

  it('a phone move landing between the read and the write: the email still moves, and both changes stay', async () => {
    const { patient, newEmail, tokenHash } = await pendingMove();
    let newPhone = '';
    betweenRuns = 0;
    between = async () => {
      between = undefined;
      newPhone = await movePhone(patient);
    };
    expect(await confirm(patient, tokenHash)).toEqual({ outcome: 'moved', email: newEmail });
    expect(betweenRuns).toBe(1);
    expect(await storage.repository.findCredentials(newEmail)).toMatchObject({ id: patient.id });
    expect(await storage.repository.findCredentials(patient.email)).toBeUndefined();
    expect(await storage.repository.getPatient(patient.id)).toMatchObject({ email: newEmail, phone_number: newPhone });
    expect(await storage.repository.findTakenIdentifiers(newEmail, newPhone)).toEqual({ email: true, phone: true });
    expect(await storage.repository.findTakenIdentifiers(patient.email, patient.phone_number)).toEqual({ email: false, phone: false });
  });

  it('judged again a bounded number of times: a patient changed before every write is a 503 to retry, nothing moved, the link still usable', async () => {
    const { patient, tokenHash } = await pendingMove();
    betweenRuns = 0;
    between = async () => {
      await movePhone(patient);
    };
    await expect(confirm(patient, tokenHash)).rejects.toBeInstanceOf(ServiceUnavailableError);
    between = undefined;
    expect(betweenRuns).toBe(3);
    expect((await storage.repository.getPatient(patient.id))!.email).toBe(patient.email);
    expect(await storage.contactMoves.emailMoveLink(tokenHash, new Date())).toEqual({ state: 'usable', patientId: patient.id });
  });
});
