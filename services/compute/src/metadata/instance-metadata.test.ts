import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configDriveData, configDriveTree, ec2MetaData, metaDataJson, metadataSourceFromGuestSpec, networkDataJson, type MetadataSource } from './instance-metadata.js';
import { inCidr, signInstanceId } from './metadata-lookup.js';

const src: MetadataSource = {
  uuid: '6f0c3c2e-3c1b-4b43-9a55-0d9a3a3f9c11',
  name: 'Web 1',
  hostname: 'web-1',
  availabilityZone: 'nova',
  projectId: 'p1',
  launchIndex: 0,
  reservationId: 'r-abc',
  flavorName: 'm1.tiny',
  imageId: '0b6c5a3e-1111-2222-3333-444455556666',
  keyName: 'k',
  keyData: 'ssh-ed25519 AAAA k',
  metadata: { role: 'web' },
  userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
  securityGroups: ['default'],
  rootDeviceName: '/dev/vda',
  ports: [
    {
      portId: 'a1b2c3d4-0000-4000-8000-000000000001',
      networkId: 'n1',
      macAddress: 'fa:16:3e:00:00:01',
      fixedIps: [{ address: '10.0.0.5', subnet: { id: 's1', cidr: '10.0.0.0/24', ipVersion: 4, gatewayIp: '10.0.0.1', dnsNameservers: ['10.0.0.2'], hostRoutes: [{ destination: '192.168.0.0/16', nexthop: '10.0.0.9' }], enableDhcp: true } }],
      floatingIps: ['172.24.4.10'],
      tag: 'frontend',
    },
    { portId: 'b1b2c3d4-0000-4000-8000-000000000002', networkId: 'n2', macAddress: 'fa:16:3e:00:00:02', fixedIps: [{ address: '10.1.0.7' }] },
  ],
};

test('meta_data.json: fields by version, one key in public_keys and keys, tagged devices', () => {
  const m = metaDataJson(src, 'latest');
  assert.equal(m.uuid, src.uuid);
  assert.deepEqual(m.public_keys, { k: 'ssh-ed25519 AAAA k' });
  assert.deepEqual(m.keys, [{ name: 'k', type: 'ssh', data: 'ssh-ed25519 AAAA k' }]);
  assert.deepEqual(m.devices, [{ type: 'nic', bus: 'pci', address: '', mac: 'fa:16:3e:00:00:01', tags: ['frontend'] }]);
  assert.equal(m.project_id, 'p1');
  const folsom = metaDataJson(src, '2012-08-10');
  assert.equal(folsom.random_seed, undefined);
  assert.equal(folsom.project_id, undefined);
  assert.equal(folsom.devices, undefined);
  assert.equal(metaDataJson(src, '2013-04-04').random_seed !== undefined, true);
});

test('network_data.json: a link per port, static IPv4 with netmask, gateway and host routes, DHCP when the subnet is unknown', () => {
  const n = networkDataJson(src) as { links: any[]; networks: any[]; services: any[] };
  assert.deepEqual(n.links.map((l) => [l.id, l.ethernet_mac_address]), [['tapa1b2c3d4-00', 'fa:16:3e:00:00:01'], ['tapb1b2c3d4-00', 'fa:16:3e:00:00:02']]);
  assert.equal(n.networks[0].type, 'ipv4');
  assert.equal(n.networks[0].netmask, '255.255.255.0');
  assert.deepEqual(n.networks[0].routes, [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.0.1' }, { network: '192.168.0.0', netmask: '255.255.0.0', gateway: '10.0.0.9' }]);
  assert.equal(n.networks[1].type, 'ipv4_dhcp');
  assert.deepEqual(n.services, [{ type: 'dns', address: '10.0.0.2' }]);
});

test('EC2 tree and the config drive file tree', () => {
  const e = ec2MetaData(src);
  assert.equal(e['local-ipv4'], '10.0.0.5');
  assert.equal(e['public-ipv4'], '172.24.4.10');
  assert.equal(e.hostname, 'web-1.novalocal');
  assert.deepEqual(e['public-keys'], { '0=k': { 'openssh-key': 'ssh-ed25519 AAAA k' } });
  const files = configDriveTree(src);
  for (const p of ['openstack/latest/meta_data.json', 'openstack/latest/user_data', 'openstack/latest/network_data.json', 'openstack/latest/vendor_data.json', 'openstack/2012-08-10/meta_data.json', 'ec2/latest/meta-data.json', 'ec2/latest/meta-data/public-keys/0/openssh-key', 'ec2/latest/user-data']) assert.ok(files.has(p), p);
  assert.equal(files.has('openstack/2012-08-10/network_data.json'), false);
  assert.equal(files.get('openstack/latest/user_data')?.toString(), '#!/bin/sh\necho hi\n');
  const seeds = new Set([...files].filter(([p]) => p.endsWith('meta_data.json')).map(([, b]) => JSON.parse(b.toString()).random_seed).filter(Boolean));
  assert.equal(seeds.size, 1, 'one random_seed across the drive');
  const d = configDriveData(src, { adminPass: 'pw' });
  assert.equal(d.metaData.admin_pass, 'pw');
  assert.equal(d.userData, src.userData);
});

test('a metadata source from a GuestSpec, proxy signatures, CIDR match', () => {
  const s = metadataSourceFromGuestSpec({ instanceId: src.uuid, name: 'instance-1', displayName: 'My VM', vcpus: 1, memoryMb: 512, rootGb: 1, imagePath: null, imageId: null, imageFormat: 'qcow2', ephemeralGb: 0, swapMb: 0, extraSpecs: {}, ports: [{ portId: 'p', macAddress: 'm', networkId: 'n', ips: ['10.0.0.3'] }], volumes: [], userData: null, metadata: {}, keyData: null });
  assert.equal(s.name, 'My VM');
  assert.equal(s.hostname, 'my-vm');
  assert.equal(s.keyName, null);
  assert.deepEqual(s.ports[0]?.fixedIps, [{ address: '10.0.0.3' }]);
  assert.match(signInstanceId('abc', 'secret'), /^[0-9a-f]{64}$/);
  assert.notEqual(signInstanceId('abc', 'secret'), signInstanceId('abc', 'other'));
  assert.equal(inCidr('10.0.0.5', '10.0.0.0/24'), true);
  assert.equal(inCidr('10.0.1.5', '10.0.0.0/24'), false);
  assert.equal(inCidr('10.9.9.9', '0.0.0.0/0'), true);
  assert.equal(inCidr('fd00::5', 'fd00::/64'), true);
  assert.equal(inCidr('fd01::5', 'fd00::/64'), false);
  assert.equal(inCidr('10.0.0.5', 'fd00::/64'), false);
});
