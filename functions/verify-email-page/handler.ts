import { readServiceName } from '../../lib/config.js';
import { htmlPage, htmlRead } from '../../lib/http/html-form.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';

const pages = verifyEmailPages(readServiceName(process.env));

/** GET on the verification link: the page whose form POSTs the token with the password. It reads no data. */
export const handler = htmlRead(async (event) =>
  event.queryStringParameters?.token ? htmlPage(200, pages.form()) : htmlPage(400, pages.missingToken()));
