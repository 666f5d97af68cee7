import { handler as mailer } from '../../functions/outbox-mailer/handler.js';
import { handler as requestCode } from '../../functions/phone-verification/handler.js';
import { handler as verifyPhone } from '../../functions/phone-verify/handler.js';
import { API_PATHS } from '../../lib/http/routes.js';
import { codeFrom, textsTo } from './local-aws.js';
import { apiEvent, invoke } from './requests.js';

const bearer = (accessToken: string) => ({ 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` });

/** The phone routes through their real handlers, and the outbox mailer's sweep that sends the SMS. */
export const phoneApi = {
  requestCode: (accessToken: string) => invoke(requestCode, apiEvent(undefined, { path: API_PATHS.phoneVerification, headers: bearer(accessToken) })),
  verify: (accessToken: string, body: unknown) => invoke(verifyPhone, apiEvent(body, { path: API_PATHS.phoneVerify, headers: bearer(accessToken) })),
  /** The schedule's sweep (in AWS the stream usually triggers it first): sends what is due. */
  sweep: () => mailer({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as never),
};

/** Asks for a code, lets the outbox send it, and reads it from the local SMS inbox. */
export async function codeSentTo(accessToken: string, phone: string): Promise<string> {
  const response = await phoneApi.requestCode(accessToken);
  if (response.statusCode !== 202) throw new Error(`phone/verification answered ${response.statusCode}`);
  await phoneApi.sweep();
  const texts = await textsTo(phone);
  if (texts.length === 0) throw new Error('no text arrived');
  return codeFrom(texts.at(-1)!);
}
