/** The database matrix for suites that run on every engine: SQLite always, PostgreSQL and MariaDB where reachable. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createConnection } from 'mysql2/promise';
import { skipUnlessReachable } from './reachable.js';

/** One engine of the matrix: a fresh empty database URL, or why it is skipped. */
export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  /** Set when the engine is unavailable (and not required). */
  readonly skip: string | undefined;
  /**
   * Creates a fresh, empty database and returns its URL and a drop function. `name` (letters,
   * digits, `_`) picks the database name; by default it is unique per call. SQLite ignores it.
   */
  create(name?: string): Promise<{ url: string; drop: () => Promise<void> }>;
}

function uniqueName(): string {
  return `strata_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

function checkedName(name: string | undefined): string {
  if (name === undefined) return uniqueName();
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new TypeError(`not a usable test database name: ${JSON.stringify(name)}`);
  return name;
}

/** The engines to run a suite on; resolves the reachability once. */
export async function testDatabases(): Promise<TestDatabase[]> {
  const pgSkip = await skipUnlessReachable('PostgreSQL', '127.0.0.1', 5432);
  const mySkip = await skipUnlessReachable('MariaDB', '127.0.0.1', 3306);
  return [
    {
      name: 'sqlite',
      skip: undefined,
      create: async () => {
        const dir = mkdtempSync(join(tmpdir(), 'strata-db-'));
        return { url: `sqlite://${join(dir, 'test.sqlite')}`, drop: async () => {} };
      },
    },
    {
      name: 'postgres',
      skip: pgSkip,
      create: async (wanted) => {
        const name = checkedName(wanted);
        const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${name}`);
        await admin.end();
        return {
          url: `postgresql://postgres@127.0.0.1:5432/${name}`,
          drop: async () => {
            // NOTE: pg's Pool.end() resolves before its sockets close; let them go before a forced drop.
            await new Promise((r) => setTimeout(r, 300));
            const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
            await c.connect();
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            await c.end();
          },
        };
      },
    },
    {
      name: 'mysql',
      skip: mySkip,
      create: async (wanted) => {
        const name = checkedName(wanted);
        const admin = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
        await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
        await admin.end();
        return {
          url: `mysql://root@127.0.0.1:3306/${name}`,
          drop: async () => {
            const c = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
            await c.query(`DROP DATABASE IF EXISTS ${name}`);
            await c.end();
          },
        };
      },
    },
  ];
}
