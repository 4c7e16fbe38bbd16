/** Portable column conventions: ISO-8601 timestamps in VARCHAR, booleans read back from 0/1, JSON in TEXT. */

/** The current time as stored in every timestamp column (ISO 8601, UTC, milliseconds). */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Read a boolean column: SQLite and MariaDB give 0/1, PostgreSQL gives true/false. */
export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

/** Write a JSON value into a TEXT column. */
export function jsonColumn(v: unknown): string {
  return JSON.stringify(v ?? null);
}

/** Read a JSON TEXT column, with a fallback for NULL. */
export function parseJsonColumn<T>(v: string | null | undefined, fallback: T): T {
  if (v === null || v === undefined || v === '') return fallback;
  return JSON.parse(v) as T;
}
