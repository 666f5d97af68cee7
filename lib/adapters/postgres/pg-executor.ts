import pg from 'pg';
import { logger } from '../../logging/logger.js';
import type { SqlExecutor, SqlSession } from './sql-executor.js';

const session = (client: pg.Pool | pg.PoolClient): SqlSession => ({
  query: async <Row>(sql: string, params: unknown[] = []) => ({ rows: (await client.query(sql, params)).rows as Row[] }),
  // Without parameters pg uses the simple query protocol, which accepts several statements.
  exec: async (sql) => {
    await client.query(sql);
  },
});

/** A PostgreSQL server through a `pg` connection pool; each transaction holds one pooled connection. */
export function createPgExecutor(connectionString: string, options: pg.PoolConfig = {}): SqlExecutor {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 5_000, ...options });
  // An idle connection dropped by the server (restart, failover) must not crash the process.
  pool.on('error', (error) => logger.warn('idle PostgreSQL connection failed', { driverCode: (error as { code?: string }).code }));
  return {
    ...session(pool),
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(session(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        // A connection that could not even roll back is discarded rather than returned to the pool.
        client.release(broken);
      }
    },
    // LISTEN holds its connection for as long as it listens: a client of its own, outside the pool.
    async listen(channel, onMessage) {
      const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
      client.on('error', (error) => logger.warn('PostgreSQL listener connection failed', { channel, driverCode: (error as { code?: string }).code }));
      client.on('notification', ({ channel: from, payload }) => {
        if (from === channel && payload !== undefined) onMessage(payload);
      });
      await client.connect();
      try {
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      } catch (error) {
        await client.end();
        throw error;
      }
      return () => client.end().catch(() => undefined);
    },
    close: () => pool.end(),
  };
}
