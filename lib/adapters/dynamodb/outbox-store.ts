import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClaimedItem, OutboxItem, OutboxStore } from '../../outbox/ports.js';
import { MAX_SEND_ATTEMPTS, nextAttemptAt } from '../../outbox/retry-policy.js';
import { callAws } from '../aws-errors.js';
import { DUE_INDEX, dueShardOf, dueShards, keys, TTL_ATTRIBUTE } from './keys.js';

/** Sent and given-up mails are kept a week (without their link), then TTL removes them. */
const SENT_RETENTION_SECONDS = 7 * 24 * 3600;

/** The outbox item as stored: a mail or an SMS (written inside another transaction or on its own), or a request. */
function fieldsOf(item: OutboxItem): Record<string, unknown> {
  switch (item.kind) {
    case 'verification_email':
      return { to: item.to, patient_id: item.patientId, verify_url: item.verifyUrl };
    case 'password_reset_email':
      return { to: item.to, patient_id: item.patientId, reset_url: item.resetUrl };
    case 'password_changed_email':
      return { to: item.to, patient_id: item.patientId, first_name: item.firstName, sessions_ended: item.sessionsEnded };
    case 'account_notice_email':
      return { to: item.to, patient_id: item.patientId, notice: item.notice };
    // The link is a credential: kept as verify_url, which every way of closing an item forgets.
    case 'email_move_email':
      return { to: item.to, patient_id: item.patientId, verify_url: item.confirmUrl };
    // The text holds the code: kept under its own name, forgotten like a mail's link.
    case 'phone_code_sms':
      return { to: item.to, patient_id: item.patientId, sms_text: item.text };
    case 'resend_request':
    case 'password_reset_request':
    case 'phone_claim_request':
      return { requested_address: item.to };
  }
}

/** The item as written (alone or inside another transaction), in the due index's shard of its id. */
export function outboxItem(item: OutboxItem, shards: number): Record<string, unknown> {
  return {
    ...keys.outbox(item.id),
    entity: 'outbox',
    kind: item.kind,
    // A resend request's address may be nobody's: kept under its own name, so that every way an item
    // is closed (sent, given up) can forget it without knowing the item's kind.
    ...fieldsOf(item),
    status: 'pending',
    attempts: 0,
    created_at: item.createdAt,
    due_pk: dueShardOf(item.id, shards),
    due_at: item.createdAt,
  };
}

function claimedItem(id: string, item: Record<string, any>, claimId: string): ClaimedItem {
  const common = { id, createdAt: item.created_at, attempts: Number(item.attempts), claimId };
  if (item.kind === 'resend_request' || item.kind === 'password_reset_request' || item.kind === 'phone_claim_request') {
    return { kind: item.kind, ...common, to: item.requested_address };
  }
  if (item.kind === 'password_reset_email') {
    return { kind: 'password_reset_email', ...common, to: item.to, patientId: item.patient_id, resetUrl: item.reset_url };
  }
  if (item.kind === 'password_changed_email') {
    // Notices queued before sessions_ended was stored came from either flow; 'others' is what they said.
    return { kind: 'password_changed_email', ...common, to: item.to, patientId: item.patient_id, firstName: item.first_name, sessionsEnded: item.sessions_ended ?? 'others' };
  }
  if (item.kind === 'account_notice_email') return { kind: 'account_notice_email', ...common, to: item.to, patientId: item.patient_id, notice: item.notice };
  if (item.kind === 'email_move_email') return { kind: 'email_move_email', ...common, to: item.to, patientId: item.patient_id, confirmUrl: item.verify_url };
  if (item.kind === 'phone_code_sms') return { kind: 'phone_code_sms', ...common, to: item.to, patientId: item.patient_id, text: item.sms_text };
  return { kind: 'verification_email', ...common, to: item.to, patientId: item.patient_id, verifyUrl: item.verify_url };
}

const retainUntil = (now: Date) => Math.floor(now.getTime() / 1000) + SENT_RETENTION_SECONDS;

/** What a closed item forgets: a mail its link (a credential), a request the address asked about, an SMS its code. */
const FORGOTTEN = 'verify_url, reset_url, requested_address, sms_text, claim_id';

/** A given-up item leaves the due index and forgets what it no longer needs; the record stays a week for an operator. */
const giveUp = (now: Date) => ({
  UpdateExpression: `SET #status = :failed, #ttl = :ttl REMOVE due_pk, due_at, ${FORGOTTEN}`,
  ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
  ExpressionAttributeValues: { ':failed': 'failed', ':ttl': retainUntil(now) } as Record<string, unknown>,
});

async function ignoreConditionFailure(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

/** Shard queries a sweep runs at once: all 32 default shards in four rounds, without a burst of 32. */
const SHARD_QUERIES_IN_FLIGHT = 8;

/** Runs `task` over `inputs` with at most `limit` in flight; results in input order. */
async function mapBounded<T, R>(inputs: readonly T[], limit: number, task: (input: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(inputs.length);
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const i = next++;
      results[i] = await task(inputs[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  return results;
}

/** `shards`: the due index's shard count (OUTBOX_SHARDS); every writer of outbox items must use the same. */
export function createDynamoOutboxStore(db: DynamoDBDocumentClient, tableName: string, shards: number): OutboxStore {
  const update = (input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) =>
    callAws('dynamodb', () => db.send(new UpdateCommand({ TableName: tableName, ...input })));

  return {
    async claim(id, now, leaseMs) {
      // Still in the due index (any shard: the item carries its own), due, and attempts left.
      const due = { ':now': now.toISOString(), ':max': MAX_SEND_ATTEMPTS };
      const claimId = randomUUID();
      try {
        const { Attributes: item } = await update({
          Key: keys.outbox(id),
          UpdateExpression: 'SET #status = :sending, due_at = :leaseEnd, claim_id = :claim ADD attempts :one',
          ConditionExpression: 'attribute_exists(due_pk) AND due_at <= :now AND attempts < :max',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...due, ':sending': 'sending', ':leaseEnd': new Date(now.getTime() + leaseMs).toISOString(), ':one': 1, ':claim': claimId },
          ReturnValues: 'ALL_NEW',
        });
        return item && claimedItem(id, item, claimId);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      // Due but out of attempts (its senders failed or crashed every time): give it up for good.
      await ignoreConditionFailure(update({
        Key: keys.outbox(id),
        ...giveUp(now),
        ConditionExpression: 'attribute_exists(due_pk) AND due_at <= :now AND attempts >= :max',
        ExpressionAttributeValues: { ...giveUp(now).ExpressionAttributeValues, ...due },
      }));
      return undefined;
    },

    async markSent(mail, now) {
      // The link is a credential: once the mail is out, the outbox forgets it.
      await ignoreConditionFailure(update({
        Key: keys.outbox(mail.id),
        UpdateExpression: `SET #status = :sent, sent_at = :now, #ttl = :ttl REMOVE due_pk, due_at, ${FORGOTTEN}`,
        ConditionExpression: 'claim_id = :claim',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':sent': 'sent', ':now': now.toISOString(), ':ttl': retainUntil(now), ':claim': mail.claimId },
      }));
    },

    async release(mail, now) {
      const next = mail.attempts >= MAX_SEND_ATTEMPTS
        ? giveUp(now)
        : {
          UpdateExpression: 'SET #status = :pending, due_at = :next REMOVE claim_id',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':next': nextAttemptAt(now, mail.attempts).toISOString() },
        };
      await ignoreConditionFailure(update({
        Key: keys.outbox(mail.id),
        ...next,
        ConditionExpression: 'claim_id = :claim',
        ExpressionAttributeValues: { ...next.ExpressionAttributeValues, ':claim': mail.claimId },
      }));
    },

    async enqueue(request) {
      await callAws('dynamodb', () =>
        db.send(new PutCommand({ TableName: tableName, Item: outboxItem(request, shards), ConditionExpression: 'attribute_not_exists(pk)' })),
      );
    },

    async listDue(now, limit) {
      // Each shard's oldest due items (the index sorts by due_at within a shard), merged: the oldest
      // `limit` of all of them. One shard's `limit` is enough, since none can give more than that.
      const perShard = await mapBounded(dueShards(shards), SHARD_QUERIES_IN_FLIGHT, async (shard) => {
        const { Items = [] } = await callAws('dynamodb', () =>
          db.send(new QueryCommand({
            TableName: tableName,
            IndexName: DUE_INDEX,
            KeyConditionExpression: 'due_pk = :shard AND due_at <= :now',
            ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
            Limit: limit,
          })),
        );
        return Items.map((item) => ({ id: String(item.pk).slice('OUTBOX#'.length), dueAt: String(item.due_at) }));
      });
      return perShard.flat().sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0)).slice(0, limit).map((item) => item.id);
    },
  };
}
