import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance } from '../objects/instance.js';
import { ApiVersion } from './microversion.js';
import { serverBasicView, serverDetailView, serverStatus } from './servers-view.js';
import { isoMicro, isoZ } from './view-helpers.js';

const instance: Instance = {
  id: '11111111-2222-3333-4444-555555555555',
  projectId: 'p1',
  userId: 'u1',
  name: 'vm1',
  description: 'd',
  hostname: 'vm1',
  host: 'h1',
  node: 'h1',
  availabilityZone: 'nova',
  flavor: { id: '1', name: 'm1.tiny', memoryMb: 512, vcpus: 1, rootGb: 1, ephemeralGb: 0, swap: 0, rxtxFactor: 1, isPublic: true, description: null, extraSpecs: { a: 'b' } },
  newFlavor: null,
  oldFlavor: null,
  imageRef: 'img',
  vmState: 'error',
  taskState: null,
  powerState: 0,
  keyName: null,
  keyData: null,
  userData: null,
  metadata: { k: 'v' },
  tags: ['t'],
  configDrive: '',
  accessIpV4: '',
  accessIpV6: '',
  reservationId: 'r-1',
  launchIndex: 0,
  locked: false,
  lockedBy: null,
  lockedReason: null,
  requestedNetworks: [],
  blockDevices: [],
  securityGroups: [],
  schedulerHints: {},
  networkInfo: [{ portId: 'p', networkId: 'n', networkName: 'private', macAddress: 'fa:16:3e:00:00:01', ips: [{ address: '10.0.0.5', version: 4, type: 'fixed' }], created: true }],
  fault: { code: 500, message: 'No valid host was found.', details: 'RamFilter rejected 1', created: '2026-01-02T03:04:05.678Z' },
  serverGroupId: null,
  rootDeviceName: '/dev/vda',
  progress: 0,
  createdAt: '2026-01-02T03:04:05.678Z',
  updatedAt: '2026-01-02T03:04:06.000Z',
  launchedAt: '2026-01-02T03:04:05.678Z',
  terminatedAt: null,
  deleted: false,
  deletedAt: null,
  diskConfig: 'MANUAL',
  systemMetadata: {},
};

const v = (s: string): ApiVersion => ApiVersion.parse(s) as ApiVersion;

describe('server views', () => {
  test('status map', () => {
    assert.equal(serverStatus('active', null), 'ACTIVE');
    assert.equal(serverStatus('active', 'rebooting_hard'), 'HARD_REBOOT');
    assert.equal(serverStatus('stopped', null), 'SHUTOFF');
    assert.equal(serverStatus('resized', null), 'VERIFY_RESIZE');
    assert.equal(serverStatus('building', 'scheduling'), 'BUILD');
  });

  test('timestamps: created with Z, OS-SRV-USG without', () => {
    assert.equal(isoZ('2026-01-02T03:04:05.678Z'), '2026-01-02T03:04:05Z');
    assert.equal(isoMicro('2026-01-02T03:04:05.678Z'), '2026-01-02T03:04:05.678000');
  });

  test('2.1 for a member: flavor link, no admin attributes, fault without details, addresses by network name', () => {
    const s = serverDetailView(instance, { base: 'http://x', version: v('2.1'), isAdmin: false });
    assert.deepEqual(s.flavor, { id: '1', links: [{ rel: 'bookmark', href: 'http://x/flavors/1' }] });
    assert.equal(s['OS-EXT-SRV-ATTR:host'], undefined);
    assert.equal(s.locked, undefined);
    assert.equal(s.tags, undefined);
    assert.deepEqual(s.fault, { code: 500, created: '2026-01-02T03:04:05Z', message: 'No valid host was found.' });
    assert.deepEqual(s.addresses, { private: [{ version: 4, addr: '10.0.0.5', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01' }] });
    assert.equal(s.created, '2026-01-02T03:04:05Z');
    assert.equal(s['OS-SRV-USG:launched_at'], '2026-01-02T03:04:05.678000');
  });

  test('2.47 as admin: embedded flavor, extended attributes, locked, description, tags, fault details', () => {
    const s = serverDetailView(instance, { base: 'http://x', version: v('2.47'), isAdmin: true, hostStatus: new Map([['h1', 'UP']]) });
    assert.deepEqual(s.flavor, { vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, original_name: 'm1.tiny', extra_specs: { a: 'b' } });
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'h1');
    assert.equal(s['OS-EXT-SRV-ATTR:reservation_id'], 'r-1');
    assert.equal(s.locked, false);
    assert.equal(s.host_status, 'UP');
    assert.equal(s.description, 'd');
    assert.deepEqual(s.tags, ['t']);
    assert.equal((s.fault as { details: string }).details, 'RamFilter rejected 1');
  });

  const opening = ['id', 'name', 'status', 'tenant_id', 'user_id', 'metadata', 'hostId', 'image', 'flavor', 'created', 'updated', 'addresses', 'accessIPv4', 'accessIPv6', 'links', 'OS-DCF:diskConfig'];

  test('before 2.75, update and rebuild answer with the detail body\'s opening fields, addresses without extensions, in order', () => {
    const c = { base: 'http://x', version: v('2.74'), isAdmin: true };
    const d = serverDetailView(instance, c);
    const rb = serverBasicView(instance, c, { rebuild: true });
    assert.deepEqual(Object.keys(d).slice(0, opening.length), opening);
    assert.deepEqual(Object.keys(rb), [...opening, 'fault', 'locked', 'description', 'tags', 'key_name', 'user_data', 'trusted_image_certificates', 'server_groups', 'locked_reason']);
    for (const k of opening) if (k !== 'addresses') assert.deepEqual(rb[k], d[k], k);
    assert.deepEqual(rb.addresses, { private: [{ version: 4, addr: '10.0.0.5' }] });
    assert.equal(rb['OS-EXT-SRV-ATTR:host'], undefined);
    assert.equal(rb['OS-EXT-STS:vm_state'], undefined);
  });

  test('2.1 update for a member: the opening fields and a fault without details, nothing else', () => {
    const upd = serverBasicView(instance, { base: 'http://x', version: v('2.1'), isAdmin: false }, { rebuild: false });
    assert.deepEqual(Object.keys(upd), [...opening, 'fault']);
    assert.deepEqual(upd.flavor, { id: '1', links: [{ rel: 'bookmark', href: 'http://x/flavors/1' }] });
    assert.deepEqual(upd.fault, { code: 500, created: '2026-01-02T03:04:05Z', message: 'No valid host was found.' });
  });

  test('fault details: shown to members for faults other than 500 in every view, never when empty', () => {
    const member = { base: 'http://x', version: v('2.1'), isAdmin: false };
    const notFound: Instance = { ...instance, fault: { code: 404, message: 'Image not found.', details: 'image abc', created: '2026-01-02T03:04:05.678Z' } };
    for (const view of [serverDetailView(notFound, member), serverBasicView(notFound, member, { rebuild: true }), serverBasicView(notFound, member, { rebuild: false })]) {
      assert.equal((view.fault as { details?: string }).details, 'image abc');
    }
    const empty: Instance = { ...instance, fault: { code: 500, message: 'boom', details: '', created: '2026-01-02T03:04:05.678Z' } };
    assert.equal('details' in (serverDetailView(empty, { ...member, isAdmin: true }).fault as object), false);
  });
});
