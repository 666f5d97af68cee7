import { escapeHtml } from '../escape-html.js';

/**
 * What a mail says, once: the plain-text part and the HTML part are both rendered from it, so the two
 * cannot tell the patient different things.
 */
export interface MailContent {
  subject: string;
  /**
   * The first name the patient gave: the only patient data a mail carries, and only in mails to an
   * address that has proven itself (lib/patient/ports.ts, VerificationMail); without it, "Hello,".
   */
  firstName?: string;
  /** Paragraphs before the link. */
  intro: readonly string[];
  /** The one thing to do, as a button (HTML) or a labelled link line (text). */
  action?: { label: string; url: string };
  /** Paragraphs after it: what the link does, and what to do if this was not the patient. */
  outro: readonly string[];
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Sans-serif the patient's mail client has; mail clients ignore a page's <style>, so styles sit on each element. */
const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const paragraph = (text: string) => `<p style="margin:0 0 16px">${escapeHtml(text)}</p>`;

const footerOf = (serviceName: string) => `This email was sent by ${serviceName}. Replies to this address are not read.`;

export function renderMail(serviceName: string, content: MailContent): RenderedMail {
  const greeting = content.firstName === undefined ? 'Hello,' : `Hello ${content.firstName},`;
  const footer = footerOf(serviceName);
  const { action } = content;
  const text = [
    greeting,
    ...content.intro,
    ...(action ? [`${action.label}:\n${action.url}`] : []),
    ...content.outro,
    `-- \n${footer}`,
  ].join('\n\n');

  const url = action && escapeHtml(action.url);
  const button = action
    ? `<p style="margin:24px 0"><a href="${url}" style="display:inline-block;padding:12px 22px;background:#0b5fff;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${escapeHtml(action.label)}</a></p>
<p style="margin:0 0 16px;font-size:14px;color:#52606d">If the button does not work, copy this link into your browser:<br><a href="${url}" style="color:#0b5fff;word-break:break-all">${url}</a></p>`
    : '';
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(content.subject)}</title></head>
<body style="margin:0;padding:0;background:#f3f5f8">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f3f5f8"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:560px;background:#ffffff;border:1px solid #dde2e8;border-radius:8px">
<tr><td style="padding:18px 28px;border-bottom:1px solid #dde2e8;font-family:${FONT};font-size:15px;font-weight:600;color:#0b3d91">${escapeHtml(serviceName)}</td></tr>
<tr><td style="padding:24px 28px 8px;font-family:${FONT};font-size:16px;line-height:1.5;color:#1f2933">
${[greeting, ...content.intro].map(paragraph).join('\n')}
${button}
${content.outro.map(paragraph).join('\n')}
</td></tr>
<tr><td style="padding:16px 28px;border-top:1px solid #dde2e8;font-family:${FONT};font-size:13px;line-height:1.4;color:#616e7c">${escapeHtml(footer)}</td></tr>
</table></td></tr></table>
</body></html>`;
  return { subject: content.subject, text, html };
}
