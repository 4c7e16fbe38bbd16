/** @module @strata/db — Kysely over SQLite, PostgreSQL and MariaDB, with per-service migrations. */
export { createDatabase, isUniqueViolation } from './create-database.js';
export type { Database, CreateDatabaseOptions } from './create-database.js';
export { parseDatabaseUrl, maskUrl } from './database-url.js';
export type { DialectName, ParsedDatabaseUrl } from './database-url.js';
export { migrateToLatest } from './migrate.js';
export { ensureDatabase } from './ensure-database.js';
export type { MigrationSet } from './migrate.js';
export { nowIso, toBool, jsonColumn, parseJsonColumn } from './columns.js';
export { nextId, idCountersMigration } from './id-counters.js';
export type { IdCounterTable } from './id-counters.js';
