import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { InvalidAccessTokenError, PreconditionFailedError, PreconditionRequiredError, SignInRefusedError } from '../errors.js';
import { logger } from '../logging/logger.js';
import type { AuditRecorder, RequestContext } from '../auth/audit-recorder.js';
import type { VerifiedAccessToken } from '../auth/ports.js';
import { requireMultiFactor } from '../auth/step-up.js';
import { toView, type PatientView } from '../auth/read-own-record.js';
import type { AccountNoticeMail, Clock, EncryptedFields, FieldCipher, PatientRecord, PatientRepository, StoredProfile } from '../patient/ports.js';
import { normalizeContact } from '../patient/register-patient.js';
import { PROFILE_FIELDS, type ProfileFields, type ProfilePatch } from '../patient/registration-schema.js';
import { etagOf, matchesEtag } from './etag.js';
import { applyMergePatch } from './merge-patch.js';

export interface UpdateProfileDeps {
  repository: PatientRepository;
  cipher: FieldCipher;
  auditor: AuditRecorder;
  clock: Clock;
  /** The profile's rules (the registration's, from the one schema), judged on the merged result. */
  validateProfile: (profile: unknown, clock: Clock) => ProfileFields;
  /** The stage's REQUIRE_MFA: the record only for an AAL2 sign-in (issue 21). */
  requireMfa?: boolean;
}

export interface ProfileUpdateRequest {
  /** The If-Match header as sent; absent → 428. */
  ifMatch: string | undefined;
  /** The merge patch, its field names already checked (validateProfilePatch). */
  patch: ProfilePatch;
}

/** The fields whose change is mailed: a name or a date of birth changed by someone else is how an account is taken over. */
const NOTICED_FIELDS: readonly (keyof ProfileFields)[] = ['first_name', 'last_name', 'date_of_birth'];
/**
 * What a taken-back account's patient must confirm or correct (issue 20): a PATCH that names all five
 * (changed or not) clears profile_review_required; one that names only some leaves it set, because the
 * others would still be the registrant's, unconfirmed.
 */
export const REVIEWED_FIELDS: readonly (keyof ProfileFields)[] = ['first_name', 'last_name', 'date_of_birth', 'gender', 'address'];
/** The fields kept only as ciphertext under the patient's data key. */
const ENCRYPTED_FIELDS = ['medical_history', 'insurance_info'] as const;

/**
 * PATCH /me: the patient corrects their own record. Optimistic concurrency end to end: the client's
 * If-Match must name the version it read, and the write itself is conditional on the version this
 * request read, so of two corrections made from one read exactly one lands and the other gets 412
 * with the current ETag; nothing is ever half-written.
 */
export async function updateProfile(
  caller: VerifiedAccessToken, request: ProfileUpdateRequest, context: RequestContext, deps: UpdateProfileDeps,
): Promise<{ view: PatientView; etag: string }> {
  requireMultiFactor(caller, deps.requireMfa === true);
  if (request.ifMatch === undefined) throw new PreconditionRequiredError();
  const patient = await deps.repository.getPatient(caller.patientId);
  if (!patient) throw new InvalidAccessTokenError('unknown_subject');
  if (!patient.is_active) {
    await deps.auditor.record(context, { action: 'record_update', outcome: 'failure', reason: 'inactive', patientId: patient.id });
    throw new SignInRefusedError('inactive');
  }
  const current = await toView(patient, deps.cipher);
  const currentEtag = etagOf(current);
  if (!matchesEtag(request.ifMatch, currentEtag)) throw new PreconditionFailedError(currentEtag);

  const merged = deps.validateProfile(applyMergePatch(profileOf(current), request.patch), deps.clock);
  const next = storedProfileOf(merged);
  const changed = PROFILE_FIELDS.filter((field) => !isDeepStrictEqual(next[field] ?? undefined, profileOf(current)[field]));
  const reviewConfirmed = patient.profile_review_required === true && REVIEWED_FIELDS.every((field) => field in request.patch);
  if (changed.length === 0 && !reviewConfirmed) return { view: current, etag: currentEtag };

  const now = deps.clock.now();
  // The version must move even when the clock has not (two writes in one millisecond).
  const updatedAt = new Date(Math.max(now.getTime(), Date.parse(patient.updated_at) + 1)).toISOString();
  const encrypted = changed.some((field) => (ENCRYPTED_FIELDS as readonly string[]).includes(field)) ? await encrypt(patient.id, next, deps.cipher) : undefined;
  const notice = changed.some((field) => NOTICED_FIELDS.includes(field)) ? profileNotice(patient, now) : undefined;
  const { medical_history: _history, insurance_info: _insurance, ...profile } = next;
  const written = await deps.repository.updateProfile({
    patientId: patient.id, expectedUpdatedAt: patient.updated_at, updatedAt, profile, ...(encrypted !== undefined && { encrypted }), ...(notice && { notice }),
    ...(reviewConfirmed && { reviewConfirmed }),
  });
  if (!written) {
    // Another write landed between this request's read and its write: the client re-reads.
    const latest = await deps.repository.getPatient(patient.id);
    throw new PreconditionFailedError(latest ? etagOf(await toView(latest, deps.cipher)) : currentEtag);
  }
  await deps.auditor.record(context, { action: 'record_update', outcome: 'success', patientId: patient.id, fields: changed, ...(reviewConfirmed && { reason: 'review_confirmed' }) });
  logger.info('record updated', { outcome: 'success', patientId: patient.id, fields: changed });
  const view = viewAfter(current, next, updatedAt);
  if (reviewConfirmed) delete view.profile_review_required;
  return { view, etag: etagOf(view) };
}

/** The profile part of what GET /me shows, absent fields left out. */
function profileOf(view: PatientView): Partial<ProfileFields> & Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const field of PROFILE_FIELDS) if (view[field] !== undefined) picked[field] = view[field];
  return picked;
}

/** The validated profile in its stored form: the registration's normalization (country defaults to US, the contact's phone in E.164). */
function storedProfileOf(profile: ProfileFields): StoredProfile & Pick<ProfileFields, 'medical_history' | 'insurance_info'> {
  return {
    first_name: profile.first_name,
    last_name: profile.last_name,
    date_of_birth: profile.date_of_birth,
    gender: profile.gender,
    address: { ...profile.address, country: profile.address.country ?? 'US' },
    emergency_contact: profile.emergency_contact ? normalizeContact(profile.emergency_contact) : null,
    ...(profile.medical_history != null && { medical_history: profile.medical_history }),
    ...(profile.insurance_info != null && { insurance_info: profile.insurance_info }),
  };
}

/** Both encrypted fields as they now stand, under a fresh data key (the old one wrapped nothing else); null when none is left. */
async function encrypt(patientId: string, next: Pick<ProfileFields, 'medical_history' | 'insurance_info'>, cipher: FieldCipher): Promise<EncryptedFields | null> {
  const fields: Record<string, unknown> = {};
  for (const field of ENCRYPTED_FIELDS) if (next[field] !== undefined) fields[field] = next[field];
  return Object.keys(fields).length > 0 ? cipher.encryptFields(patientId, fields) : null;
}

function profileNotice(patient: PatientRecord, now: Date): AccountNoticeMail {
  return { kind: 'account_notice_email', id: randomUUID(), patientId: patient.id, to: patient.email, notice: 'profile_changed', createdAt: now.toISOString() };
}

function viewAfter(current: PatientView, next: ReturnType<typeof storedProfileOf>, updatedAt: string): PatientView {
  const { emergency_contact: contact, medical_history: history, insurance_info: insurance, ...rest } = next;
  const { emergency_contact: _c, medical_history: _h, insurance_info: _i, ...unchanged } = current;
  return {
    ...unchanged,
    ...rest,
    ...(contact && { emergency_contact: contact }),
    ...(history && { medical_history: history }),
    ...(insurance && { insurance_info: insurance }),
    updated_at: updatedAt,
  };
}
