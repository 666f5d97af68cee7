/** The patients table as PostgreSQL reads it; the row mapping is shared with MySQL (../sql/patient-row.ts). */
export { fromPatientRow, toPatientRow } from '../sql/patient-row.js';

/**
 * Whether a registration has lapsed by `clock` (SQL). Like token expiry (and the DynamoDB adapter's
 * epoch-second TTL) it has whole-second resolution: lapsed from the start of the second lapses_at
 * falls in, so both stores answer alike.
 */
export const lapsedBy = (clock: string) => `(lapses_at IS NOT NULL AND lapses_at < date_trunc('second', ${clock}) + interval '1 second')`;
/** A lapsed registration reads as absent from the moment it lapses, before the cleanup removes it. */
export const LIVE = `NOT ${lapsedBy('now()')}`;

/** Reads dates as text (birth_date, as fromPatientRow wants it) and bytea as bytes, identically under pg and PGlite. Lapsed rows included. */
export const SELECT_PATIENT = `SELECT *, to_char(date_of_birth, 'YYYY-MM-DD') AS birth_date FROM patients WHERE id = $1`;
/** SELECT_PATIENT of a patient that has not lapsed. */
export const SELECT_LIVE_PATIENT = `${SELECT_PATIENT} AND ${LIVE}`;
