import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, migrateToLatest } from '@strata/db';
import { testDatabases } from '@strata/testing';
import type { ComputeDatabase } from '../db/schema.js';
import { computeMigrations } from '../db/migrations.js';
import { QuotaStore, type QuotaLimits } from './quota.js';
import { ServiceStore } from './service-record.js';

const defaults: QuotaLimits = { instances: 10, cores: 20, ram: 51200, key_pairs: 100, metadata_items: 128, server_groups: 10, server_group_members: 10, injected_files: 5, injected_file_content_bytes: 10240, injected_file_path_bytes: 255, fixed_ips: -1, floating_ips: 10, security_groups: 10, security_group_rules: 20 };

for (const engine of await testDatabases()) {
  describe(`${engine.name}: atomic quota and host claims`, { skip: engine.skip }, () => {
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      // NOTE: give closed pool sockets a moment to go away before DROP DATABASE ... WITH (FORCE).
      await sleep(200);
      for (const c of cleanups.reverse()) await c();
    });

    test('50 concurrent claims never exceed the quota; release gives back', async (t) => {
      const { url, drop } = await engine.create();
      const database = createDatabase<ComputeDatabase>(url);
      cleanups.push(drop);
      t.after(() => database.close());
      await migrateToLatest(database.db, computeMigrations);
      const quotas = new QuotaStore(database.db, defaults);
      await quotas.setLimits('p1', { instances: 7 });
      const results = await Promise.allSettled(Array.from({ length: 50 }, () => quotas.claim('p1', { instances: 1, cores: 1, ram: 512 })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 7);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal(rejected.reason.status, 403);
      assert.match(rejected.reason.message, /Quota exceeded for instances: Requested 1, but already used 7 of 7 instances/);
      assert.deepEqual(await quotas.usage('p1'), { instances: 7, cores: 7, ram: 3584 });
      await quotas.release('p1', { instances: 2, cores: 2, ram: 1024 });
      assert.equal((await quotas.usage('p1')).instances, 5);
    });

    test('50 concurrent host claims never over-commit a host', async (t) => {
      const { url, drop } = await engine.create();
      const database = createDatabase<ComputeDatabase>(url);
      cleanups.push(drop);
      t.after(() => database.close());
      await migrateToLatest(database.db, computeMigrations);
      const services = new ServiceStore(database.db);
      await services.reportNode({ host: 'h1', hypervisorHostname: 'h1', hypervisorType: 'fake', hypervisorVersion: 1, hostIp: '127.0.0.1', availabilityZone: 'nova', vcpus: 8, memoryMb: 4096, localGb: 100, cpuAllocationRatio: 1, ramAllocationRatio: 1, diskAllocationRatio: 1, cpuInfo: '{}' });
      const results = await Promise.all(Array.from({ length: 50 }, (_, n) => services.claim('h1', `i-${n}`, { vcpus: 1, memoryMb: 512, diskGb: 1 })));
      assert.equal(results.filter(Boolean).length, 8);
      const node = await services.getNodeByHost('h1');
      assert.equal(node.memoryMbUsed, 4096);
      assert.equal(node.runningVms, 8);
      await services.release('i-0');
      await services.release('i-0');
      assert.equal((await services.getNodeByHost('h1')).memoryMbUsed, 3584);
    });
  });
}
