/**
 * SQLite through Kysely with and without reused prepared statements (@strata/db's
 * `statementCacheSize`): the kinds of query a service runs most — a select by primary key with a
 * project filter, a page of a list, an update of one row — timed in alternating rounds, medians.
 *
 *   node --import tsx bench/db-statements.ts [--rows 1000] [--queries 5000] [--rounds 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createDatabase } from '@strata/db';
import { arg, median } from './lib/stats.js';

const rows = arg('rows', 1000);
const queries = arg('queries', 5000);
const rounds = arg('rounds', 5);
const dir = mkdtempSync(join(tmpdir(), 'strata-bench-db-'));

async function round(cacheSize: number): Promise<Record<string, number>> {
  const database = createDatabase<any>(`sqlite:///${join(dir, 'bench.sqlite')}`, { statementCacheSize: cacheSize });
  const { db } = database;
  await sql`create table if not exists instances (id varchar(36) primary key, project_id varchar(64) not null, name varchar(255), vm_state varchar(16), task_state varchar(16), metadata text, created_at varchar(40), deleted_at varchar(40))`.execute(db);
  const count = Number((await db.selectFrom('instances').select(db.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  for (let i = count; i < rows; i++) await db.insertInto('instances').values({ id: `i-${i}`, project_id: `p-${i % 10}`, name: `vm-${i}`, vm_state: 'active', task_state: null, metadata: '{}', created_at: new Date().toISOString(), deleted_at: null }).execute();
  const time = async (fn: (i: number) => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < queries; i++) await fn(i);
    return ((performance.now() - t0) * 1000) / queries;
  };
  const out = {
    'select by id': await time((i) => db.selectFrom('instances').selectAll().where('id', '=', `i-${i % rows}`).where('project_id', '=', `p-${i % rows % 10}`).where('deleted_at', 'is', null).executeTakeFirst()),
    'list page of 20': await time((i) => db.selectFrom('instances').selectAll().where('project_id', '=', `p-${i % 10}`).orderBy('created_at', 'desc').orderBy('id').limit(20).execute()),
    'update one row': await time((i) => db.updateTable('instances').set({ task_state: i % 2 === 0 ? 'spawning' : null }).where('id', '=', `i-${i % rows}`).execute()),
  };
  await database.close();
  return out;
}

const results: Record<string, { off: number[]; on: number[] }> = {};
for (let r = 0; r < rounds; r++) {
  for (const [mode, size] of [['off', 0], ['on', 500]] as const) {
    for (const [k, us] of Object.entries(await round(size))) (results[k] ??= { off: [], on: [] })[mode].push(us);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`SQLite via Kysely, ${queries} queries per kind, ${rounds} alternating rounds (median µs per query):`);
for (const [k, v] of Object.entries(results)) {
  const off = median(v.off);
  const on = median(v.on);
  console.log(`  ${k.padEnd(16)} prepared each time ${off.toFixed(1)} µs, reused ${on.toFixed(1)} µs: ${(off / on).toFixed(2)}x`);
}
