/** Headers every JSON answer carries; security headers are added by @middy/http-security-headers. */
export const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
} as const;

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A stored answer given again for a retried Idempotency-Key (lib/idempotency), marked as such. */
export function replayedResponse(stored: { statusCode: number; body: string }): HttpResponse {
  return { statusCode: stored.statusCode, headers: { ...JSON_HEADERS, 'Idempotent-Replayed': 'true' }, body: stored.body };
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** The spec's error envelope: `{ success: false, message, errors? }`. */
export function errorResponse(statusCode: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return jsonResponse(statusCode, { success: false, message, ...extra }, headers);
}
