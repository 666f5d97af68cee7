/** Emails are stored and compared trimmed and lowercased, so case variants collide. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

const PHONE_SEPARATORS = /[\s\-.()]/g;
const E164 = /^\+[1-9]\d{7,14}$/;

/** E.164 form of a phone number, ignoring spaces, dashes, dots and parentheses; undefined when not E.164. */
export function normalizePhone(phone: string): string | undefined {
  const compact = phone.replace(PHONE_SEPARATORS, '');
  return E164.test(compact) ? compact : undefined;
}

const UNTRIMMED_KEYS = new Set(['password', 'confirm_password']);
const MAX_TRIM_DEPTH = 4;

/**
 * Copy of a parsed body with every string trimmed, so that blank counts as missing. Passwords are
 * left as typed (a space is a legal password character). Depth is bounded: anything deeper than the
 * schema goes is returned untouched and refused by the schema.
 */
export function trimStrings(value: unknown, depth = 0, key = ''): unknown {
  if (typeof value === 'string') return UNTRIMMED_KEYS.has(key) ? value : value.trim();
  if (depth >= MAX_TRIM_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => trimStrings(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // defineProperty keeps a "__proto__" key an ordinary field for the schema to refuse.
    Object.defineProperty(copy, k, { value: trimStrings(v, depth + 1, k), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}
