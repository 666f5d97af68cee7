/**
 * npm start's LOG_FORMAT, applied before any module that logs is loaded (start.ts imports this file
 * first): Powertools reads POWERTOOLS_LOG_LEVEL when the logger is built, and puts that level back at
 * every invocation, so it cannot be lowered afterwards.
 *
 * compact (the default): one line per request from the local server (method, path, status, ms,
 * request id), and of the functions' own JSON lines only warnings and errors. json: every line the
 * functions write in Lambda. An explicit POWERTOOLS_LOG_LEVEL wins in both.
 */
export const LOG_FORMAT = process.env.LOG_FORMAT || 'compact';
if (LOG_FORMAT === 'compact') process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
