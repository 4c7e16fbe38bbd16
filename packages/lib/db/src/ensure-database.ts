/**
 * Creates the database a PostgreSQL or MariaDB URL names when it is not there yet — the
 * `CREATE DATABASE` a deployer runs before `db sync` — so `strata up` with a `{service}` template
 * needs nothing prepared. SQLite files are made when they are opened.
 */
import pg from 'pg';
import { createConnection } from 'mysql2/promise';
import { parseDatabaseUrl } from './database-url.js';

const DATABASE_NAME = /^[A-Za-z0-9_$-]{1,63}$/;

/**
 * Make sure the database of `url` exists; resolves true when this call created it. A name outside
 * letters, digits, `_`, `$` and `-` is refused rather than quoted.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const parsed = parseDatabaseUrl(url);
  if (parsed.dialect === 'sqlite') return false;
  if (!DATABASE_NAME.test(parsed.database)) throw new Error(`database name ${JSON.stringify(parsed.database)} must be letters, digits, _, $ or - (at most 63)`);
  const server = { host: parsed.host, port: parsed.port, user: parsed.user, ...(parsed.password !== '' ? { password: parsed.password } : {}) };
  if (parsed.dialect === 'postgres') {
    const admin = new pg.Client({ ...server, database: 'postgres' });
    await admin.connect();
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [parsed.database]);
      if (found.rowCount !== 0) return false;
      await admin.query(`CREATE DATABASE "${parsed.database}"`);
      return true;
    } catch (err) {
      // Another process created it between the check and the create.
      if ((err as { code?: string }).code === '42P04') return false;
      throw err;
    } finally {
      await admin.end();
    }
  }
  const admin = await createConnection(server);
  try {
    const [result] = await admin.query(`CREATE DATABASE IF NOT EXISTS \`${parsed.database}\` CHARACTER SET utf8mb4`);
    return (result as { warningStatus?: number }).warningStatus === 0;
  } finally {
    await admin.end();
  }
}
