import { describe, expect, it } from 'vitest';
import { openMysql } from '../../lib/adapters/mysql/open-database.js';
import { freePort } from '../../lib/local/services.js';

/** STORAGE=mysql against a server that is not there: a message naming DATABASE_URL, without the password (issue 22 item 10). */
describe('openMysql on a refused connection', () => {
  it('says nothing listens, names DATABASE_URL and the README recipe, and hides the password', async () => {
    const port = await freePort(); // free: nothing listens on it
    const error = await openMysql({ databaseUrl: `mysql://patients:s3cret-pw@127.0.0.1:${port}/patients` }).then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(new RegExp(`^cannot use the MySQL server at mysql://patients:\\*+@127\\.0\\.0\\.1:${port}/patients \\(ECONNREFUSED\\): nothing listens there`));
    expect(error?.message).toContain('DATABASE_URL');
    expect(error?.message).toContain('README');
    expect(error?.message).not.toContain('s3cret-pw');
  });
});
