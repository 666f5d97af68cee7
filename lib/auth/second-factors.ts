import type { SecondFactorMethod, SecondFactors } from './second-factor-ports.js';
import type { TotpStore } from './totp-ports.js';

/** The patient's factors from their stores: an authenticator app counts once it is confirmed. */
export function createSecondFactors(stores: { totp: Pick<TotpStore, 'read'> }): SecondFactors {
  return {
    async methodsOf(patientId) {
      const methods: SecondFactorMethod[] = [];
      if ((await stores.totp.read(patientId))?.active) methods.push('totp');
      return methods;
    },
  };
}
