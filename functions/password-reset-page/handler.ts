import { readServiceName } from '../../lib/config.js';
import { htmlPage, htmlRead } from '../../lib/http/html-form.js';
import { passwordResetPages } from '../../lib/http/password-reset-page.js';

const pages = passwordResetPages(readServiceName(process.env));

/** GET on the reset link: the page whose form POSTs the token with the new password. It reads no data. */
export const handler = htmlRead(async (event) =>
  event.queryStringParameters?.token ? htmlPage(200, pages.form()) : htmlPage(400, pages.missingToken()));
