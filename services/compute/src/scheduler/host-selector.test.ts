import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlavorSnapshot } from '../objects/instance.js';
import type { ServerGroup } from '../objects/server-group.js';
import type { FilterRequest, HostState } from './host-state.js';
import { defaultFilters, defaultWeighers, noValidHostMessage, selectHosts } from './host-selector.js';
import { RamFilter } from './filters/ram-filter.js';
import { ComputeCapabilitiesFilter } from './filters/compute-capabilities-filter.js';
import { RamWeigher } from './weighers/ram-weigher.js';

const flavor = (memoryMb: number, vcpus = 1, rootGb = 1, extraSpecs: Record<string, string> = {}): FlavorSnapshot => ({ id: 'f', name: 'f', memoryMb, vcpus, rootGb, ephemeralGb: 0, swap: 0, rxtxFactor: 1, isPublic: true, description: null, extraSpecs });
const host = (name: string, over: Partial<HostState> = {}): HostState => ({
  host: name,
  node: name,
  availabilityZone: 'nova',
  up: true,
  disabled: false,
  vcpus: 4,
  vcpusUsed: 0,
  memoryMb: 4096,
  memoryMbUsed: 0,
  localGb: 100,
  localGbUsed: 0,
  cpuAllocationRatio: 1,
  ramAllocationRatio: 1,
  diskAllocationRatio: 1,
  hypervisorType: 'fake',
  runningVms: 0,
  instances: new Set(),
  ...over,
});
const req = (f: FlavorSnapshot, over: Partial<FilterRequest> = {}): FilterRequest => ({ flavor: f, imageProperties: {}, availabilityZone: null, forceHost: null, group: null, groupHosts: new Set(), ...over });

describe('scheduler filters and weighers', () => {
  test('RamFilter honours the allocation ratio', () => {
    const f = new RamFilter();
    assert.equal(f.hostPasses(host('a', { memoryMbUsed: 3800 }), req(flavor(512))), false);
    assert.equal(f.hostPasses(host('a', { memoryMbUsed: 3800, ramAllocationRatio: 1.5 }), req(flavor(512))), true);
  });

  test('the chain drops down, disabled, full and wrong-zone hosts and says who rejected how many', () => {
    const hosts = [host('down', { up: false }), host('off', { disabled: true }), host('full', { memoryMbUsed: 4096 }), host('az2', { availabilityZone: 'az2' }), host('ok')];
    const sel = selectHosts(hosts, req(flavor(1024), { availabilityZone: 'nova' }), defaultFilters(), defaultWeighers());
    assert.deepEqual(sel.hosts.map((h) => h.host), ['ok']);
    assert.deepEqual(sel.rejections, [
      { filter: 'AvailabilityZoneFilter', rejected: 1 },
      { filter: 'ComputeFilter', rejected: 2 },
      { filter: 'RamFilter', rejected: 1 },
    ]);
    const none = selectHosts(hosts, req(flavor(1 << 20)), defaultFilters(), defaultWeighers());
    assert.equal(none.hosts.length, 0);
    assert.match(noValidHostMessage(5, none.rejections), /No valid host was found.*RamFilter rejected 3/);
  });

  test('the RAM weigher spreads: most free RAM first', () => {
    const sel = selectHosts([host('busy', { memoryMbUsed: 3000 }), host('idle'), host('half', { memoryMbUsed: 2000 })], req(flavor(512)), defaultFilters(), [new RamWeigher()]);
    assert.deepEqual(sel.hosts.map((h) => h.host), ['idle', 'half', 'busy']);
  });

  test('anti-affinity excludes hosts with members; affinity keeps only them', () => {
    const group = (policy: ServerGroup['policy']): ServerGroup => ({ id: 'g', name: 'g', policy, rules: {}, projectId: 'p', userId: 'u', createdAt: '', members: ['x'] });
    const hosts = [host('a'), host('b')];
    const anti = selectHosts(hosts, req(flavor(512), { group: group('anti-affinity'), groupHosts: new Set(['a']) }), defaultFilters(), defaultWeighers());
    assert.deepEqual(anti.hosts.map((h) => h.host), ['b']);
    const aff = selectHosts(hosts, req(flavor(512), { group: group('affinity'), groupHosts: new Set(['b']) }), defaultFilters(), defaultWeighers());
    assert.deepEqual(aff.hosts.map((h) => h.host), ['b']);
    const soft = selectHosts([host('a', { memoryMbUsed: 10 }), host('b')], req(flavor(512), { group: group('soft-affinity'), groupHosts: new Set(['a']) }), defaultFilters(), defaultWeighers());
    assert.equal(soft.hosts[0]?.host, 'a', 'soft affinity outweighs a little RAM');
  });

  test('compute capabilities from flavor extra specs', () => {
    const f = new ComputeCapabilitiesFilter();
    assert.equal(f.hostPasses(host('a'), req(flavor(512, 1, 1, { 'capabilities:hypervisor_type': 'fake' }))), true);
    assert.equal(f.hostPasses(host('a'), req(flavor(512, 1, 1, { 'capabilities:hypervisor_type': 'qemu' }))), false);
    assert.equal(f.hostPasses(host('a'), req(flavor(512, 1, 1, { 'capabilities:vcpus': '>= 8' }))), false);
    assert.equal(f.hostPasses(host('a'), req(flavor(512, 1, 1, { 'hw:cpu_policy': 'dedicated' }))), true);
  });
});
