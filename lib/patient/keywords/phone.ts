import { normalizePhone } from '../normalize.js';
import { keyword } from './keyword.js';

/** libphonenumber-js and its metadata come with this module only. */
export const e164Phone = keyword('e164Phone', (_s, phone: string) =>
  normalizePhone(phone) ? [] : ['Must be an international phone number such as +14155552671'],
);
