import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DuplicateRegistrationError, PhoneClaimCodeError, ServiceUnavailableError } from '../../errors.js';
import type { IdentifierDigests } from '../../identifiers/ports.js';
import type {
  LinkKind, LinkState, PasswordReset, PatientContact, PatientCredentials, PatientRecord, PatientRepository, PhoneTakeover, ProfileWrite, TakenBack, TokenConsumption, VerificationTokenRecord,
} from '../../patient/ports.js';
import { callAws } from '../aws-errors.js';
import { keys, TTL_ATTRIBUTE } from './keys.js';
import type { OutboxItem } from '../../outbox/ports.js';
import { outboxItem } from './outbox-store.js';
import { endFamiliesWrites, retryingSessionChanges } from './session-store.js';
import { takeOverPhoneWrites } from './phone-takeover.js';
import { epochSeconds, fromPatientItem, hasLapsed, lapseTtl, toPatientItem } from './patient-item.js';

/** Used and expired tokens stay a week so a late click still gets "expired"/"used", then TTL removes them. */
const TOKEN_RETENTION_SECONDS = 7 * 24 * 3600;

export interface DynamoRepositoryOptions {
  /** The outbox due index's shard count (OUTBOX_SHARDS): the mails this repository writes land in one by id. */
  outboxShards: number;
  /** Attempts for a transaction cancelled by a conflicting one (not for throttling: the SDK retries that). */
  maxTransactionAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Where each kind of mailed link lives: its token item, and the patient attribute naming the newest one. */
interface MailboxLink {
  tokenKey: (tokenHash: string) => { pk: string; sk: string };
  newestAttribute: 'verification_token_hash' | 'reset_token_hash';
  /** The link's seed and expiry on the patient, forgotten with its use: a used link is never sent again. */
  linkAttributes: string;
}
/** Where the patient keeps its newest links' seeds and expiries (lib/patient/link-token.ts), to send them again. */
const VERIFICATION_LINK = 'verification_link_seed, verification_link_expires_at';
const RESET_LINK = 'reset_link_seed, reset_link_expires_at';
/** The patient's pointer to its newest email-move link (contact-moves.ts): without it every move link reads "superseded". */
const PENDING_EMAIL_MOVE = 'email_move_token_hash';
const MAILBOX_LINKS: Record<LinkKind, MailboxLink> = {
  verification: { tokenKey: keys.verificationToken, newestAttribute: 'verification_token_hash', linkAttributes: VERIFICATION_LINK },
  reset: { tokenKey: keys.resetToken, newestAttribute: 'reset_token_hash', linkAttributes: RESET_LINK },
};

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const RETRYABLE_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
const reasonCodes = (error: TransactionCanceledException) => (error.CancellationReasons ?? []).map((r) => r.Code);

/** The store's own clock, for the methods that take no `now`: what TTL and lapse are judged by. */
const nowSeconds = () => epochSeconds(new Date());
const TTL_NAME = { '#ttl': TTL_ATTRIBUTE };
/** A patient id no registration is given (random v4 ids never are all zeros). */
const NO_PATIENT = '00000000-0000-4000-8000-000000000000';
/** An item that has not lapsed: no TTL (verified, or no lapse) or one still ahead of :nowSeconds. */
const NOT_LAPSED = '(attribute_not_exists(#ttl) OR #ttl > :nowSeconds)';
/** A reservation (or patient key) that is free: never written, or written by a registration that lapsed. */
const FREE = 'attribute_not_exists(pk) OR #ttl <= :nowSeconds';

/**
 * Reservation items are keyed by a keyed digest of the email and phone, never the values: keys end
 * up in CloudTrail data events and error reports. During a key rotation a reservation may still
 * sit under an older version, so lookups try every version and a new patient's transaction checks
 * that none exists.
 *
 * An unverified registration's patient, reservation and outbox mail items carry a TTL at lapses_at;
 * TTL deletes them some time (up to days) after it, so until then every read and condition here
 * treats an item whose TTL has passed as absent, and a new registration takes its reservations over.
 * Verifying the email removes the TTL from the patient and its reservations.
 */


/** More of a consumed link's patient write: set, removed, conditioned on what was read, and its own writes. */
interface PatientChange {
  set: string[];
  remove: string[];
  condition: string;
  values: Record<string, unknown>;
  writes: object[];
  /** A reservation (pk) the change deletes among `writes`: not to be kept by the same transaction. */
  dropsReservation?: string;
  takenBack?: TakenBack;
}

/** What a reset reads of its patient to judge a taken-back account (issue 20). */
const TAKE_BACK_READ = ', email_verified, phone_verified, phone_number_released, medical_history, insurance_info, emergency_contact';

/**
 * A reset of a never-verified registration (issue 20, taken-back accounts): the ciphertexts, their
 * data key and the emergency contact removed, the review asked for, and an unproven number released
 * (flagged, its reservation deleted and dropped from reservation_pks), conditioned on the state read.
 */
function takeBackChange(tableName: string, patient: Record<string, any>, patientId: string): PatientChange | undefined {
  if (patient.email_verified === true) return undefined;
  const deleted: TakenBack['deleted'] = [];
  for (const field of ['medical_history', 'insurance_info', 'emergency_contact'] as const) if (patient[field] !== undefined) deleted.push(field);
  const pks: string[] = patient.reservation_pks ?? [];
  const phoneIndex = pks.findIndex((pk) => pk.startsWith('PHONE#'));
  const phoneReleased = patient.phone_verified !== true && patient.phone_number_released !== true;
  const phonePk = phoneReleased && phoneIndex >= 0 ? pks[phoneIndex] : undefined;
  return {
    set: ['profile_review_required = :takenBack', ...(phoneReleased ? ['phone_number_released = :takenBack'] : [])],
    remove: ['medical_history', 'insurance_info', 'phi_key', 'emergency_contact', ...(phonePk ? [`reservation_pks[${phoneIndex}]`] : [])],
    condition: `email_verified = :notVerified${phoneReleased ? ' AND phone_verified = :notVerified AND attribute_not_exists(phone_number_released)' : ''}`
      + (phonePk ? ` AND reservation_pks[${phoneIndex}] = :phonePk` : ''),
    values: { ':takenBack': true, ':notVerified': false, ...(phonePk && { ':phonePk': phonePk }) },
    // Only while it is still this patient's (a phone claim may have moved it).
    writes: phonePk ? [{ Delete: { TableName: tableName, Key: { pk: phonePk, sk: 'UNIQUE' }, ConditionExpression: 'patient_id = :id', ExpressionAttributeValues: { ':id': patientId } } }] : [],
    ...(phonePk && { dropsReservation: phonePk }),
    takenBack: { deleted, phoneReleased },
  };
}

function liveLink(name: 'verification_link' | 'reset_link', tokenHash: unknown, seed: unknown, expiresAt: unknown) {
  if (typeof tokenHash !== 'string' || typeof seed !== 'string' || typeof expiresAt !== 'string') return {};
  return { [name]: { tokenHash, seed, expiresAt: new Date(expiresAt) } };
}

export function createDynamoPatientRepository(
  db: DynamoDBDocumentClient,
  tableName: string,
  identifiers: IdentifierDigests,
  { outboxShards, maxTransactionAttempts = 6, sleep = wait }: DynamoRepositoryOptions,
): PatientRepository {
  const emailKeys = async (email: string) => (await identifiers.all('email', email)).map(keys.email);
  const phoneKeys = async (phone: string) => (await identifiers.all('phone', phone)).map(keys.phone);

  /**
   * Runs a transaction, retrying conflicts and item-level throttling (which DynamoDB reports inside a
   * cancellation, where the SDK does not retry it) with jittered backoff; the same ClientRequestToken
   * makes retries idempotent.
   */
  /**
   * A password change or a close: the patient's `set`, only while it is active and still at the hash
   * the password matched (a concurrent change, reset or close wins: false), with its notice and every
   * session but `keepSessionId` ended, in one transaction. Both remove the pointers to the newest reset
   * and email-move links, which ends every outstanding one ("superseded"): the email_move_requested
   * notice promises that a new password ends the move, and a reset that reopens a closed account must
   * not find one usable. Run again on a fresh read of the sessions if one started meanwhile.
   */
  function writeUnderMatchedPassword(write: {
    patientId: string; expectedHash: string; notice: OutboxItem; now: Date; keepSessionId?: string; set: string; values: Record<string, unknown>;
  }): Promise<boolean> {
    const { patientId, expectedHash, notice, now, keepSessionId } = write;
    return retryingSessionChanges(async () => {
      try {
        await transact(new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.patient(patientId),
                UpdateExpression: `SET ${write.set}, updated_at = :at REMOVE reset_token_hash, ${PENDING_EMAIL_MOVE}`,
                ConditionExpression: `password_hash = :expected AND is_active = :yes AND ${NOT_LAPSED}`,
                ExpressionAttributeNames: TTL_NAME,
                ExpressionAttributeValues: { ...write.values, ':at': now.toISOString(), ':expected': expectedHash, ':yes': true, ':nowSeconds': epochSeconds(now) },
              },
            },
            { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
            ...(await endFamiliesWrites(db, tableName, patientId, now, keepSessionId)),
          ],
        }));
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException && reasonCodes(error)[0] === 'ConditionalCheckFailed') return false;
        throw error;
      }
    });
  }

  async function transact(command: TransactWriteCommand): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await callAws('dynamodb', () => db.send(command));
        return;
      } catch (error) {
        const retryable = error instanceof TransactionCanceledException && reasonCodes(error).some((code) => RETRYABLE_REASONS.has(code ?? ''));
        if (!retryable) throw error;
        if (attempt >= maxTransactionAttempts) throw new ServiceUnavailableError('dynamodb');
        await sleep(Math.random() * 25 * 2 ** attempt);
      }
    }
  }

  function tokenPut(token: VerificationTokenRecord) {
    const expiresAt = epochSeconds(token.expiresAt);
    return {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.verificationToken(token.tokenHash),
          entity: 'verification_token',
          patient_id: token.patientId,
          expires_at: expiresAt,
          [TTL_ATTRIBUTE]: expiresAt + TOKEN_RETENTION_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** A consistent read; a projection may name the TTL attribute as #ttl (TTL is a reserved word). */
  const get = async (key: Record<string, string>, projection?: string) =>
    (await callAws('dynamodb', () =>
      db.send(new GetCommand({
        TableName: tableName,
        Key: key,
        ConsistentRead: true,
        ...(projection && { ProjectionExpression: projection }),
        ...(projection?.includes('#ttl') && { ExpressionAttributeNames: TTL_NAME }),
      })),
    )).Item;

  /**
   * The patient (the projected attributes) holding this email, unless its registration has lapsed.
   * The current key version is tried first, and a registration that took over a lapsed reservation
   * wrote it under the current version, so the first reservation found is the newest.
   */
  async function livePatientByEmail(email: string, projection: string, { readAlike = false } = {}) {
    let reservation: Record<string, unknown> | undefined;
    for (const key of await emailKeys(email)) {
      reservation = await get(key, 'patient_id');
      if (reservation) break;
    }
    if (!reservation && !readAlike) return undefined;
    // readAlike: an unknown email still reads a patient item (one no patient has), so that sign-in
    // makes the same reads for it as for a known one (issue 19 item 18).
    const patient = await get(keys.patient(reservation ? String(reservation.patient_id) : NO_PATIENT), `${projection}, #ttl`);
    return patient && !hasLapsed(patient, nowSeconds()) ? patient : undefined;
  }

  /**
   * A registration whose mailbox was proven (verification, password reset) never lapses: the updates
   * that lift the TTL from its reservations, keyed as they were written whatever the current
   * identifier key, for the same transaction as the patient's. None once the patient has no TTL.
   */
  function liftLapseFromReservations(patient: Record<string, any>, patientId: string) {
    const reservationPks: string[] = patient[TTL_ATTRIBUTE] === undefined ? [] : (patient.reservation_pks ?? []);
    return reservationPks.map((pk) => ({
      Update: {
        TableName: tableName,
        Key: { pk, sk: 'UNIQUE' },
        UpdateExpression: 'REMOVE #ttl',
        // Taken over by a new registration: this one lapsed by that writer's clock.
        ConditionExpression: 'patient_id = :id',
        ExpressionAttributeNames: TTL_NAME,
        ExpressionAttributeValues: { ':id': patientId },
      },
    }));
  }

  /**
   * The read half of consuming a link: the token item and its patient's pointer to the newest link
   * decide what a use would meet now. A lapsed registration's link is as unknown as it will be once
   * TTL has deleted it. Writes nothing (linkState is this alone).
   */
  async function judgeMailboxToken(link: MailboxLink, tokenHash: string, now: Date, alsoRead = '') {
    const token = (await get(link.tokenKey(tokenHash))) as { patient_id: string; expires_at: number; used_at?: string } | undefined;
    if (!token) return { state: 'unknown' } as const;
    const patient = await get(keys.patient(token.patient_id), `${link.newestAttribute}, reservation_pks, #ttl${alsoRead}`);
    if (!patient || hasLapsed(patient, epochSeconds(now))) return { state: 'unknown' } as const;
    if (token.used_at) return { state: 'used' } as const;
    if (token.expires_at <= epochSeconds(now)) return { state: 'expired' } as const;
    if (patient[link.newestAttribute] !== tokenHash) return { state: 'superseded' } as const;
    return { state: 'usable', patientId: token.patient_id, patient } as const;
  }

  /**
   * A single-use link from a mail (verification, password reset). judgeMailboxToken decides the outcome
   * (the same reads as linkState's); consuming marks the token used, applies `patientSet` to the
   * patient (only while the link is still its newest and the registration has not lapsed) and lifts
   * the lapse from the patient and its reservations: the mailbox is proven, so it never lapses. One
   * transaction, with `alsoWrite`.
   */
  async function consumeMailboxToken(use: {
    link: MailboxLink;
    tokenHash: string;
    now: Date;
    patientSet: { expression: string; values: Record<string, unknown>; remove?: string[] };
    alsoWrite?: object[];
    /** More writes that depend on the token's patient (read here first). */
    alsoWriteFor?: (patientId: string) => Promise<object[]>;
    /** Attributes the patient write depends on (`, name, …`), for `patientChange`. */
    alsoRead?: string;
    /** More of the patient's write, judged on the patient as read and conditioned on it (a taken-back account). */
    patientChange?: (patient: Record<string, any>, patientId: string) => PatientChange | undefined;
  }): Promise<{ outcome: 'consumed'; patientId: string; change?: PatientChange } | { outcome: Exclude<LinkState, 'usable'> }> {
    const { link, tokenHash, now, patientSet, alsoWrite = [], alsoWriteFor } = use;
    const { newestAttribute } = link;
    const tokenKey = link.tokenKey(tokenHash);
    const judged = await judgeMailboxToken(link, tokenHash, now, use.alsoRead);
    if (judged.state !== 'usable') return { outcome: judged.state };
    const { patient, patientId } = judged;
    const at = now.toISOString();
    const change = use.patientChange?.(patient, patientId);
    // A reservation the change gives up is deleted by it, not kept (one write per item in a transaction).
    const keepReservations = liftLapseFromReservations(patient, patientId).filter((u) => !change?.dropsReservation || u.Update.Key.pk !== change.dropsReservation);
    const dependent = alsoWriteFor ? await alsoWriteFor(patientId) : [];
    try {
      await transact(new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: tokenKey,
              UpdateExpression: 'SET used_at = :at',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now',
              ExpressionAttributeValues: { ':at': at, ':now': epochSeconds(now) },
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: keys.patient(patientId),
              UpdateExpression: `SET ${[patientSet.expression, ...(change?.set ?? [])].join(', ')} REMOVE #ttl, lapses_at, ${[link.linkAttributes, ...(patientSet.remove ?? []), ...(change?.remove ?? [])].join(', ')}`,
              // Only the newest link works: a new one replaces the patient's pointer.
              ConditionExpression: `${newestAttribute} = :token AND ${NOT_LAPSED}${change ? ` AND ${change.condition}` : ''}`,
              ExpressionAttributeNames: TTL_NAME,
              ExpressionAttributeValues: { ...patientSet.values, ...change?.values, ':at': at, ':token': tokenHash, ':nowSeconds': epochSeconds(now) },
            },
          },
          ...keepReservations,
          ...alsoWrite,
          ...dependent,
          ...(change?.writes ?? []),
        ],
      }));
      return { outcome: 'consumed', patientId, ...(change && { change }) };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Another use consumed it between our read and write, a newer link replaced it, or a new
      // registration took a reservation of this lapsed one over.
      const [tokenReason, patientReason, ...rest] = reasonCodes(error);
      if (tokenReason === 'ConditionalCheckFailed') return { outcome: 'used' };
      if (patientReason === 'ConditionalCheckFailed') return { outcome: 'superseded' };
      if (rest.slice(0, keepReservations.length).includes('ConditionalCheckFailed')) return { outcome: 'unknown' };
      throw error;
    }
  }

  /**
   * The claim's single use (issue 19 item 4): deleted only while it is the code that was checked,
   * under its tries cap and unexpired (whole seconds, as every store judges expiry).
   */
  function spendClaim(takeover: PhoneTakeover) {
    return {
      Delete: {
        TableName: tableName,
        Key: keys.phoneClaim(takeover.claimKey),
        ConditionExpression: 'code_id = :id AND failures < :max AND expires_at >= :liveFrom',
        ExpressionAttributeValues: { ':id': takeover.codeId, ':max': takeover.maxWrongTries, ':liveFrom': new Date((epochSeconds(takeover.now) + 1) * 1000).toISOString() },
      },
    };
  }

  /** Taking a number from its unproven holder (phone-takeover.ts), as its reservation bookkeeping reads now. */
  async function takeOverPhone(holderId: string, phone: string, phoneKey: { pk: string }, reservation: Record<string, unknown>, now: Date) {
    const holder = await get(keys.patient(holderId), 'reservation_pks');
    return takeOverPhoneWrites(tableName, { id: holderId, reservation_pks: holder?.reservation_pks }, phone, phoneKey, reservation, now);
  }

  async function readToken(tokenHash: string) {
    return (await get(keys.verificationToken(tokenHash))) as { patient_id: string; expires_at: number; used_at?: string } | undefined;
  }

  return {
    async findTakenIdentifiers(email, phone) {
      const [emailKeyList, phoneKeyList] = await Promise.all([emailKeys(email), phoneKeys(phone)]);
      const found = new Set<string>();
      const now = nowSeconds();
      let pending: Record<string, unknown>[] | undefined = [...emailKeyList, ...phoneKeyList];
      for (let round = 0; pending && pending.length > 0 && round < 3; round++) {
        const out = await callAws('dynamodb', () =>
          db.send(new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'pk, #ttl', ExpressionAttributeNames: TTL_NAME } },
          })),
        );
        for (const item of out.Responses?.[tableName] ?? []) if (!hasLapsed(item, now)) found.add(item.pk as string);
        pending = out.UnprocessedKeys?.[tableName]?.Keys;
      }
      if (pending && pending.length > 0) throw new ServiceUnavailableError('dynamodb');
      return { email: emailKeyList.some((k) => found.has(k.pk)), phone: phoneKeyList.some((k) => found.has(k.pk)) };
    },

    async findPhoneHolder(phone) {
      for (const key of await phoneKeys(phone)) {
        const reservation = await get(key, 'patient_id, #ttl');
        if (!reservation || hasLapsed(reservation, nowSeconds())) continue;
        const holder = await get(keys.patient(String(reservation.patient_id)), 'id, email, phone_verified, phone_number_released, #ttl');
        if (!holder || hasLapsed(holder, nowSeconds()) || holder.phone_number_released === true) continue;
        return { id: String(holder.id), email: String(holder.email), phone_verified: holder.phone_verified === true };
      }
      return undefined;
    },

    async createPatient(patient: PatientRecord, token: VerificationTokenRecord, mail, takeover) {
      const absent = { ConditionExpression: 'attribute_not_exists(pk)' };
      // A lapsed registration's reservation is taken over: it only waits for TTL to delete it.
      const free = { ConditionExpression: FREE, ExpressionAttributeNames: TTL_NAME, ExpressionAttributeValues: { ':nowSeconds': nowSeconds() } };
      const reservation = { entity: 'reservation', patient_id: patient.id, created_at: patient.created_at, ...lapseTtl(patient) };
      const [[emailKey, ...olderEmailKeys], [phoneKey, ...olderPhoneKeys]] = await Promise.all([
        emailKeys(patient.email),
        phoneKeys(patient.phone_number),
      ]);
      const phoneTakeover = takeover?.holder ? await takeOverPhone(takeover.holder.id, patient.phone_number, phoneKey!, reservation, takeover.now) : undefined;
      // A reservation written under an older key version still counts while a rotation is under way.
      const stillFree = (key: Record<string, string>) => ({ ConditionCheck: { TableName: tableName, Key: key, ...free } });
      const patientItem = {
        ...toPatientItem(patient, [emailKey!.pk, phoneKey!.pk]),
        verification_token_hash: token.tokenHash,
        verification_link_seed: token.seed,
        verification_link_expires_at: token.expiresAt.toISOString(),
        ...(takeover && { phone_verified_at: takeover.now.toISOString() }),
      };
      // Each write tagged with what its failed condition means.
      const writes: { tag: 'patient' | 'email' | 'phone' | 'claim' | 'holder' | 'other'; write: object }[] = [
        { tag: 'patient', write: { Put: { TableName: tableName, Item: patientItem, ...absent } } },
        { tag: 'email', write: { Put: { TableName: tableName, Item: { ...emailKey!, ...reservation }, ...free } } },
        { tag: 'phone', write: { Put: { TableName: tableName, Item: { ...phoneKey!, ...reservation }, ...(phoneTakeover?.reservationCondition ?? free) } } },
        { tag: 'other', write: tokenPut(token) },
        { tag: 'other', write: { Put: { TableName: tableName, Item: { ...outboxItem(mail, outboxShards), ...lapseTtl(patient) }, ...absent } } },
        ...olderEmailKeys.map((key) => ({ tag: 'email' as const, write: stillFree(key) })),
        ...olderPhoneKeys.filter((key) => key.pk !== phoneTakeover?.oldPk).map((key) => ({ tag: 'phone' as const, write: stillFree(key) })),
        ...(takeover ? [{ tag: 'claim' as const, write: spendClaim(takeover) }] : []),
        ...(phoneTakeover ? phoneTakeover.writes.map((write) => ({ tag: 'holder' as const, write })) : []),
        ...(takeover?.holder ? [{ tag: 'other' as const, write: { Put: { TableName: tableName, Item: outboxItem(takeover.holder.notice, outboxShards), ...absent } } }] : []),
      ];
      try {
        await transact(new TransactWriteCommand({ ClientRequestToken: patient.id, TransactItems: writes.map(({ write }) => write) as any }));
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = reasonCodes(error);
        const failed = (tag: string) => writes.some((w, i) => w.tag === tag && codes[i] === 'ConditionalCheckFailed');
        // A holder that proved the number (or gave it up) meanwhile: the number is taken, as without a claim.
        const clashes = { email: failed('email'), phone: failed('phone') || failed('holder') };
        if (clashes.email || clashes.phone) throw new DuplicateRegistrationError(clashes);
        if (failed('claim')) throw new PhoneClaimCodeError('none');
        throw error;
      }
    },

    async consumeVerificationToken(tokenHash, now): Promise<TokenConsumption> {
      const result = await consumeMailboxToken({
        link: MAILBOX_LINKS.verification, tokenHash, now,
        patientSet: { expression: 'email_verified = :yes, email_verified_at = :at, updated_at = :at', values: { ':yes': true } },
      });
      return result.outcome === 'consumed' ? { outcome: 'verified', patientId: result.patientId } : result;
    },

    async findPatientByEmail(email): Promise<PatientContact | undefined> {
      const patient = await livePatientByEmail(
        email,
        'id, first_name, email, phone_number, email_verified, verification_token_hash, registration_key, registration_fingerprint, '
          + `reset_token_hash, ${VERIFICATION_LINK}, ${RESET_LINK}`,
      );
      if (!patient) return undefined;
      return {
        id: patient.id,
        first_name: patient.first_name,
        email: patient.email,
        phone_number: patient.phone_number,
        registration_key: patient.registration_key,
        registration_fingerprint: patient.registration_fingerprint,
        email_verified: patient.email_verified === true,
        verification_token_hash: patient.verification_token_hash,
        ...liveLink('verification_link', patient.verification_token_hash, patient.verification_link_seed, patient.verification_link_expires_at),
        ...liveLink('reset_link', patient.reset_token_hash, patient.reset_link_seed, patient.reset_link_expires_at),
      };
    },

    async replaceVerificationToken(patient, token, mail) {
      const previous = patient.verification_token_hash;
      try {
        await transact(new TransactWriteCommand({
          ClientRequestToken: mail.id,
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.patient(patient.id),
                UpdateExpression: 'SET verification_token_hash = :new, verification_link_seed = :seed, verification_link_expires_at = :expires, updated_at = :now',
                ConditionExpression: `email_verified = :no AND ${previous ? 'verification_token_hash = :old' : 'attribute_not_exists(verification_token_hash)'} AND ${NOT_LAPSED}`,
                ExpressionAttributeNames: TTL_NAME,
                ExpressionAttributeValues: {
                  ':new': token.tokenHash, ':seed': token.seed, ':expires': token.expiresAt.toISOString(), ':now': mail.createdAt, ':no': false, ':nowSeconds': nowSeconds(), ...(previous && { ':old': previous }),
                },
              },
            },
            tokenPut(token),
            { Put: { TableName: tableName, Item: outboxItem(mail, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }));
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException && reasonCodes(error)[0] === 'ConditionalCheckFailed') return false;
        throw error;
      }
    },

    async findCredentials(email): Promise<PatientCredentials | undefined> {
      const patient = await livePatientByEmail(email, 'id, password_hash, email_verified, is_active', { readAlike: true });
      return patient && {
        id: patient.id,
        password_hash: patient.password_hash,
        email_verified: patient.email_verified === true,
        is_active: patient.is_active === true,
      };
    },

    async getPatient(id) {
      const item = await get(keys.patient(id));
      return item && !hasLapsed(item, nowSeconds()) ? fromPatientItem(item) : undefined;
    },

    async replacePasswordHash(patientId, expected, next, now) {
      try {
        await callAws('dynamodb', () =>
          db.send(new UpdateCommand({
            TableName: tableName,
            Key: keys.patient(patientId),
            UpdateExpression: 'SET password_hash = :next, updated_at = :at',
            // Compare-and-set: of concurrent re-hashes from one stored hash, exactly one writes.
            ConditionExpression: `password_hash = :expected AND ${NOT_LAPSED}`,
            ExpressionAttributeNames: TTL_NAME,
            ExpressionAttributeValues: { ':next': next, ':at': now.toISOString(), ':expected': expected, ':nowSeconds': epochSeconds(now) },
          })),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },

    async changePassword({ patientId, expectedHash, passwordHash, keepSessionId, notice, now }) {
      return writeUnderMatchedPassword({ patientId, expectedHash, notice, now, keepSessionId, set: 'password_hash = :next', values: { ':next': passwordHash } });
    },

    async closeAccount({ patientId, expectedHash, notice, now }) {
      return writeUnderMatchedPassword({ patientId, expectedHash, notice, now, set: 'is_active = :no', values: { ':no': false } });
    },

    async findVerificationToken(tokenHash) {
      const token = await readToken(tokenHash);
      if (!token) return undefined;
      const patient = await get(keys.patient(token.patient_id), 'pk, #ttl');
      return patient && !hasLapsed(patient, nowSeconds()) ? { patientId: token.patient_id } : undefined;
    },

    async issueResetToken(token, mail) {
      const expiresAt = epochSeconds(token.expiresAt);
      try {
        await transact(new TransactWriteCommand({
          ClientRequestToken: mail.id,
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.patient(token.patientId),
                // The newest token wins: whatever the patient held before stops working.
                UpdateExpression: 'SET reset_token_hash = :new, reset_link_seed = :seed, reset_link_expires_at = :expires',
                ConditionExpression: `attribute_exists(pk) AND ${NOT_LAPSED}`,
                ExpressionAttributeNames: TTL_NAME,
                ExpressionAttributeValues: { ':new': token.tokenHash, ':seed': token.seed, ':expires': token.expiresAt.toISOString(), ':nowSeconds': nowSeconds() },
              },
            },
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...keys.resetToken(token.tokenHash), entity: 'reset_token', patient_id: token.patientId, expires_at: expiresAt,
                  [TTL_ATTRIBUTE]: expiresAt + TOKEN_RETENTION_SECONDS,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Put: { TableName: tableName, Item: outboxItem(mail, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }));
        return true;
      } catch (error) {
        if (error instanceof TransactionCanceledException && reasonCodes(error)[0] === 'ConditionalCheckFailed') return false;
        throw error;
      }
    },

    async findResetToken(tokenHash) {
      const token = await get(keys.resetToken(tokenHash), 'patient_id');
      if (!token) return undefined;
      const patient = await get(keys.patient(String(token.patient_id)), 'pk, #ttl');
      return patient && !hasLapsed(patient, nowSeconds()) ? { patientId: String(token.patient_id) } : undefined;
    },

    async resetPassword({ tokenHash, passwordHash, notice, now }): Promise<PasswordReset> {
      let takenBack: TakenBack | undefined;
      // The mailbox is proven, as by a verification: the email becomes verified and the lapse goes.
      // Again on a fresh read (of the link, the patient and its sessions) if a session started meanwhile.
      const result = await retryingSessionChanges(() => consumeMailboxToken({
        link: MAILBOX_LINKS.reset, tokenHash, now,
        patientSet: {
          // is_active too: a closed account is reopened by proving its mailbox (lib/record/README.md).
          expression: 'password_hash = :password, email_verified = :yes, email_verified_at = if_not_exists(email_verified_at, :at), is_active = :yes, updated_at = :at',
          values: { ':password': passwordHash, ':yes': true },
          // The pending email move ends with the old password (the email_move_requested notice promises it).
          remove: [PENDING_EMAIL_MOVE],
        },
        alsoWrite: [
          { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
        // Whoever held a session with the old password loses it, in the same transaction.
        alsoWriteFor: (patientId) => endFamiliesWrites(db, tableName, patientId, now),
        // A never-verified registration is taken back in the same write (issue 20).
        alsoRead: TAKE_BACK_READ,
        patientChange: (patient, patientId) => {
          const change = takeBackChange(tableName, patient, patientId);
          takenBack = change?.takenBack;
          return change;
        },
      }));
      return result.outcome === 'consumed' ? { outcome: 'reset', patientId: result.patientId, ...(takenBack && { takenBack }) } : result;
    },

    async updateProfile({ patientId, expectedUpdatedAt, updatedAt, profile, encrypted, notice, reviewConfirmed }) {
      const update = profileUpdate(tableName, patientId, { expectedUpdatedAt, updatedAt, profile, encrypted, reviewConfirmed });
      try {
        if (notice) {
          await transact(new TransactWriteCommand({
            TransactItems: [{ Update: update }, { Put: { TableName: tableName, Item: outboxItem(notice, outboxShards), ConditionExpression: 'attribute_not_exists(pk)' } }],
          }));
        } else {
          await callAws('dynamodb', () => db.send(new UpdateCommand(update)));
        }
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        if (error instanceof TransactionCanceledException && reasonCodes(error)[0] === 'ConditionalCheckFailed') return false;
        throw error;
      }
    },

    async linkState(kind, tokenHash, now) {
      return (await judgeMailboxToken(MAILBOX_LINKS[kind], tokenHash, now)).state;
    },

    async removeLapsedRegistrations() {
      // Nothing to do: DynamoDB's TTL deletes a lapsed registration's items (patient, reservations,
      // outbox mail at lapses_at; its tokens a week after they expire), and every read above already
      // treats them as absent from the moment they lapse.
      return 0;
    },
  };
}

/**
 * The profile write as one conditional Update: every profile attribute set (a removed contact or
 * encrypted field removed, not blanked), only while the patient is active, not lapsed and still at
 * the version the use case read.
 */
function profileUpdate(tableName: string, patientId: string, write: Omit<ProfileWrite, 'patientId' | 'notice'>) {
  const { profile, encrypted } = write;
  const values: Record<string, unknown> = {
    ':first': profile.first_name, ':last': profile.last_name, ':dob': profile.date_of_birth, ':gender': profile.gender,
    ':address': profile.address, ':at': write.updatedAt, ':expected': write.expectedUpdatedAt, ':yes': true, ':nowSeconds': nowSeconds(),
  };
  const set = ['first_name = :first', 'last_name = :last', 'date_of_birth = :dob', 'gender = :gender', 'address = :address', 'updated_at = :at'];
  // The review of a taken-back account (issue 20) confirmed: its flag goes in the same write.
  const remove: string[] = write.reviewConfirmed ? ['profile_review_required'] : [];
  if (profile.emergency_contact) {
    set.push('emergency_contact = :contact');
    values[':contact'] = profile.emergency_contact;
  } else {
    remove.push('emergency_contact');
  }
  if (encrypted !== undefined) {
    for (const field of ['medical_history', 'insurance_info']) {
      const ciphertext = encrypted?.ciphertexts[field];
      if (ciphertext === undefined) remove.push(field);
      else {
        set.push(`${field} = :${field}`);
        values[`:${field}`] = ciphertext;
      }
    }
    if (encrypted) {
      set.push('phi_key = :phiKey');
      values[':phiKey'] = { key_id: encrypted.keyId, wrapped_key: encrypted.wrappedKey, algorithm: 'AES-256-GCM' };
    } else {
      remove.push('phi_key');
    }
  }
  return {
    TableName: tableName,
    Key: keys.patient(patientId),
    UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: `updated_at = :expected AND is_active = :yes AND ${NOT_LAPSED}`,
    ExpressionAttributeNames: TTL_NAME,
    ExpressionAttributeValues: values,
  };
}
