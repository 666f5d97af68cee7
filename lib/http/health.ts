/** What GET /api/v1/health answers (functions/health/handler.ts); `npm start` waits for exactly this (lib/local/readiness.ts). */
export const HEALTHY = { success: true, message: 'OK', data: { status: 'ok' } } as const;
