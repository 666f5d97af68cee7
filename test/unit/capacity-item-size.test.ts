import { describe, expect, it } from 'vitest';
import { attributesBytes, numberBytes, pseudonym, valueBytes } from '../support/capacity-capture.js';

/** The capacity recorder's DynamoDB item sizes (issue 23 item 3): what the units are computed from. */
describe('DynamoDB item sizes', () => {
  it.each([
    ['a string: its UTF-8 bytes', { S: 'abc' }, 3],
    ['a non-ASCII string', { S: 'é' }, 2],
    ['a number: a byte per two significant digits, plus one', { N: '123' }, 3],
    ['leading and trailing zeros do not count', { N: '-0.0100' }, 2],
    ['a boolean', { BOOL: true }, 1],
    ['a null', { NULL: true }, 1],
    ['binary: its bytes', { B: new Uint8Array(5) }, 5],
    ['a string set: its members', { SS: ['a', 'bc'] }, 3],
    ['a list: 3 bytes, and 1 per element', { L: [{ S: 'ab' }] }, 6],
    ['a map: 3 bytes, and per element 1 plus its name', { M: { a: { S: 'xy' } } }, 7],
    ['an empty map', { M: {} }, 3],
  ])('%s', (_, value, bytes) => expect(valueBytes(value)).toBe(bytes));

  it('an item: each attribute name and value', () => {
    expect(attributesBytes({ pk: { S: 'PATIENT#1' }, n: { N: '5' } })).toBe(2 + 9 + 1 + 2);
    expect(attributesBytes({ pk: { S: 'PATIENT#1' }, n: { N: '5' } }, ['pk', 'missing'])).toBe(11);
    expect(numberBytes('1e5')).toBe(2);
  });

  it('keeps key values comparable without keeping them: literals as they are, the rest hashed behind its prefix', () => {
    expect(pseudonym({ S: 'OUTBOX' })).toBe('OUTBOX');
    expect(pseudonym({ S: 'PATIENT#0b6f' })).toMatch(/^PATIENT#~[0-9a-f]{10}$/);
    expect(pseudonym({ S: 'PATIENT#0b6f' })).toBe(pseudonym({ S: 'PATIENT#0b6f' }));
    expect(pseudonym({ S: 'PATIENT#0b6f' })).not.toBe(pseudonym({ S: 'PATIENT#0b70' }));
    expect(pseudonym({ S: 'OUTBOX#7' })).not.toBe(pseudonym({ S: 'OUTBOX#8' }));
  });
});
