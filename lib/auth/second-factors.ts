import { allDone } from '../all-done.js';
import type { PasskeyCredential, PasskeyStore } from '../passkey/ports.js';
import type { HeldFactors, SecondFactorMethod, SecondFactors } from './second-factor-ports.js';
import type { TotpFactor, TotpStore } from './totp-ports.js';

/**
 * The patient's factors from their stores, both read side by side: an authenticator app counts once
 * it is confirmed, a passkey while one is registered. Every place that asks (POST /login, the step-up
 * of the password change, the close, the factor routes of both kinds) gets the same answer, so a
 * passkey holder is asked for a second factor after a password exactly as an app holder is.
 */
export function createSecondFactors(stores: { totp: Pick<TotpStore, 'read'>; passkeys: Pick<PasskeyStore, 'listFor'> }): SecondFactors {
  const heldBy = async (patientId: string): Promise<HeldFactors> => {
    const [app, passkeys] = await allDone<[TotpFactor | undefined, PasskeyCredential[]]>([stores.totp.read(patientId), stores.passkeys.listFor(patientId)]);
    const methods: SecondFactorMethod[] = [];
    if (app?.active) methods.push('totp');
    if (passkeys.length > 0) methods.push('passkey');
    return { methods, passkeys };
  };
  return { heldBy, methodsOf: async (patientId) => (await heldBy(patientId)).methods };
}
