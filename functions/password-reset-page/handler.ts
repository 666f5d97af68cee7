import { loadConfig } from '../../lib/config.js';
import { linkPage } from '../../lib/http/html-form.js';
import { passwordResetPages } from '../../lib/http/password-reset-page.js';
import { openLink } from '../../lib/patient/open-link.js';
import { createPasswordResetPageDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env);
const deps = createPasswordResetPageDeps(config);

/**
 * GET on the reset link: the page whose form POSTs the token with the new password while the link is
 * usable, else what that POST would answer (already used, replaced, expired, unknown). It reads the
 * link's state and writes nothing.
 */
export const handler = linkPage(passwordResetPages(config.serviceName), (token) => openLink('reset', token, deps));
