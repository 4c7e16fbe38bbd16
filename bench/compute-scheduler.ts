/**
 * nova-scheduler over many fake hosts: a compute DB with H compute nodes (in-memory SQLite file),
 * then N schedules, each reading every host (step 10), filtering and weighing (11) and claiming
 * atomically. Prints the median and p95 per schedule.
 *
 *   node --import tsx bench/compute-scheduler.ts [--hosts 1000] [--schedules 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrateToLatest } from '@strata/db';
import { computeMigrations } from '../services/compute/src/db/migrations.js';
import type { ComputeDatabase } from '../services/compute/src/db/schema.js';
import { ServiceStore } from '../services/compute/src/objects/service-record.js';
import { AggregateStore } from '../services/compute/src/objects/aggregate.js';
import { defaultFilters, defaultWeighers, selectHosts } from '../services/compute/src/scheduler/host-selector.js';
import type { HostState } from '../services/compute/src/scheduler/host-state.js';
import { serviceIsUp } from '../services/compute/src/objects/service-record.js';
import { arg, median, pct } from './lib/stats.js';

const hosts = arg('hosts', 1000);
const schedules = arg('schedules', 200);
const dir = mkdtempSync(join(tmpdir(), 'strata-sched-bench-'));
const database = createDatabase<ComputeDatabase>(`sqlite://${join(dir, 'compute.sqlite')}`);
try {
  await migrateToLatest(database.db, computeMigrations);
  const services = new ServiceStore(database.db);
  const aggregates = new AggregateStore(database.db);
  for (let n = 0; n < hosts; n++) {
    const host = `fake-${n}`;
    await services.register(host, 'nova-compute', 'compute');
    await services.reportNode({ host, hypervisorHostname: host, hypervisorType: 'fake', hypervisorVersion: 1, hostIp: '127.0.0.1', availabilityZone: 'nova', vcpus: 64, memoryMb: 262_144, localGb: 4096, cpuAllocationRatio: 16, ramAllocationRatio: 1.5, diskAllocationRatio: 1, cpuInfo: '{}' });
  }
  const flavor = { id: '1', name: 'm1.tiny', memoryMb: 512, vcpus: 1, rootGb: 1, ephemeralGb: 0, swap: 0, rxtxFactor: 1, isPublic: true, description: null, extraSpecs: {} };
  const times: number[] = [];
  for (let n = 0; n < schedules; n++) {
    const t0 = performance.now();
    const [nodes, svcs, zones] = await Promise.all([services.listNodes(), services.listServices({ binary: 'nova-compute' }), aggregates.zoneByHost()]);
    const byHost = new Map(svcs.map((s) => [s.host, s]));
    const states: HostState[] = nodes.map((node) => ({
      host: node.host, node: node.hypervisorHostname, availabilityZone: zones.get(node.host) ?? node.availabilityZone, up: serviceIsUp(byHost.get(node.host)!, 60_000), disabled: false,
      vcpus: node.vcpus, vcpusUsed: node.vcpusUsed, memoryMb: node.memoryMb, memoryMbUsed: node.memoryMbUsed, localGb: node.localGb, localGbUsed: node.localGbUsed,
      cpuAllocationRatio: node.cpuAllocationRatio, ramAllocationRatio: node.ramAllocationRatio, diskAllocationRatio: node.diskAllocationRatio, hypervisorType: node.hypervisorType, runningVms: node.runningVms, instances: new Set(),
    }));
    const sel = selectHosts(states, { flavor, imageProperties: {}, availabilityZone: null, forceHost: null, group: null, groupHosts: new Set() }, defaultFilters(), defaultWeighers());
    for (const h of sel.hosts) if (await services.claim(h.host, `i-${n}`, { vcpus: 1, memoryMb: 512, diskGb: 1 })) break;
    times.push(performance.now() - t0);
  }
  console.log(`scheduling over ${hosts} hosts, ${schedules} schedules: median ${median(times).toFixed(2)} ms, p95 ${pct(times, 0.95).toFixed(2)} ms`);
} finally {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
}
