import { ValidationError, type AppError } from '../errors.js';
import type { LinkState } from '../patient/ports.js';
import type { FormResult } from './html-form.js';
import { renderPage, type PageForm } from './page.js';

/**
 * A page behind a link in a mail (verify the email, reset the password), in every state the patient
 * can meet. Opening it changes nothing (mail scanners prefetch links), but it reads the link's state:
 * a used, replaced, expired or unknown link says so at once, with what its POST would answer, and
 * only a usable one shows the form. Its form POSTs to the page's
 * own address, the token in the query string (never echoed into the HTML), and the answer is the
 * next page. A link that can no longer be used leads to a form asking for a new one: the email
 * posted to resend-verification or password/forgot, whose answer does not tell whether the address
 * has an account.
 */
export interface TokenFormPage {
  title: string;
  intro: string;
  form: Omit<PageForm, 'action' | 'intro'>;
  /** What the patient does next once the link did its work. */
  done: { title: string; next: readonly string[] };
  /**
   * Where a new link comes from (relative to the page's path), and what the page then says; or, for a
   * link only a signed-in patient can ask for again (an email move), what to do instead.
   */
  newLink: { action: string; intro: string; buttonText: string; sentNext: readonly string[] } | { signedIn: readonly string[] };
  /** The message of a page opened without a token (a link cut short). */
  missingToken: string;
  /** What an answer means: the link did its work, it cannot be used, try again, or nothing more to do here. */
  verdict(result: FormResult): 'done' | 'new-link' | 'retry' | 'end';
  /** The error the link's POST answers for a link in this state: its page is what opening the link shows. */
  refusal(state: Exclude<LinkState, 'usable'>): AppError & { statusCode: number };
}

export interface TokenFormPages {
  /** The page of the link, opened: the form while the link is usable, else what its POST would answer. */
  opened(state: LinkState): string;
  /** The link's form. */
  form(): string;
  /** The page opened without a token. */
  missingToken(): string;
  /** The answer to the link's form. */
  result(result: FormResult): string;
  /** The answer to the form that asks for a new link. */
  newLinkResult(result: FormResult): string;
}

const LINK_UNUSABLE_TITLE = 'This link cannot be used';
const LINK_USED_TITLE = 'This link was already used';
const NEW_LINK_SENT_TITLE = 'Check your inbox';
const NEW_LINK_TITLE = 'Get a new link';

/** A token the schema refuses (cut short, mangled by a mail client) is as unusable as an unknown one. */
export const isTokenRefused = (error: unknown) => error instanceof ValidationError && 'token' in error.errors;

export function tokenFormPages(serviceName: string, page: TokenFormPage): TokenFormPages {
  const tokenForm: PageForm = { ...page.form, intro: page.intro };
  const { newLink } = page;
  const newLinkForm: PageForm | undefined = 'signedIn' in newLink ? undefined : {
    id: 'new-link',
    action: newLink.action,
    intro: newLink.intro,
    fields: [{ name: 'email', label: 'Your email address', type: 'email', autocomplete: 'email', maxLength: 254 }],
    buttonId: 'send-link',
    buttonText: newLink.buttonText,
    busyText: 'Sending…',
  };
  // No form where a new link is asked for signed in: what to do instead.
  const instead = newLinkForm ? { form: newLinkForm } : { paragraphs: 'signedIn' in newLink ? newLink.signedIn : [] };
  const unusable = (message: string) =>
    renderPage(serviceName, { title: LINK_UNUSABLE_TITLE, result: { tone: 'error', message }, ...instead });
  const pages: TokenFormPages = {
    opened(state) {
      if (state === 'usable') return pages.form();
      const error = page.refusal(state);
      const result = { statusCode: error.statusCode, message: error.message, error };
      // A used link did its work once (the email verified, a password set): news, not an error,
      // even where the page goes on to offer a new link.
      if (state === 'used' && page.verdict(result) === 'new-link') {
        return renderPage(serviceName, { title: LINK_USED_TITLE, result: { tone: 'ok', message: error.message }, ...instead });
      }
      return pages.result(result);
    },
    form: () => renderPage(serviceName, { title: page.title, form: tokenForm }),
    missingToken: () => unusable(page.missingToken),
    result(result) {
      const { message } = result;
      switch (page.verdict(result)) {
        case 'done':
          return renderPage(serviceName, { title: page.done.title, result: { tone: 'ok', message }, paragraphs: page.done.next });
        case 'new-link':
          return unusable(message);
        case 'end':
          return renderPage(serviceName, { title: page.title, result: { tone: 'error', message } });
        case 'retry':
          // The form again with its hint (the password rules): the error alone does not say them all.
          return renderPage(serviceName, { title: page.title, result: { tone: 'error', message }, form: tokenForm });
      }
    },
    newLinkResult: ({ statusCode, message }) =>
      statusCode < 300
        ? renderPage(serviceName, { title: NEW_LINK_SENT_TITLE, result: { tone: 'ok', message }, paragraphs: 'sentNext' in newLink ? newLink.sentNext : [] })
        : renderPage(serviceName, { title: NEW_LINK_TITLE, result: { tone: 'error', message }, ...instead }),
  };
  return pages;
}
