/**
 * How the table's stream feeds the outbox mailer, in one place: the CDK event source mapping
 * (infra/stacks/stateless-stack.ts) and the local stream consumer (lib/local/stream-consumer.ts)
 * both read it, so what triggers a delivery locally is what triggers it in AWS.
 */
export const OUTBOX_STREAM_SOURCE = {
  /** Records per invocation. */
  batchSize: 10,
  /** Retries of a batch (from its first failed record) before it is left to the sweep. */
  retryAttempts: 3,
  /**
   * The Lambda event filter pattern (the JSON that `FilterCriteria.filter` serialises): only a
   * newly written outbox item invokes the mailer. Patient, token, reservation, idempotency and
   * rate-limit writes, and every MODIFY/REMOVE (the mailer's own claims and sends are MODIFYs), are
   * dropped. On Keys: a KEYS_ONLY stream carries nothing else.
   */
  filterPattern: {
    eventName: ['INSERT'],
    dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] } } },
  },
} as const;

type Matcher = string | number | null | { prefix: string } | { exists: boolean };
export type FilterPattern = { readonly [field: string]: FilterPattern | readonly Matcher[] };

/**
 * Whether a stream record (as Lambda hands it over) passes a Lambda event filter pattern: every
 * field named must match one of its listed values. Only the operators the patterns here use are
 * known (exact values, prefix, exists); any other fails loudly rather than letting the local
 * consumer drift from what Lambda would do.
 */
export function matchesFilter(pattern: FilterPattern, record: unknown): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    const value = (record as Record<string, unknown> | undefined)?.[field];
    if (!Array.isArray(rule)) return typeof value === 'object' && value !== null && matchesFilter(rule as FilterPattern, value);
    return (rule as readonly Matcher[]).some((matcher) => matches(matcher, value));
  });
}

function matches(matcher: Matcher, value: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return value === matcher;
  if ('prefix' in matcher) return typeof value === 'string' && value.startsWith(matcher.prefix);
  if ('exists' in matcher) return (value !== undefined) === matcher.exists;
  throw new Error(`filter operator ${JSON.stringify(matcher)} is not implemented by the local stream consumer`);
}
