/** Opens a Kysely database for a URL on SQLite (better-sqlite3), PostgreSQL (pg) or MariaDB/MySQL (mysql2). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, type Dialect } from 'kysely';
import pg from 'pg';
import { createPool as createMysqlPool } from 'mysql2';
import { parseDatabaseUrl, type DialectName } from './database-url.js';
import { SqliteBooleanPlugin } from './sqlite-boolean-plugin.js';

/** A Kysely instance and the engine under it. */
export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly dialect: DialectName;
  /** Closes every connection. Idempotent. */
  close(): Promise<void>;
}

/** Options of createDatabase. */
export interface CreateDatabaseOptions {
  /** Connections per pool (PostgreSQL, MariaDB). @default 10 */
  readonly poolSize?: number;
  /** SQLite: prepared statements kept for reuse; 0 prepares every query afresh. @default 500 */
  readonly statementCacheSize?: number;
}

// NOTE: PostgreSQL BIGINT (int8) arrives as a string by default; our counters fit in a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

/**
 * better-sqlite3 as Kysely's SQLite dialect takes it, reusing prepared statements by SQL text
 * (least recently used dropped first): Kysely prepares every query afresh, and preparing costs about
 * as much as running a simple indexed query (bench/db-statements.ts: 1.4–1.7x faster reused). SQLite runs one
 * query at a time on Kysely's single connection, so a statement is never in use twice at once, and
 * SQLite itself re-prepares a statement whose tables changed.
 */
function reusingStatements(sqlite: SqliteDatabase.Database, size: number): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (sql) => {
      const hit = cache.get(sql);
      if (hit !== undefined) {
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = sqlite.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return stmt;
    },
  };
}

/** Open the database at `url`. SQLite files get WAL, a busy timeout and foreign keys on. */
export function createDatabase<DB>(url: string, options: CreateDatabaseOptions = {}): Database<DB> {
  const parsed = parseDatabaseUrl(url);
  const poolSize = options.poolSize ?? 10;
  let dialect: Dialect;
  const plugins = [];
  if (parsed.dialect === 'sqlite') {
    if (parsed.filename !== ':memory:') mkdirSync(dirname(parsed.filename), { recursive: true });
    const sqlite = new SqliteDatabase(parsed.filename);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    const cacheSize = options.statementCacheSize ?? 500;
    dialect = new SqliteDialect({ database: cacheSize > 0 ? reusingStatements(sqlite, cacheSize) : sqlite });
    plugins.push(new SqliteBooleanPlugin());
  } else if (parsed.dialect === 'postgres') {
    dialect = new PostgresDialect({
      pool: new pg.Pool({ host: parsed.host, port: parsed.port, user: parsed.user, password: parsed.password, database: parsed.database, max: poolSize }),
    });
  } else {
    dialect = new MysqlDialect({
      pool: createMysqlPool({
        host: parsed.host,
        port: parsed.port,
        user: parsed.user,
        password: parsed.password,
        database: parsed.database,
        connectionLimit: poolSize,
        charset: 'utf8mb4',
        // NOTE: keep timestamps as we wrote them (ISO strings in VARCHAR); nothing to convert.
        dateStrings: true,
        supportBigNumbers: true,
      }),
    });
  }
  const db = new Kysely<DB>({ dialect, plugins });
  let closed: Promise<void> | undefined;
  return {
    db,
    dialect: parsed.dialect,
    close: () => (closed ??= db.destroy()),
  };
}

/** True when `err` is a unique or primary-key violation on any of the three engines. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  return e.code === '23505' || e.code === 'ER_DUP_ENTRY' || e.errno === 1062 || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
