import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDatabase, migrateToLatest, type Database } from '@strata/db';
import { testDatabases } from '@strata/testing';
import type { BlockStorageDatabase } from '../db/schema.js';
import { blockStorageMigrations } from '../db/migrations.js';
import { QuotaEngine, volumeDeltas } from './quota.js';
import { ServiceStore } from './service-record.js';

const defaults = { volumes: 10, snapshots: 10, gigabytes: 1000, backups: 10, backup_gigabytes: 1000, groups: 10, per_volume_gigabytes: -1 };

for (const engine of await testDatabases()) {
  describe(`${engine.name}: quotas and capacity claims`, { skip: engine.skip }, () => {
    let database: Database<BlockStorageDatabase>;
    let drop: () => Promise<void>;
    before(async () => {
      const made = await engine.create();
      drop = made.drop;
      database = createDatabase<BlockStorageDatabase>(made.url);
      await migrateToLatest(database.db, blockStorageMigrations);
    });
    after(async () => {
      await database.close();
      await drop();
    });

    test('50 concurrent volume reservations never exceed the limit; a refused one changes nothing', async () => {
      const quotas = new QuotaEngine(database.db, defaults);
      await quotas.setLimits('p1', { volumes: 20 });
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => quotas.consume('p1', volumeDeltas(1, '__DEFAULT__'))));
      const granted = outcomes.filter((o) => o.status === 'fulfilled').length;
      assert.equal(granted, 20);
      const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal((refused?.reason as { status?: number }).status, 413);
      assert.equal((refused?.reason as { code?: string }).code, 'VolumeLimitExceeded');
      const usage = await quotas.usage('p1', ['__DEFAULT__']);
      assert.equal(usage.volumes?.in_use, 20);
      assert.equal(usage.gigabytes?.in_use, 20, 'the gigabytes of refused requests were not consumed');
      assert.equal(usage.volumes_____DEFAULT__, undefined);
      assert.equal(usage['volumes___DEFAULT__']?.in_use, 20);
      await assert.rejects(quotas.setLimits('p1', { volumes: 5 }), /must be equal or greater than existing resources/);
      await quotas.release('p1', volumeDeltas(1, '__DEFAULT__', 25));
      assert.equal((await quotas.usage('p1')).volumes?.in_use, 0, 'release never goes below zero');
    });

    test('gigabytes are checked with the request size and named in the error', async () => {
      const quotas = new QuotaEngine(database.db, defaults);
      await quotas.setLimits('p2', { gigabytes: 5 });
      await quotas.consume('p2', volumeDeltas(3, 't'));
      await assert.rejects(quotas.consume('p2', volumeDeltas(3, 't')), (err: { code?: string; message?: string }) => err.code === 'VolumeSizeExceedsAvailableQuota' && /Requested 3G, quota is 5G and 3G has been consumed/.test(err.message ?? ''));
      assert.equal((await quotas.usage('p2')).volumes?.in_use, 1);
    });

    test('capacity claims are atomic: 30 concurrent 10 GiB claims on a 100 GiB thick pool, 10 win', async () => {
      const services = new ServiceStore(database.db);
      await services.reportPool({ backend: 'h@thick', pool: 'p', totalCapacityGb: 100, freeCapacityGb: 100, reservedPercentage: 0, maxOverSubscriptionRatio: 1, thinProvisioningSupport: false, thickProvisioningSupport: true, capabilities: {} });
      const wins = await Promise.all(Array.from({ length: 30 }, () => services.claim('h@thick', 'p', 10, false)));
      assert.equal(wins.filter(Boolean).length, 10);
      const pool = (await services.pools('h@thick'))[0];
      assert.equal(pool?.allocatedCapacityGb, 100);
      assert.equal(pool?.freeCapacityGb, 0);
      await services.unclaim('h@thick', 'p', 10, false);
      assert.equal((await services.pools('h@thick'))[0]?.freeCapacityGb, 10);
    });

    test('thin claims count provisioned capacity against total × over-subscription', async () => {
      const services = new ServiceStore(database.db);
      await services.reportPool({ backend: 'h@thin', pool: 'p', totalCapacityGb: 10, freeCapacityGb: 1, reservedPercentage: 0, maxOverSubscriptionRatio: 3, thinProvisioningSupport: true, thickProvisioningSupport: false, capabilities: {} });
      const wins = await Promise.all(Array.from({ length: 40 }, () => services.claim('h@thin', 'p', 1, true)));
      assert.equal(wins.filter(Boolean).length, 30);
    });
  });
}
