import { describe, expect, it } from 'vitest';
import { auditKeys, UNATTRIBUTED_SHARDS } from '../../lib/adapters/dynamodb/audit-table.js';
import { auditExpiry, toAuditItem } from '../../lib/adapters/dynamodb/audit-trail.js';
import { AUDIT_COLUMNS, toAuditRow } from '../../lib/adapters/postgres/audit-trail.js';
import type { AuditEvent } from '../../lib/audit/ports.js';
import { fullAuditEvent, minimalAuditEvent } from '../contract/audit-trail.contract.js';

/** What a buggy caller might put on the object beside the port's fields: patient data. */
const withPatientData = (event: AuditEvent) =>
  ({ ...event, email: 'jane@example.com', phone_number: '+15555550123', medical_history: ['asthma'], ip: '203.0.113.9' }) as AuditEvent;

const EVENT_ATTRIBUTES = ['id', 'at', 'action', 'outcome', 'patient_id', 'reason', 'fields', 'session_id', 'request_id', 'source_ip_digest'];

describe('audit records hold the event and nothing else (no patient data can leak into them)', () => {
  it('a DynamoDB item is its keys, its TTL and exactly the event\'s fields', () => {
    const item = toAuditItem(withPatientData(fullAuditEvent()));
    expect(Object.keys(item).sort()).toEqual(['pk', 'sk', 'ttl', ...EVENT_ATTRIBUTES].sort());
    expect(JSON.stringify(item)).not.toMatch(/jane|5555550123|asthma|203\.0\.113/);
  });

  it('a DynamoDB item of a bare event has no attribute for the fields it lacks', () => {
    const item = toAuditItem(withPatientData(minimalAuditEvent()));
    expect(Object.keys(item).sort()).toEqual(['pk', 'sk', 'ttl', 'id', 'at', 'action', 'outcome'].sort());
  });

  it('a PostgreSQL row is exactly the audit_events columns, NULL where the event has no value', () => {
    const full = toAuditRow(withPatientData(fullAuditEvent()));
    expect(Object.keys(full).sort()).toEqual([...AUDIT_COLUMNS].sort());
    expect([...AUDIT_COLUMNS].sort()).toEqual([...EVENT_ATTRIBUTES].sort());
    expect(JSON.stringify(full)).not.toMatch(/jane|5555550123|asthma|203\.0\.113/);
    const bare = toAuditRow(withPatientData(minimalAuditEvent()));
    expect(Object.keys(bare).sort()).toEqual([...AUDIT_COLUMNS].sort());
    expect(Object.entries(bare).filter(([, v]) => v !== null).map(([k]) => k).sort()).toEqual(['action', 'at', 'id', 'outcome']);
  });
});

describe('DynamoDB audit keys and retention', () => {
  it('files an event under its patient, time first in the sort key', () => {
    const event = fullAuditEvent({ at: '2025-06-01T12:00:00.000Z' });
    expect(toAuditItem(event)).toMatchObject({ pk: `PATIENT#${event.patientId}`, sk: `2025-06-01T12:00:00.000Z#${event.id}` });
  });

  it('files an event naming no patient under its UTC day and a shard', () => {
    expect(toAuditItem(minimalAuditEvent({ at: '2025-06-01T23:59:59.999Z' })).pk).toMatch(/^UNATTRIBUTED#2025-06-01#\d\d$/);
    expect(toAuditItem(minimalAuditEvent({ at: '2025-06-02T00:00:00.000Z' })).pk).toMatch(/^UNATTRIBUTED#2025-06-02#\d\d$/);
  });

  it('spreads a day\'s unattributed events over its shards (a flood is not one hot partition); a retried event keeps its key', () => {
    const keys = Array.from({ length: 640 }, () => toAuditItem(minimalAuditEvent({ at: '2025-06-01T12:00:00.000Z' })).pk as string);
    const perShard = new Map<string, number>();
    for (const key of keys) perShard.set(key, (perShard.get(key) ?? 0) + 1);
    expect(new Set(keys)).toEqual(new Set(auditKeys.unattributedDay('2025-06-01')));
    expect(UNATTRIBUTED_SHARDS).toBeGreaterThanOrEqual(16);
    expect(Math.max(...perShard.values())).toBeLessThan(640 / 8); // no shard takes more than a few times its share
    const event = minimalAuditEvent();
    expect(toAuditItem(event).pk).toBe(toAuditItem({ ...event }).pk);
  });

  it('sorts by time even when a writer left out the milliseconds (the key is fixed-width ISO)', () => {
    const event = minimalAuditEvent({ at: '2025-06-01T12:00:00Z' });
    expect(toAuditItem(event)).toMatchObject({ at: '2025-06-01T12:00:00Z', sk: `2025-06-01T12:00:00.000Z#${event.id}` });
  });

  it.each([
    ['2025-06-01T12:00:00.000Z', '2031-07-01T12:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', '2030-03-31T00:00:00.000Z'], // no 29 February in 2030: 1 March, then 30 days
    ['2025-12-15T08:30:00.500Z', '2032-01-14T08:30:00.000Z'],
  ])('keeps an event of %s until %s: 6 calendar years and 30 days, never less than HIPAA\'s 6 years', (at, until) => {
    expect(auditExpiry(at)).toBe(Math.floor(Date.parse(until) / 1000));
    const sixYears = new Date(at);
    sixYears.setUTCFullYear(sixYears.getUTCFullYear() + 6);
    expect(auditExpiry(at) * 1000).toBeGreaterThan(sixYears.getTime());
  });
});
