import type { ChangedMail, ResetMail } from '../patient/ports.js';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The reset mail: the first name and the link only, no other patient data. */
export function composePasswordResetMail(mail: ResetMail): { subject: string; text: string; html: string } {
  const subject = 'Reset your password';
  const closing = 'The link works once and expires in 30 minutes. If you did not ask for it, ignore this email: your password stays as it is.';
  const text = [`Hello ${mail.firstName},`, '', 'To choose a new password, open this link:', mail.resetUrl, '', closing].join('\n');
  const name = escapeHtml(mail.firstName);
  const url = escapeHtml(mail.resetUrl);
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello ${name},</p>
<p>To choose a new password:</p>
<p><a href="${url}" style="display:inline-block;padding:10px 16px;background:#0b5fff;color:#fff;text-decoration:none;border-radius:4px">Choose a new password</a></p>
<p>Or open this link: <a href="${url}">${url}</a></p>
<p>${escapeHtml(closing)}</p>
</body></html>`;
  return { subject, text, html };
}

/**
 * "Your password was changed": a notice with no link at all, so it cannot be turned into a way in
 * (a link here would be one more thing a phisher can imitate, and the patient can act through the app).
 */
export function composePasswordChangedMail(mail: ChangedMail): { subject: string; text: string; html: string } {
  const subject = 'Your password was changed';
  const body = 'The password of your patient account was just changed, and every other signed-in device was signed out.';
  const advice = 'If this was not you, request a password reset from the sign-in page and contact the clinic.';
  const text = [`Hello ${mail.firstName},`, '', body, '', advice].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<p>Hello ${escapeHtml(mail.firstName)},</p>
<p>${escapeHtml(body)}</p>
<p>${escapeHtml(advice)}</p>
</body></html>`;
  return { subject, text, html };
}
