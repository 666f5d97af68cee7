import { readServiceName } from '../../lib/config.js';
import { passkeySignInPage } from '../../lib/http/passkey-pages.js';

/** GET /passkeys/sign-in: the page that signs in with a passkey (its script calls the JSON API). Reads nothing. */
export const handler = passkeySignInPage(readServiceName());
