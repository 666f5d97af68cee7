import { randomUUID } from 'node:crypto';
import type { AccountNoticeMail, PasswordChangedMail, PatientRecord } from '../../lib/patient/ports.js';

/** What the contract files' password writes store as the new hash: any bcrypt-shaped value that is not a fixture's. */
export const NEW_HASH = '$2b$12$newnewnewnewnewnewnewuJ6bHpu0WjKlVq1Ff0cPh8O3AxYzZ9Ae';

/** The notice a password change queues (every session ended). */
export const changedNotice = (patient: PatientRecord): PasswordChangedMail => ({
  kind: 'password_changed_email', id: randomUUID(), patientId: patient.id, to: patient.email, firstName: patient.first_name, createdAt: new Date().toISOString(), sessionsEnded: 'all',
});

/** The notice a close queues. */
export const closedNotice = (patient: PatientRecord): AccountNoticeMail => ({
  kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: 'account_closed', createdAt: new Date().toISOString(),
});
