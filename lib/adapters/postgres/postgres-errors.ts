import { unavailableOnTransient } from '../sql/unavailable.js';

/** What both drivers put on a failed statement: the SQLSTATE and, for constraint violations, its name. */
interface PostgresErrorFields {
  code?: unknown;
  constraint?: unknown;
}

export const UNIQUE_VIOLATION = '23505';

/**
 * SQLSTATEs that say "try again later", not "your statement is wrong": connection exceptions (08),
 * serialization failure and deadlock (40001, 40P01), insufficient resources (53: too many
 * connections, out of memory, disk full) and operator intervention (57P01–57P05: shutdown, restart).
 */
const TRANSIENT_SQLSTATE = /^(08...|40001|40P01|53...|57P0[1-5])$/;
/** Node socket errors: the server could not be reached or went away. */
const TRANSIENT_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** pg reports a lost connection and a pool checkout timeout without any code. */
const TRANSIENT_DRIVER_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect)/;

export function isTransientPostgresError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as PostgresErrorFields;
  if (typeof code === 'string') return TRANSIENT_SQLSTATE.test(code) || TRANSIENT_SOCKET.has(code);
  return TRANSIENT_DRIVER_MESSAGE.test(error.message);
}

/** The constraint a unique violation hit, or undefined when the error is something else. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const { code, constraint } = (error ?? {}) as PostgresErrorFields;
  return code === UNIQUE_VIOLATION && typeof constraint === 'string' ? constraint : undefined;
}

/** Runs a database call and turns transient failures into a 503 for the client (as callAws does for DynamoDB). */
export const callPostgres = unavailableOnTransient('postgres', isTransientPostgresError);
