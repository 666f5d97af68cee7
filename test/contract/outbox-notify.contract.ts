import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../lib/adapters/postgres/migrate.js';
import { OUTBOX_INSERT_CHANNEL } from '../../lib/adapters/postgres/open-database.js';
import { insertOutboxMail } from '../../lib/adapters/postgres/outbox-row.js';
import { createPostgresOutboxStore } from '../../lib/adapters/postgres/outbox-store.js';
import type { SqlExecutor } from '../../lib/adapters/postgres/sql-executor.js';

const request = () => ({ kind: 'resend_request' as const, id: randomUUID(), to: `nobody.${randomUUID()}@email.com`, createdAt: new Date().toISOString() });

/** Polls for what a listener receives on its own (bounded). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within 10 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Migration 010: a new outbox row notifies outbox_insert with its id when its transaction commits,
 * so the local relay delivers at once on PostgreSQL as the table's stream does on DynamoDB.
 */
export function describeOutboxNotifications(engine: string, open: () => Promise<{ db: SqlExecutor; stop(): Promise<void> }>): void {
  describe(`${engine}: outbox insert notifications`, () => {
    it('notifies each committed outbox row\'s id, never a rolled-back one, and nothing once unlistened', async () => {
      const { db, stop } = await open();
      try {
        await migrate(db);
        const heard: string[] = [];
        const unlisten = await db.listen(OUTBOX_INSERT_CHANNEL, (id) => heard.push(id));
        const rolledBack = request();
        await expect(db.transaction(async (tx) => {
          await insertOutboxMail(tx, rolledBack);
          throw new Error('abort');
        })).rejects.toThrow('abort');
        const committed = request();
        await createPostgresOutboxStore(db).enqueue(committed);
        await eventually(() => heard.includes(committed.id), 'the committed row\'s notification');
        expect(heard).toEqual([committed.id]);

        await unlisten();
        await createPostgresOutboxStore(db).enqueue(request());
        const marker = request();
        const second = await db.listen(OUTBOX_INSERT_CHANNEL, (id) => heard.push(id));
        await createPostgresOutboxStore(db).enqueue(marker);
        await eventually(() => heard.includes(marker.id), 'the marker row\'s notification');
        expect(heard).toEqual([committed.id, marker.id]);
        await second();
      } finally {
        await db.close();
        await stop();
      }
    });
  });
}
