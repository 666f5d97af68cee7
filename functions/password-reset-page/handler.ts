import { readServiceName } from '../../lib/config.js';
import { linkPage } from '../../lib/http/html-form.js';
import { passwordResetPages } from '../../lib/http/password-reset-page.js';

/** GET on the reset link: the page whose form POSTs the token with the new password. It reads no data. */
export const handler = linkPage(passwordResetPages(readServiceName(process.env)));
