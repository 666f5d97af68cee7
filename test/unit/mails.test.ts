import { describe, expect, it } from 'vitest';
import { renderMail } from '../../lib/mail/render-mail.js';
import { addressOf, senderMailbox } from '../../lib/mail/sender.js';
import { composePasswordChangedMail, composePasswordResetMail } from '../../lib/password/password-mails.js';
import { composeVerificationMail } from '../../lib/patient/verification-mail.js';
import { composeEmailMoveMail } from '../../lib/record/email-move-mail.js';
import { composeAccountNotice } from '../../lib/record/notice-mails.js';

const SERVICE = 'Riverside Clinic';
const url = 'https://x.test/verify?token=abc&x=1';

/** RFC 2047 "B" encoded words back to text. */
const decodeWords = (header: string) =>
  header.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=\s*/g, (_m, b64: string) => Buffer.from(b64, 'base64').toString('utf8')).trim();

describe('the sender', () => {
  it.each([
    ['Patient Registration', '"Patient Registration" <no-reply@clinic.test>'],
    // A quote or backslash in the name cannot close the quoted string and smuggle in another address.
    ['Clinic "A" <evil@x.test>', '"Clinic \\"A\\" <evil@x.test>" <no-reply@clinic.test>'],
    ['Back\\slash', '"Back\\\\slash" <no-reply@clinic.test>'],
  ])('puts the ASCII name %j in a quoted string', (name, mailbox) => {
    expect(senderMailbox(name, 'no-reply@clinic.test')).toBe(mailbox);
    expect(addressOf(mailbox)).toBe('no-reply@clinic.test');
  });

  it.each(['Clínica Süd', 'Praxis Dr. Müller — Anmeldung für Patientinnen und Patienten', '病院の患者登録サービス', 'Clinic 🏥 Care'])('encodes the name %j as RFC 2047 words of at most 75 characters', (name) => {
    const mailbox = senderMailbox(name, 'no-reply@clinic.test');
    expect(mailbox).toMatch(/^(=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= )+<no-reply@clinic\.test>$/);
    for (const word of mailbox.split(' ').slice(0, -1)) expect(word.length).toBeLessThanOrEqual(75);
    expect(mailbox).toMatch(/^[\x20-\x7e]+$/);
    expect(decodeWords(mailbox.replace(/ <[^>]+>$/, ''))).toBe(name);
    expect(addressOf(mailbox)).toBe('no-reply@clinic.test');
  });
});

describe('a mail', () => {
  const mail = renderMail(SERVICE, {
    subject: 'Subject <b>',
    firstName: 'Jane <script>',
    intro: ['First paragraph & more.'],
    action: { label: 'Do it', url },
    outro: ['Last paragraph.'],
  });

  it('says the same in its text part as in its HTML part: greeting, paragraphs, the link, the sender', () => {
    expect(mail.text).toBe([
      'Hello Jane <script>,',
      'First paragraph & more.',
      `Do it:\n${url}`,
      'Last paragraph.',
      `-- \nThis email was sent by ${SERVICE}. Replies to this address are not read.`,
    ].join('\n\n'));
    for (const text of ['Hello Jane &lt;script&gt;,', 'First paragraph &amp; more.', 'Last paragraph.', `This email was sent by ${SERVICE}.`, '>Do it</a>']) {
      expect(mail.html).toContain(text);
    }
    expect(mail.html).toContain(`href="https://x.test/verify?token=abc&amp;x=1"`);
  });

  it('escapes what it is given and names the service at the top, in a sans-serif font', () => {
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('<title>Subject &lt;b&gt;</title>');
    expect(mail.html).toMatch(new RegExp(`font-family:[^;"]*sans-serif[^>]*>${SERVICE}</td>`));
  });

  it.each([
    ['verification', composeVerificationMail({ to: 'a@b.test', verifyUrl: url }, SERVICE), 'Confirm my email'],
    ['reset', composePasswordResetMail({ to: 'a@b.test', resetUrl: url }, SERVICE), 'Choose a new password'],
  ])('the %s mail carries the service name, the link, and what to do next, and greets no one by name (the address is unproven)', (_name, composed, label) => {
    expect(composed.text).toContain(SERVICE);
    expect(composed.text).toMatch(/^Hello,\n/);
    expect(composed.text).toContain(`${label}:\n${url}`);
    expect(composed.text).toMatch(/expires in (24 hours|30 minutes)/);
    expect(composed.text).toMatch(/If you did not (register|ask for it), ignore this email/);
  });

  const CHANGED_AT = '2026-12-07T03:14:00.000Z';
  const changedMail = (sessionsEnded: 'all' | 'others') =>
    composePasswordChangedMail({ to: 'a@b.test', firstName: 'Jane', changedAt: CHANGED_AT, sessionsEnded }, SERVICE);

  it.each(['all', 'others'] as const)('the "password changed" mail (sessions ended: %s) names the service, the time, and what to do if it was not the patient, with no link', (ended) => {
    const changed = changedMail(ended);
    expect(changed.text).toContain(`your ${SERVICE} account`);
    expect(changed.text).toContain('Monday, 7 December 2026 at 03:14 UTC');
    expect(changed.text).toMatch(/If this was not you, .*request a password reset from the sign-in page.*contact the clinic/);
    expect(changed.html).not.toMatch(/href|https?:/);
  });

  it('after a reset it says every device was signed out, and to secure the mailbox first; after a change, every other device', () => {
    const afterReset = changedMail('all').text;
    expect(afterReset).toContain('every device signed in to your account was signed out');
    expect(afterReset).not.toContain('every other');
    expect(afterReset).toContain("change your email account's password first");
    expect(changedMail('others').text).toContain('every other device signed in to your account was signed out');
  });
});

describe('the contact-move mails (issue 20)', () => {
  it('the move link goes with what it does, its 30 minutes, the password the page asks for, and nothing the patient typed', () => {
    const mail = composeEmailMoveMail({ to: 'new@x.test', confirmUrl: url }, SERVICE);
    expect(mail.subject).toBe('Confirm your new email address');
    expect(mail.text).toContain(url);
    expect(mail.text).toContain('expires in 30 minutes');
    expect(mail.text).toContain("enter the account's password");
    expect(mail.text).toContain('ignore this email: nothing changes');
  });

  it.each([
    ['email_move_requested', 'A change of your email address was asked for'],
    ['email_moved', 'Your email address was changed'],
    ['email_move_refused', 'Someone tried to use your email address'],
    ['phone_moved', 'Your phone number was changed'],
  ] as const)('the %s notice: its subject, and no link', (notice, subject) => {
    const mail = composeAccountNotice(notice, SERVICE);
    expect(mail.subject).toBe(subject);
    expect(mail.text).not.toMatch(/https?:\/\//);
  });
});
