import { acrOf, type SignInAssurance } from '../../auth/assurance.js';

/** The family row's sign-in columns (amr space-separated: RFC 8176 values hold no spaces). */
export interface AssuranceColumns {
  amr: string | null;
  auth_time: Date | string | null;
  acr: string | null;
}

export function assuranceColumns(assurance: SignInAssurance | undefined): AssuranceColumns {
  if (!assurance) return { amr: null, auth_time: null, acr: null };
  return { amr: assurance.amr.join(' '), auth_time: assurance.authTime, acr: assurance.acr };
}

/** The stored sign-in; undefined for a family started before it was kept. acr follows amr, as when it was written. */
export function assuranceFromColumns(row: AssuranceColumns): SignInAssurance | undefined {
  if (row.amr === null || row.auth_time === null) return undefined;
  const amr = row.amr.split(' ').filter(Boolean);
  return { amr, authTime: new Date(row.auth_time), acr: acrOf(amr) };
}
