import { loadConfig } from '../../lib/config.js';
import { emailMovePages } from '../../lib/http/email-move-page.js';
import { linkPage } from '../../lib/http/html-form.js';
import { openEmailMoveLink } from '../../lib/record/move-email.js';
import { createMeEmailConfirmPageDeps } from '../../lib/wiring.js';

const config = loadConfig(process.env);
const deps = createMeEmailConfirmPageDeps(config);

/**
 * GET on the email-move link: the page whose form POSTs the token with the account's password while
 * the link is usable, else what that POST would answer. It reads the link's state and writes nothing.
 */
export const handler = linkPage(emailMovePages(config.serviceName), (token) => openEmailMoveLink(token, deps));
