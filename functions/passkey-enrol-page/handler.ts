import { readServiceName } from '../../lib/config.js';
import { passkeyEnrolPage } from '../../lib/http/passkey-pages.js';

/** GET /passkeys/enrol: the page that adds a passkey (its script calls the JSON API). Reads nothing. */
export const handler = passkeyEnrolPage(readServiceName());
