import { readServiceName } from '../../lib/config.js';
import { linkPage } from '../../lib/http/html-form.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';

/** GET on the verification link: the page whose form POSTs the token with the password. It reads no data. */
export const handler = linkPage(verifyEmailPages(readServiceName(process.env)));
