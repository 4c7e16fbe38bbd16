import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkSpec, PortSpec } from '@strata/net';
import { NoopNetworkBackend } from './noop-network-backend.js';

const net: NetworkSpec = { id: 'n1', segment: { networkType: 'vxlan', physicalNetwork: null, segmentationId: 7 }, mtu: 1450, adminStateUp: true, external: false };
const port = (id: string): PortSpec => ({
  id,
  network: net,
  macAddress: 'fa:16:3e:00:00:01',
  fixedIps: [{ subnetId: 's1', ipAddress: '10.0.0.3', cidr: '10.0.0.0/24', ipVersion: 4, gatewayIp: '10.0.0.1' }],
  deviceOwner: 'compute:nova',
  deviceId: 'vm1',
  adminStateUp: true,
  allowedAddressPairs: [],
  security: { enabled: true, securityGroupIds: [], rules: [], remoteGroupMembers: {} },
  vifType: 'other',
});

test('noop backend records plugs, is idempotent, and reconcile keeps only the desired state', async () => {
  const b = await NoopNetworkBackend.create();
  await b.plugPort(port('p1'));
  await b.plugPort(port('p1'));
  await b.plugPort(port('p2'));
  assert.deepEqual([...b.ports.keys()], ['p1', 'p2']);
  assert.ok(b.networks.has('n1'));
  await b.unplugPort('p1');
  await b.unplugPort('p1');
  assert.deepEqual([...b.ports.keys()], ['p2']);
  const r = await b.ensureRouter({ id: 'r1', adminStateUp: true, gateway: null, interfaces: [], routes: [], floatingIps: [{ id: 'f1', floatingIpAddress: '172.24.4.9', fixedIpAddress: '10.0.0.3', portId: 'p2' }] });
  assert.deepEqual(r.floatingIpStatuses, { f1: 'ACTIVE' });
  await b.reconcile({ ports: [port('p3')], dhcp: [], routers: [] });
  assert.deepEqual([...b.ports.keys()], ['p3']);
  assert.equal(b.routers.size, 0);
  assert.equal(b.calls.at(-1)?.method, 'reconcile');
});

test('noop backend fails the ports it is told to, and honours an aborted signal', async () => {
  const b = new NoopNetworkBackend({ failPorts: new Set(['bad']) });
  await assert.rejects(b.plugPort(port('bad')), /told to fail/);
  assert.equal(b.ports.has('bad'), false);
  await assert.rejects(b.plugPort(port('p1'), { signal: AbortSignal.abort(new Error('stop')) }), /stop/);
});

test('noop backend reports a tunnel endpoint only when given one, and records the tunnel peers it is set', async () => {
  const plain = new NoopNetworkBackend();
  assert.equal(plain.configurations().tunneling_ip, undefined);
  const b = new NoopNetworkBackend({ tunnelingIp: '192.0.2.7' });
  assert.equal(b.configurations().tunneling_ip, '192.0.2.7');
  assert.deepEqual(b.configurations().tunnel_types, ['vxlan']);
  await b.setTunnelPeers([{ host: 'h2', ip: '192.0.2.8' }]);
  assert.deepEqual(b.tunnelPeers, [{ host: 'h2', ip: '192.0.2.8' }]);
  await b.setTunnelPeers([]);
  assert.deepEqual(b.tunnelPeers, []);
});
