/**
 * The From mailbox with a display name (RFC 5322 §3.4): `"Patient Registration" <no-reply@…>`.
 * ASCII names go in a quoted string (backslash and double quote escaped, so a name cannot end the
 * quote and add an address); any other name as RFC 2047 encoded words, which SES requires for
 * non-ASCII display names. SERVICE_NAME has no line breaks (lib/config.ts): no header can be injected.
 */
export function senderMailbox(displayName: string, address: string): string {
  // Printable ASCII only; anything else (including a tab) goes encoded.
  if (/^[\x20-\x7e]*$/.test(displayName)) return `"${displayName.replace(/[\\"]/g, '\\$&')}" <${address}>`;
  return `${encodedWords(displayName)} <${address}>`;
}

/** An encoded word may be 75 characters long (RFC 2047 §2): 45 bytes of UTF-8 per word, never splitting a character. */
const MAX_WORD_BYTES = 45;

function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    if (Buffer.byteLength(chunk + char, 'utf8') > MAX_WORD_BYTES) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join(' ');
}

/** The address of a mailbox `Name <address>` (or a bare address): what SES's ses:FromAddress condition sees. */
export const addressOf = (mailbox: string) => /<([^<>]+)>\s*$/.exec(mailbox)?.[1] ?? mailbox;
