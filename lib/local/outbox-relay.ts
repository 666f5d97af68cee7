/**
 * Locally there is no DynamoDB stream trigger or schedule: this timer invokes the same outbox-mailer
 * handler with a scheduled event, so mails whose first send failed are delivered the same way.
 */
export async function startOutboxRelay(intervalMs = 1000): Promise<{ stop(): void }> {
  const { handler } = await import('../../functions/outbox-mailer/handler.js');
  const sweep = { source: 'local.outbox-relay', 'detail-type': 'Scheduled Event' } as never;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    handler(sweep)
      .catch(() => undefined) // logged by the handler; the next tick tries again
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
