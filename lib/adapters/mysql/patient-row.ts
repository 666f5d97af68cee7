import type { PatientRecord } from '../../patient/ports.js';
import { toPatientRow } from '../sql/patient-row.js';

export { fromPatientRow } from '../sql/patient-row.js';

/** The patient columns that are DATETIME(3): sent as Dates, which mysql2 writes as UTC (`timezone: 'Z'`). */
const DATETIME_COLUMNS = ['created_at', 'updated_at', 'lapses_at'];

/** toPatientRow with its ISO timestamps as Dates: MySQL rejects the ISO 'T…Z' form in a DATETIME (MariaDB) or reads it by its own rules (MySQL 8). */
export function toMysqlPatientRow(patient: PatientRecord): Record<string, unknown> {
  const row = toPatientRow(patient);
  for (const column of DATETIME_COLUMNS) if (typeof row[column] === 'string') row[column] = new Date(row[column] as string);
  return row;
}

/** The start of the second `at` falls in: expiry has whole-second resolution, as in the other stores. */
export const toSecond = (at: Date) => new Date(Math.floor(at.getTime() / 1000) * 1000);
/** The start of the next second: a lapses_at before it has lapsed by `at`. */
export const nextSecond = (at: Date) => new Date(toSecond(at).getTime() + 1000);

/**
 * Whether a registration has lapsed before `line` (SQL: the start of the second after the clock).
 * Like token expiry it has whole-second resolution: lapsed from the start of the second lapses_at
 * falls in, so every store answers alike. NOW() has no fraction (it is truncated to the second, in the
 * session's zone: UTC), so NOW() + 1 s is the line for the database's own clock.
 */
export const lapsedBefore = (line: string) => `(lapses_at IS NOT NULL AND lapses_at < ${line})`;
/** Lapsed by the database's clock. */
export const LAPSED_NOW = lapsedBefore('NOW() + INTERVAL 1 SECOND');
/** A lapsed registration reads as absent from the moment it lapses, before the cleanup removes it. */
export const LIVE = `NOT ${LAPSED_NOW}`;

/** Reads date_of_birth as 'YYYY-MM-DD' text (birth_date, as fromPatientRow wants it). Lapsed rows included. */
export const SELECT_PATIENT = "SELECT *, DATE_FORMAT(date_of_birth, '%Y-%m-%d') AS birth_date FROM patients WHERE id = :id";
/** SELECT_PATIENT of a patient that has not lapsed. */
export const SELECT_LIVE_PATIENT = `${SELECT_PATIENT} AND ${LIVE}`;

/** A 0/1 (or boolean) that MySQL returns for a comparison in a SELECT list. */
export const yes = (value: unknown) => Number(value) === 1;
