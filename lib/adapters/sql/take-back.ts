import type { TakenBack } from '../../patient/ports.js';

/**
 * A taken-back account (issue 20) in SQL, the same in PostgreSQL and MySQL: what the reset's locked
 * read of the patient must see, and the assignments that delete what the registrant typed.
 */
export const TAKE_BACK_COLUMNS = 'email_verified, phone_verified, phone_number_released, '
  + 'medical_history_ciphertext IS NOT NULL AS has_medical_history, insurance_info_ciphertext IS NOT NULL AS has_insurance_info, '
  + 'emergency_contact_name IS NOT NULL AS has_emergency_contact';

export interface TakeBackRow {
  email_verified: unknown;
  phone_verified: unknown;
  phone_number_released: unknown;
  has_medical_history: unknown;
  has_insurance_info: unknown;
  has_emergency_contact: unknown;
}

/** MySQL answers 0/1, PostgreSQL booleans. */
const yes = (value: unknown) => value === true || Number(value) === 1;

/** What a reset of this (locked) patient takes back: nothing once the email was verified. */
export function takeBackOf(row: TakeBackRow): TakenBack | undefined {
  if (yes(row.email_verified)) return undefined;
  const deleted: TakenBack['deleted'] = [];
  if (yes(row.has_medical_history)) deleted.push('medical_history');
  if (yes(row.has_insurance_info)) deleted.push('insurance_info');
  if (yes(row.has_emergency_contact)) deleted.push('emergency_contact');
  return { deleted, phoneReleased: !yes(row.phone_verified) && !yes(row.phone_number_released) };
}

/** The ciphertexts and their data key removed (NULL, not blanked), the contact gone, the review asked for; the number released if unproven. */
export function takeBackAssignments(takenBack: TakenBack): string {
  return [
    'medical_history_ciphertext = NULL', 'insurance_info_ciphertext = NULL', 'phi_key_id = NULL', 'phi_wrapped_key = NULL',
    'emergency_contact_name = NULL', 'emergency_contact_phone = NULL', 'emergency_contact_relationship = NULL',
    'profile_review_required = TRUE',
    ...(takenBack.phoneReleased ? ['phone_number_released = TRUE'] : []),
  ].join(', ');
}
