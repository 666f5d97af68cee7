import { loadConfig } from '../../lib/config.js';
import { linkPage } from '../../lib/http/html-form.js';
import { verifyEmailPages } from '../../lib/http/verify-email-page.js';
import { openLink } from '../../lib/patient/open-link.js';
import { createVerifyEmailPageDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env);
const deps = createVerifyEmailPageDeps(config);

/**
 * GET on the verification link: the page whose form POSTs the token with the password while the link
 * is usable, else what that POST would answer (already used, replaced, expired, unknown). It reads
 * the link's state and writes nothing.
 */
export const handler = linkPage(verifyEmailPages(config.serviceName), (token) => openLink('verification', token, deps));
