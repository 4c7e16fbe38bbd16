import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Generated, type Kysely, type Migration } from 'kysely';
import { testDatabases } from '@strata/testing';
import { createDatabase, isUniqueViolation, type Database } from './create-database.js';
import { ensureDatabase } from './ensure-database.js';
import { migrateToLatest } from './migrate.js';
import { idCountersMigration, nextId } from './id-counters.js';
import { nowIso, toBool, parseJsonColumn, jsonColumn } from './columns.js';
import { parseDatabaseUrl, maskUrl } from './database-url.js';

interface Schema {
  widgets: { id: string; name: string; enabled: boolean | number; count: number; extra: string | null; created_at: string };
  counters: { id: Generated<number>; name: string; value: number };
}

const migrations: Record<string, Migration> = {
  '0001-initial': {
    up: async (db: Kysely<any>) => {
      await db.schema
        .createTable('widgets')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
        .addColumn('enabled', 'boolean', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('extra', 'text')
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .execute();
    },
  },
  '0002-counters': {
    up: async (db: Kysely<any>) => {
      await db.schema.createTable('counters').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'varchar(64)', (c) => c.notNull()).addColumn('value', 'integer', (c) => c.notNull()).execute();
    },
  },
  '0003-id-counters': idCountersMigration,
};

test('database URLs parse per dialect and mask passwords', () => {
  assert.deepEqual(parseDatabaseUrl('sqlite:///var/lib/strata/x.sqlite'), { dialect: 'sqlite', filename: '/var/lib/strata/x.sqlite' });
  assert.deepEqual(parseDatabaseUrl('sqlite://:memory:'), { dialect: 'sqlite', filename: ':memory:' });
  assert.deepEqual(parseDatabaseUrl('postgresql+psycopg2://nova:s%40cret@db:5433/nova'), { dialect: 'postgres', host: 'db', port: 5433, user: 'nova', password: 's@cret', database: 'nova' });
  assert.equal(parseDatabaseUrl('mysql+pymysql://root@127.0.0.1/test').dialect, 'mysql');
  assert.throws(() => parseDatabaseUrl('oracle://x/y'), /unsupported database scheme oracle/);
  assert.throws(() => parseDatabaseUrl('postgresql://host'), /names no database/);
  assert.equal(maskUrl('mysql://root:pw@h/db'), 'mysql://root:***@h/db');
});

for (const engine of await testDatabases()) {
  describe(`${engine.name}: db`, { skip: engine.skip }, () => {
    let database: Database<Schema>;
    let drop: () => Promise<void>;
    before(async () => {
      const made = await engine.create();
      drop = made.drop;
      database = createDatabase<Schema>(made.url);
      assert.equal(database.dialect, engine.name);
    });
    after(async () => {
      await database.close();
      await drop();
    });

    test('migrations apply once, in order, and are recorded', async () => {
      assert.deepEqual(await migrateToLatest(database.db, { service: 'widget', migrations }), ['0001-initial', '0002-counters', '0003-id-counters']);
      assert.deepEqual(await migrateToLatest(database.db, { service: 'widget', migrations }), []);
    });

    test('booleans, JSON and timestamps round-trip', async () => {
      const created = nowIso();
      await database.db.insertInto('widgets').values({ id: 'w1', name: 'one', enabled: true, count: 1, extra: jsonColumn({ a: [1, 2] }), created_at: created }).execute();
      await database.db.insertInto('widgets').values({ id: 'w2', name: 'two', enabled: false, count: 2, extra: null, created_at: created }).execute();
      const rows = await database.db.selectFrom('widgets').selectAll().where('enabled', '=', true).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.id, 'w1');
      assert.equal(toBool(rows[0]?.enabled), true);
      assert.deepEqual(parseJsonColumn(rows[0]?.extra, {}), { a: [1, 2] });
      assert.equal(rows[0]?.created_at, created);
      const off = await database.db.selectFrom('widgets').select('enabled').where('id', '=', 'w2').executeTakeFirstOrThrow();
      assert.equal(toBool(off.enabled), false);
    });

    test('a unique violation is recognised and a failed transaction leaves nothing behind', async () => {
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await trx.insertInto('widgets').values({ id: 'w3', name: 'three', enabled: true, count: 0, extra: null, created_at: nowIso() }).execute();
          await trx.insertInto('widgets').values({ id: 'w4', name: 'one', enabled: true, count: 0, extra: null, created_at: nowIso() }).execute();
        }),
        (err: unknown) => isUniqueViolation(err),
      );
      const left = await database.db.selectFrom('widgets').select('id').where('id', 'in', ['w3', 'w4']).execute();
      assert.deepEqual(left, []);
      assert.equal(isUniqueViolation(new Error('other')), false);
    });

    test('conditional updates are atomic under concurrency (no lost claims)', async () => {
      await database.db.insertInto('counters').values({ id: 1, name: 'quota', value: 0 }).execute();
      const limit = 10;
      const attempts = await Promise.all(
        Array.from({ length: 30 }, () =>
          database.db
            .updateTable('counters')
            .set({ value: sql`value + 1` })
            .where('id', '=', 1)
            .where('value', '<', limit)
            .executeTakeFirst(),
        ),
      );
      const granted = attempts.filter((r) => Number(r.numUpdatedRows) === 1).length;
      const row = await database.db.selectFrom('counters').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
      assert.equal(granted, limit);
      assert.equal(Number(row.value), limit);
    });

    test('nextId: starts above the largest id, never repeats one, even when deleted or called concurrently', async () => {
      // 'counters' holds id 1 from the test above: the counter starts after it.
      const first = await nextId(database.db, 'counters');
      assert.equal(first, 2);
      await database.db.insertInto('counters').values({ id: first, name: 'x', value: 0 }).execute();
      await database.db.deleteFrom('counters').where('id', '=', first).execute();
      assert.equal(await nextId(database.db, 'counters'), 3, 'the deleted last id is not handed out again');
      const many = await Promise.all(Array.from({ length: 20 }, () => nextId(database.db, 'counters')));
      assert.deepEqual([...many].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 4 + i));
      // Another table's counter starts on its own, created by concurrent first calls.
      await database.db.insertInto('widgets').values({ id: 'w100', name: 'hundred', enabled: true, count: 100, extra: null, created_at: nowIso() }).execute();
      const other = await Promise.all(Array.from({ length: 5 }, () => nextId(database.db, 'widgets', 'count')));
      assert.deepEqual([...other].sort((a, b) => a - b), [101, 102, 103, 104, 105]);
    });
  });
}

test('SQLite reuses prepared statements: the same query answers with current data and follows schema changes', async () => {
  const database = createDatabase<any>('sqlite://:memory:');
  try {
    const { db } = database;
    await sql`create table t (a integer)`.execute(db);
    const all = () => db.selectFrom('t').selectAll().execute();
    await db.insertInto('t').values({ a: 1 }).execute();
    assert.deepEqual(await all(), [{ a: 1 }]);
    await db.insertInto('t').values({ a: 2 }).execute();
    assert.deepEqual(await all(), [{ a: 1 }, { a: 2 }], 'the reused statement reads current rows');
    await sql`alter table t add column b integer default 7`.execute(db);
    assert.deepEqual(await all(), [{ a: 1, b: 7 }, { a: 2, b: 7 }], 'and the table as it is now');
    // More distinct statements than the cache holds: the oldest are dropped, answers stay right.
    for (let i = 0; i < 600; i++) assert.equal((await db.selectFrom('t').select(sql<number>`${sql.lit(i)}`.as('n')).limit(1).executeTakeFirstOrThrow()).n, i);
    assert.deepEqual(await all(), [{ a: 1, b: 7 }, { a: 2, b: 7 }]);
  } finally {
    await database.close();
  }
});

for (const engine of (await testDatabases()).filter((e) => e.name !== 'sqlite')) {
  test(`${engine.name}: ensureDatabase creates a missing database once, and it opens`, { skip: engine.skip }, async () => {
    const made = await engine.create();
    try {
      await made.drop();
      assert.equal(await ensureDatabase(made.url), true, 'created');
      assert.equal(await ensureDatabase(made.url), false, 'already there');
      const database = createDatabase<any>(made.url);
      try {
        assert.deepEqual((await sql<{ n: number }>`select 1 as n`.execute(database.db)).rows.map((r) => Number(r.n)), [1]);
      } finally {
        await database.close();
      }
      await assert.rejects(ensureDatabase(made.url.replace(/\/[^/]+$/, '/bad;name')), /must be letters, digits/);
    } finally {
      await made.drop();
    }
  });
}
