/**
 * Integer ids that are never handed out twice, on all three engines. OpenStack's integer ids
 * (aggregates, services) come from auto-increment columns, so a deleted id is never reused; a client
 * that deletes an id it already deleted gets 404, not the next resource. `max(id) + 1` reuses the id
 * of a deleted last row, so the services keep one counter per id space in `id_counters`.
 */
import type { Kysely, Migration } from 'kysely';
import { isUniqueViolation } from './create-database.js';

/** A row of `id_counters`: the last id handed out of one id space. */
export interface IdCounterTable {
  name: string;
  value: number;
}

/** The migration that creates `id_counters`; each service set that hands out integer ids includes it. */
export const idCountersMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('id_counters')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * The next id for a new row of `table` (its id in `column`). The table's counter starts at the
 * largest id the table holds, so a database from before the counter goes on where it was. The
 * increment and the read share one transaction: the row lock serializes concurrent callers on
 * PostgreSQL and MariaDB.
 */
export async function nextId(db: Kysely<any>, table: string, column = 'id'): Promise<number> {
  const counter = table;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const id = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('id_counters')
        .set((eb) => ({ value: eb('value', '+', 1) }))
        .where('name', '=', counter)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return undefined;
      const row = await trx.selectFrom('id_counters').select('value').where('name', '=', counter).executeTakeFirstOrThrow();
      return Number(row.value);
    });
    if (id !== undefined) return id;
    try {
      await db.insertInto('id_counters').values({ name: counter, value: await largestId(db, table, column) }).execute();
    } catch (err) {
      // NOTE: another caller created the counter first; use theirs.
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error(`id counter ${counter} could not be advanced`);
}

async function largestId(db: Kysely<any>, table: string, column: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.max(column).as('m')).executeTakeFirst();
  return Number(row?.m ?? 0);
}
