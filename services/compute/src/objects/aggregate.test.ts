import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, migrateToLatest } from '@strata/db';
import { testDatabases } from '@strata/testing';
import type { ComputeDatabase } from '../db/schema.js';
import { computeMigrations } from '../db/migrations.js';
import { AggregateStore } from './aggregate.js';

for (const engine of await testDatabases()) {
  describe(`${engine.name}: aggregate ids`, { skip: engine.skip }, () => {
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      // NOTE: give closed pool sockets a moment to go away before DROP DATABASE ... WITH (FORCE).
      await sleep(200);
      for (const c of cleanups.reverse()) await c();
    });

    test('a deleted aggregate id is never handed out again: a second delete of it is 404, not the next aggregate', async (t) => {
      const { url, drop } = await engine.create();
      const database = createDatabase<ComputeDatabase>(url);
      cleanups.push(drop);
      t.after(() => database.close());
      await migrateToLatest(database.db, computeMigrations);
      const aggregates = new AggregateStore(database.db);
      const a = await aggregates.create('agg-a', 'zone-a');
      await aggregates.delete(a.id);
      const b = await aggregates.create('agg-b', null);
      assert.ok(b.id > a.id, `new id ${b.id} after deleted ${a.id}`);
      assert.deepEqual(b.metadata, {});
      await assert.rejects(aggregates.get(String(a.id)), (err: { status?: number }) => err.status === 404);
      // Concurrent creates get distinct ids; a duplicate name is 409.
      const made = await Promise.all(Array.from({ length: 10 }, (_, i) => aggregates.create(`agg-${i}`, null)));
      assert.equal(new Set(made.map((m) => m.id)).size, 10);
      await assert.rejects(aggregates.create('agg-b', null), (err: { status?: number }) => err.status === 409);
    });
  });
}
