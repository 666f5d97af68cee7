/**
 * Imported first by bench.ts: the logger and the SDK read these when their modules load, before any
 * statement of bench.ts runs. One INFO line per request would interleave with the table (and cost
 * terminal writes a Lambda does not pay the same way); warnings and errors still show. Override with
 * POWERTOOLS_LOG_LEVEL=INFO npm run bench.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
export {};
