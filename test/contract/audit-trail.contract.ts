import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, AuditTrail } from '../../lib/audit/ports.js';

const START = Date.parse('2025-06-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(START + offsetMs).toISOString();

/** Overrides of `undefined` leave the field out, as a use case leaving it unset would. */
const withoutUndefined = (event: AuditEvent): AuditEvent =>
  Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as unknown as AuditEvent;

/** An event with every optional field set (overrides of `undefined` leave one out), as a `GET /me` read writes it. */
export function fullAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return withoutUndefined({
    id: randomUUID(),
    at: at(0),
    action: 'record_read',
    outcome: 'success',
    patientId: randomUUID(),
    reason: 'own_record',
    fields: ['first_name', 'medical_history', 'insurance_info'],
    sessionId: randomUUID(),
    requestId: `req-${randomBytes(4).toString('hex')}`,
    sourceIpDigest: `v1.${randomBytes(32).toString('hex')}`,
    ...overrides,
  });
}

/** An event with only the required fields, as a sign-in with an unknown email writes it. */
export function minimalAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return withoutUndefined({ id: randomUUID(), at: at(0), action: 'sign_in', outcome: 'failure', ...overrides });
}

/** The audit trail's rules, run inside describeStorageContract on every store. */
export function describeAuditTrailContract({ audit }: { audit: () => AuditTrail }): void {
  describe('audit trail', () => {
    it('reads an event back exactly: every field, absent ones still absent', async () => {
      const patientId = randomUUID(); // no patient row: events are tied to no record
      const full = fullAuditEvent({ patientId, at: at(0) });
      const bare = minimalAuditEvent({ patientId, at: at(1) });
      const noFields = fullAuditEvent({ patientId, at: at(2), fields: [] });
      for (const event of [full, bare, noFields]) await audit().record(event);
      // toStrictEqual: an optional field read back as `undefined` (or null) would differ from one never set.
      expect(await audit().eventsFor(patientId)).toStrictEqual([full, bare, noFields]);
    });

    it('answers oldest first, whatever order the events were written in', async () => {
      const patientId = randomUUID();
      const events = [5, 0, 3_600_000, 1, 86_400_000 * 400, 60_000].map((offset) => minimalAuditEvent({ patientId, at: at(offset) }));
      for (const event of events) await audit().record(event);
      expect(await audit().eventsFor(patientId)).toStrictEqual([...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)));
    });

    it("returns only the named patient's events", async () => {
      const [mine, theirs] = [randomUUID(), randomUUID()];
      const own = fullAuditEvent({ patientId: mine });
      await audit().record(fullAuditEvent({ patientId: theirs }));
      await audit().record(own);
      expect(await audit().eventsFor(mine)).toStrictEqual([own]);
      expect(await audit().eventsFor(randomUUID())).toStrictEqual([]);
    });

    it('accepts events that name no patient, and returns them for no patient', async () => {
      const patientId = randomUUID();
      const own = minimalAuditEvent({ patientId, at: at(0) });
      await audit().record(own);
      // Same action, time and outcome, only the patient missing: an unknown-email sign-in.
      await audit().record(minimalAuditEvent({ at: at(0) }));
      await audit().record(fullAuditEvent({ patientId: undefined, action: 'token_refresh', reason: 'unknown_token', at: at(1) }));
      expect(await audit().eventsFor(patientId)).toStrictEqual([own]);
    });

    it('keeps the same event written twice (a retry) as one event, without an error', async () => {
      const patientId = randomUUID();
      const event = fullAuditEvent({ patientId });
      await audit().record(event);
      await expect(audit().record(event)).resolves.toBeUndefined();
      // Concurrent retries too: both resolve, one event remains.
      const raced = fullAuditEvent({ patientId, at: at(1) });
      await expect(Promise.all([audit().record(raced), audit().record(raced)])).resolves.toHaveLength(2);
      expect(await audit().eventsFor(patientId)).toStrictEqual([event, raced]);
    });

    it('is append-only: a second write under an event\'s id does not rewrite it', async () => {
      const event = fullAuditEvent({ outcome: 'failure', reason: 'wrong_password', action: 'sign_in', fields: undefined });
      await audit().record(event);
      await audit().record({ ...event, outcome: 'success', reason: undefined, requestId: 'req-forged' });
      expect(await audit().eventsFor(event.patientId!)).toStrictEqual([event]);
    });

    it('returns every event of a long trail (more than one page where the store reads in pages)', async () => {
      const patientId = randomUUID();
      const events = Array.from({ length: 25 }, (_, i) => fullAuditEvent({ patientId, at: at(i * 1000) }));
      // Written in batches of 5: fast, and still in an order the store must sort.
      for (let i = 0; i < events.length; i += 5) await Promise.all(events.slice(i, i + 5).reverse().map((e) => audit().record(e)));
      expect(await audit().eventsFor(patientId)).toStrictEqual(events);
    });
  });
}
