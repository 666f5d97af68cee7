import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The keys a log line may carry, by name: ids, outcomes, counts, status codes and the error
 * descriptors of describeError. Every other value is masked, at any depth, whatever object reaches
 * the logger: a second line of defence behind "log ids only" that does not depend on anyone listing
 * each new way to name patient data (`to`, `firstName`, `verifyUrl` slipped past the old deny list).
 * Add a key here only for values that can never be patient data or a secret.
 */
const LOGGABLE_KEYS = new Set([
  'patientId',
  'outboxId',
  'kind', // an outbox item's kind: verification_email, resend_request, password_reset_request, password_reset_email, password_changed_email, phone_code_sms, account_notice_email, email_move_email
  'outcome',
  'attempts',
  'statusCode',
  'fields', // schema field names that failed validation (error-mapper keeps client-made names out)
  'driverCode', // a database driver's error code, e.g. PostgreSQL's SQLSTATE (never `code`: the OTP field's name)
  'reason', // a short code chosen in the code: why a sign-in or token failed (wrong_password, reused, …)
  'sessionId', // a refresh-token family's random id (never the token)
  'removed', // how many lapsed registrations a cleanup removed (a count, never who)
  'budget', // which text budget refused a text: service or country (lib/phone/sms-budget.ts), never the number or its country
  // outbox sweep counts (Record<Delivery, number>)
  'sent',
  'not-due',
  'failed',
  // describeError
  'errorName',
  'errorType',
  'httpStatusCode',
  'awsRequestId',
  'stack',
]);

/** What Powertools itself writes at the top of every line (the log message is a constant in the code). */
const POWERTOOLS_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_name',
  'function_request_id',
  'function_arn',
  'function_memory_size',
  'tenant_id',
]);

export const MASK = '***';

const isLoggable = (key: string, topLevel: boolean) => LOGGABLE_KEYS.has(key) || (topLevel && POWERTOOLS_KEYS.has(key));

/**
 * A copy of a log value that keeps only what its key allows. Arrays take their key's verdict for
 * each element (a list of field names); objects inside are filtered key by key. Errors are masked
 * whole: their messages can echo the values they were given, which is what describeError is for.
 */
function keepLoggable(value: unknown, topLevel: boolean, ancestors: object[]): unknown {
  if (value instanceof Error) return MASK;
  if (value === null || typeof value !== 'object') return value;
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return keepLoggable(json.call(value), topLevel, ancestors);
  if (ancestors.includes(value)) return undefined; // a cycle: dropped, as Powertools does
  const inner = [...ancestors, value];
  if (Array.isArray(value)) return value.map((element) => keepLoggable(element, false, inner));
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      isLoggable(key, topLevel) || v === undefined ? keepLoggable(v, false, inner) : MASK,
    ]),
  );
}

/**
 * JSON.stringify calls the replacer first with the key "" and the whole log record: it is filtered
 * there in one pass that knows each key's depth, and every later call only sees what that pass kept.
 */
export function maskUnlisted(key: string, value: unknown): unknown {
  return key === '' ? keepLoggable(value, true, []) : value;
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'patient-registration',
  jsonReplacerFn: maskUnlisted,
});

/**
 * What may be logged about an unexpected error: its class and where it happened. The message is
 * left out on purpose, since SDK and library messages can echo the values they were given.
 */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorType: typeof error };
  const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  return {
    errorName: error.name,
    httpStatusCode: metadata?.httpStatusCode,
    awsRequestId: metadata?.requestId,
    // Frames only: the lines before them are the message, which may run over several lines.
    stack: error.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 5).join('\n'),
  };
}
