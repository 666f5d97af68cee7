import { describe, expect, it } from 'vitest';
import { matchesFilter, OUTBOX_STREAM_SOURCE, type FilterPattern } from '../../lib/outbox/stream-source.js';

const record = (eventName: string, pk: unknown) => ({ eventName, dynamodb: { Keys: { pk: { S: pk }, sk: { S: 'MAIL' } }, StreamViewType: 'KEYS_ONLY' } });

describe('the outbox stream filter, as Lambda applies it and the local consumer copies it', () => {
  it.each([
    ['an outbox INSERT', record('INSERT', 'OUTBOX#1'), true],
    ['an outbox MODIFY (a claim, a send)', record('MODIFY', 'OUTBOX#1'), false],
    ['an outbox REMOVE', record('REMOVE', 'OUTBOX#1'), false],
    ['a patient INSERT', record('INSERT', 'PATIENT#1'), false],
    ['a key that only contains the prefix', record('INSERT', 'X-OUTBOX#1'), false],
    ['a key that is not a string', record('INSERT', 7), false],
    ['a record without keys', { eventName: 'INSERT', dynamodb: {} }, false],
  ])('%s: %s', (_case, candidate, expected) => {
    expect(matchesFilter(OUTBOX_STREAM_SOURCE.filterPattern, candidate)).toBe(expected);
  });

  it('knows exists, on both sides', () => {
    const pattern: FilterPattern = { dynamodb: { NewImage: [{ exists: false }] } };
    expect(matchesFilter(pattern, { dynamodb: {} })).toBe(true);
    expect(matchesFilter(pattern, { dynamodb: { NewImage: {} } })).toBe(false);
  });

  it('refuses an operator it does not implement instead of guessing what Lambda would do', () => {
    const pattern = { eventName: [{ 'anything-but': ['REMOVE'] }] } as unknown as FilterPattern;
    expect(() => matchesFilter(pattern, { eventName: 'INSERT' })).toThrow(/not implemented by the local stream consumer/);
  });
});
