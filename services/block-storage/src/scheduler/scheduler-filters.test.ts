import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendState, FilterProperties } from './backend-state.js';
import { AvailabilityZoneFilter } from './filters/availability-zone-filter.js';
import { CapabilitiesFilter } from './filters/capabilities-filter.js';
import { CapacityFilter } from './filters/capacity-filter.js';
import { matchesSpec } from './filters/extra-specs-ops.js';
import { filterBackends, noValidBackendReason } from './filters/filter-chain.js';
import { SameBackendFilter } from './filters/same-backend-filter.js';
import { CapacityWeigher, weighBackends } from './weighers/capacity-weigher.js';
import { defaultFilters } from './scheduler-manager.js';

function backend(name: string, over: Partial<BackendState> = {}): BackendState {
  const [backendName = name, pool = 'pool'] = name.split('#');
  return {
    backend: backendName,
    pool,
    name: `${backendName}#${pool}`,
    availabilityZone: 'nova',
    totalCapacityGb: 100,
    freeCapacityGb: 100,
    allocatedCapacityGb: 0,
    reservedPercentage: 0,
    maxOverSubscriptionRatio: 1,
    thinProvisioningSupport: false,
    thickProvisioningSupport: true,
    capabilities: { volume_backend_name: backendName.split('@')[1] ?? 'x', storage_protocol: 'NBD', vendor_name: 'Open Source', thin_provisioning_support: false },
    ...over,
  };
}

const props = (over: Partial<FilterProperties> = {}): FilterProperties => ({ size: 1, extraSpecs: {}, availabilityZone: null, resourceBackend: null, ...over });

test('capacity: thick pools by free space minus reserve; thin pools by provisioned × over-subscription', () => {
  const f = new CapacityFilter();
  assert.equal(f.backendPasses(backend('h@a#p', { freeCapacityGb: 10 }), props({ size: 10 })), true);
  assert.equal(f.backendPasses(backend('h@a#p', { freeCapacityGb: 10 }), props({ size: 11 })), false);
  assert.equal(f.backendPasses(backend('h@a#p', { freeCapacityGb: 10, reservedPercentage: 10 }), props({ size: 1 })), false, '10% of 100 GiB reserved leaves 0');
  const thin = backend('h@a#p', { thinProvisioningSupport: true, thickProvisioningSupport: false, freeCapacityGb: 1, maxOverSubscriptionRatio: 20, allocatedCapacityGb: 1990 });
  assert.equal(f.backendPasses(thin, props({ size: 10 })), true, 'thin: 1990 + 10 <= 100 × 20');
  assert.equal(f.backendPasses(thin, props({ size: 11 })), false);
  assert.equal(f.backendPasses(backend('h@a#p', { totalCapacityGb: 0 }), props()), false);
});

test('availability zone and same-backend filters', () => {
  const az = new AvailabilityZoneFilter();
  assert.equal(az.backendPasses(backend('h@a#p'), props()), true);
  assert.equal(az.backendPasses(backend('h@a#p'), props({ availabilityZone: 'nova' })), true);
  assert.equal(az.backendPasses(backend('h@a#p'), props({ availabilityZone: 'other' })), false);
  const same = new SameBackendFilter();
  assert.equal(same.backendPasses(backend('h@a#p'), props({ resourceBackend: 'h@a#p' })), true);
  assert.equal(same.backendPasses(backend('h@b#p'), props({ resourceBackend: 'h@a#p' })), false);
  assert.equal(same.backendPasses(backend('h@a#q'), props({ resourceBackend: 'h@a' })), true);
});

test('capabilities: volume_backend_name, scoped keys, operators; vendor scopes are ignored', () => {
  const f = new CapabilitiesFilter();
  const b = backend('h@thin#p', { capabilities: { volume_backend_name: 'thin', storage_protocol: 'NBD', thin_provisioning_support: true, total_capacity_gb: 100 } });
  assert.equal(f.backendPasses(b, props({ extraSpecs: { volume_backend_name: 'thin' } })), true);
  assert.equal(f.backendPasses(b, props({ extraSpecs: { volume_backend_name: 'thick' } })), false);
  assert.equal(f.backendPasses(b, props({ extraSpecs: { 'capabilities:storage_protocol': '<in> NB' } })), true);
  assert.equal(f.backendPasses(b, props({ extraSpecs: { thin_provisioning_support: '<is> True' } })), true);
  assert.equal(f.backendPasses(b, props({ extraSpecs: { total_capacity_gb: '>= 50' } })), true);
  assert.equal(f.backendPasses(b, props({ extraSpecs: { total_capacity_gb: '>= 500' } })), false);
  assert.equal(f.backendPasses(b, props({ extraSpecs: { 'RESKEY:availability_zones': 'x', 'vendor:foo': 'bar', multiattach: '<is> True' } })), true);
  assert.equal(f.backendPasses(b, props({ extraSpecs: { missing_capability: 'x' } })), false, 'a capability the backend lacks fails, as in cinder');
});

test('extra spec operators', () => {
  assert.ok(matchesSpec('iSCSI', 'iSCSI'));
  assert.ok(!matchesSpec('iSCSI', 'iscsi'));
  assert.ok(matchesSpec('b', '<or> a <or> b'));
  assert.ok(!matchesSpec('c', '<or> a <or> b'));
  assert.ok(matchesSpec(true, '<is> True') && !matchesSpec(false, '<is> True'));
  assert.ok(matchesSpec('abc', 's== abc') && matchesSpec('b', 's> a'));
  assert.ok(matchesSpec(5, '== 5') && matchesSpec(5, '!= 4') && matchesSpec(5, '<= 5') && matchesSpec(6, '= 5'));
  assert.ok(matchesSpec(true, 'True') && !matchesSpec(true, 'yes-please'));
});

test('the chain names what rejected how many; the weigher prefers free capacity', () => {
  const backends = [backend('h1@a#p', { freeCapacityGb: 5 }), backend('h2@a#p', { availabilityZone: 'az2' }), backend('h3@b#p', { freeCapacityGb: 50 }), backend('h4@b#p', { freeCapacityGb: 90 })];
  const out = filterBackends(backends, defaultFilters(), props({ size: 10, availabilityZone: 'nova' }));
  assert.deepEqual(out.passed.map((b) => b.name), ['h3@b#p', 'h4@b#p']);
  assert.deepEqual(out.rejected, [
    { filter: 'AvailabilityZoneFilter', count: 1 },
    { filter: 'CapacityFilter', count: 1 },
  ]);
  const none = filterBackends(backends, defaultFilters(), props({ size: 1000 }));
  assert.match(noValidBackendReason(backends.length, none), /No valid backend was found\. 4 backends considered: CapacityFilter rejected 4\./);
  assert.equal(noValidBackendReason(0, none), 'No volume backend is up and enabled.');
  const weighed = weighBackends(out.passed, [new CapacityWeigher()], props({ size: 10 }));
  assert.equal(weighed[0]?.name, 'h4@b#p');
  const negative = weighBackends(out.passed, [new CapacityWeigher(-1)], props({ size: 10 }));
  assert.equal(negative[0]?.name, 'h3@b#p', 'a negative multiplier stacks instead of spreading');
});
