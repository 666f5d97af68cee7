import type { VerificationMail } from './ports.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The verification email. It carries the first name and the link only, no other patient data. */
export function composeVerificationMail(mail: VerificationMail): { subject: string; text: string; html: string } {
  const subject = 'Confirm your email address';
  const text = [
    `Hello ${mail.firstName},`,
    '',
    'Please confirm your email address by opening this link:',
    mail.verifyUrl,
    '',
    'The link works once and expires in 24 hours. If you did not register, ignore this email.',
  ].join('\n');
  const name = escapeHtml(mail.firstName);
  const url = escapeHtml(mail.verifyUrl);
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello ${name},</p>
<p>Please confirm your email address:</p>
<p><a href="${url}" style="display:inline-block;padding:10px 16px;background:#0b5fff;color:#fff;text-decoration:none;border-radius:4px">Confirm my email</a></p>
<p>Or open this link: <a href="${url}">${url}</a></p>
<p>The link works once and expires in 24 hours. If you did not register, ignore this email.</p>
</body></html>`;
  return { subject, text, html };
}
