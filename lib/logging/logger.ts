import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Keys whose values are patient data or secrets. Whatever object reaches the logger, a value under
 * one of these keys is replaced before it is written: a second line of defence behind "log ids only".
 */
const SENSITIVE_KEYS = new Set([
  'password',
  'confirm_password',
  'password_hash',
  'passwordhash',
  'token',
  'token_hash',
  'medical_history',
  'insurance_info',
  'policy_number',
  'email',
  'phone_number',
  'phone',
  'first_name',
  'last_name',
  'name',
  'date_of_birth',
  'address',
  'emergency_contact',
  'body',
  'authorization',
  'cookie',
  'plaintext',
  'data_key',
]);

export const MASK = '***';

export function maskSensitive(key: string, value: unknown): unknown {
  return SENSITIVE_KEYS.has(key.toLowerCase()) && value !== undefined ? MASK : value;
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'patient-registration',
  jsonReplacerFn: maskSensitive,
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
