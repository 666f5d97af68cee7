import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { SessionStore } from '../../lib/auth/session-ports.js';
import type { PatientRepository } from '../../lib/patient/ports.js';
import { mailFor, patientFixture, tokenFor } from './patient-repository.contract.js';
import { NEW_HASH } from './password-write-fixtures.js';


export interface HeldPasswordWrite {
  repository: PatientRepository;
  sessions: SessionStore;
  /**
   * A password write as the SQL stores' reset and change run it, on its own connection: the patient
   * row updated to `newHash` (so locked), then `whileHeld`, then the patient's families ended, commit.
   */
  holdPatientRow(patientId: string, newHash: string, whileHeld: () => Promise<void>): Promise<void>;
  /** How many of this database's statements wait for a row lock now (the server's own view). */
  lockWaits(): Promise<number>;
}

/**
 * Issue 19 item 3 on a SQL store, with real concurrent transactions: a sign-in's session start that
 * arrives while a password write holds the patient row waits for it (startFamily reads the row FOR
 * SHARE), then sees the new hash and is refused. Without the shared lock it would insert at once
 * under the old hash, after the write had read the families it ends, and live on.
 */
export async function expectSessionStartWaitsForHeldPasswordWrite(store: HeldPasswordWrite): Promise<void> {
  const patient = patientFixture({ email_verified: true });
  await store.repository.createPatient(patient, tokenFor(patient), mailFor(patient));
  const family = {
    familyId: randomUUID(), patientId: patient.id, tokenHash: randomBytes(32).toString('hex'), now: new Date(),
    idleTtlMs: 3_600_000, absoluteTtlMs: 7_200_000, credential: { passwordHash: patient.password_hash },
  };
  let settled = false;
  let start!: Promise<string>;
  await store.holdPatientRow(patient.id, NEW_HASH, async () => {
    start = store.sessions.startFamily(family).finally(() => { settled = true; });
    // The server reports the session start waiting on the held row: the event, not a sleep. Asked
    // every 150 ms: InnoDB refreshes its INNODB_TRX view only when it was last read over 100 ms ago,
    // so a faster poll would keep reading the first, empty answer.
    await expect.poll(() => store.lockWaits(), { timeout: 10_000, interval: 150 }).toBeGreaterThan(0);
    expect(settled).toBe(false);
  });
  expect(await start).toBe('refused');
  expect(await store.sessions.isLive(family, new Date())).toBe(false);
}
