import type { ErrorObject } from 'ajv';
import type { FieldErrors } from '../errors.js';

/** "/address/zip" → "address.zip"; array items keep their index ("medical_history.3"). */
function dotted(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.join('.');
}

function label(key: string): string {
  const last = key.split('.').at(-1) ?? key;
  if (/^\d+$/.test(last)) return 'Entry';
  const words = last.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const FORMAT_MESSAGES: Record<string, string> = {
  email: 'Must be a valid email address',
  date: 'Must be a valid date in YYYY-MM-DD format',
};

/** Patterns in words: ajv's own "must match pattern …" would show a regular expression to a patient. */
const PATTERN_MESSAGES: Record<string, string> = {
  '^[0-9]{6}$': 'Must be the 6 digits from the text message',
  '^\\d{6}$': 'Must be the 6 digits your authenticator app shows',
  '^[0-9A-Za-z -]+$': 'Must be a recovery code as printed (letters, digits and hyphens)',
};

function describe(error: ErrorObject, key: string, data: unknown, serverOwned: ReadonlySet<string>): string {
  const p = error.params as Record<string, any>;
  switch (error.keyword) {
    case 'required':
      return `${label(key)} is required`;
    case 'type':
      return `Must be ${p.type === 'array' || p.type === 'object' ? 'an' : 'a'} ${p.type}`;
    case 'minLength':
      return data === '' ? `${label(key)} is required` : `Must be at least ${p.limit} characters`;
    case 'maxLength':
      return `Must be at most ${p.limit} characters`;
    case 'maxItems':
      return `Must have at most ${p.limit} entries`;
    case 'pattern':
      // An empty value already has its "is required" from minLength; one message per problem.
      return data === '' ? `${label(key)} is required` : PATTERN_MESSAGES[p.pattern] ?? 'Has an invalid format';
    case 'format':
      return FORMAT_MESSAGES[p.format] ?? 'Has an invalid format';
    case 'enum':
      return `Must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
    // Only the second-factor requests count their properties: exactly one of code or recovery_code.
    case 'minProperties':
    case 'maxProperties':
      return 'Send either code or recovery_code (exactly one)';
    case 'additionalProperties':
      return serverOwned.has(p.additionalProperty) && !key.includes('.') ? 'Cannot be set by the client' : 'Unknown field';
    default:
      return error.message ?? 'Is invalid';
  }
}

function valueAt(root: unknown, instancePath: string): unknown {
  let node: any = root;
  for (const part of instancePath.split('/').slice(1)) node = node?.[part];
  return node;
}

/**
 * Every failing field at once, in the spec's envelope shape: `{ "address.zip": ["…"] }`. A top-level
 * field in `serverOwned` (the caller's domain says which) is named as one the client cannot set.
 */
export function toFieldErrors(errors: ErrorObject[], data: unknown, serverOwned: ReadonlySet<string> = new Set()): FieldErrors {
  // A Map, then fromEntries: a "__proto__" key from the client must stay an ordinary key.
  const fields = new Map<string, string[]>();
  for (const error of errors) {
    const p = error.params as Record<string, any>;
    const child = error.keyword === 'required' ? p.missingProperty : error.keyword === 'additionalProperties' ? p.additionalProperty : undefined;
    const key = dotted(error.instancePath, child) || 'body';
    const message = key === 'body' && error.keyword === 'type' ? 'Request body must be a JSON object' : describe(error, key, valueAt(data, error.instancePath), serverOwned);
    const list = fields.get(key) ?? [];
    if (!list.includes(message)) list.push(message);
    fields.set(key, list);
  }
  return Object.fromEntries(fields);
}
