// Plugin RPC 1.2 getMetadataInstance: the agent asks neutron-server which server a metadata request
// comes from (fixed IP on a network, or on a network behind a router), as neutron's metadata agent does.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestCloud, type TestCloud } from '@strata/testing';
import { PLUGIN_RPC_VERSION } from '../server/plugin-rpc.js';
import { newCaller, startNetwork, type Caller, type NetHarness } from '../test-support.js';

describe('plugin RPC getMetadataInstance', () => {
  let tc: TestCloud;
  let h: NetHarness;
  let admin: string;
  let user: Caller;
  const dir = mkdtempSync(join(tmpdir(), 'strata-net-md-'));
  const serverId = randomUUID();
  let net: { id: string };
  let other: { id: string };
  let routerId: string;
  let vmIp: string;
  let otherIp: string;
  let plainIp: string;

  before(async () => {
    tc = await startTestCloud();
    h = await startNetwork(tc, { databaseUrl: `sqlite://${join(dir, 'network.sqlite')}` });
    admin = await tc.adminToken();
    user = await newCaller(tc, 'md-rpc');
    const post = async (path: string, token: string, body: unknown): Promise<any> => {
      const r = await h.call('POST', `/v2.0/${path}`, { token, body });
      assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    net = (await post('networks', user.token, { network: { name: 'md' } })).network;
    const subnet = (await post('subnets', user.token, { subnet: { network_id: net.id, cidr: '10.91.0.0/24', ip_version: 4 } })).subnet;
    other = (await post('networks', user.token, { network: { name: 'md-other' } })).network;
    await post('subnets', user.token, { subnet: { network_id: other.id, cidr: '10.92.0.0/24', ip_version: 4 } });
    const vmPort = (await post('ports', admin, { port: { network_id: net.id, project_id: user.projectId, device_owner: 'compute:nova', device_id: serverId } })).port;
    vmIp = vmPort.fixed_ips[0].ip_address;
    otherIp = (await post('ports', admin, { port: { network_id: other.id, project_id: user.projectId, device_owner: 'compute:nova', device_id: randomUUID() } })).port.fixed_ips[0].ip_address;
    plainIp = (await post('ports', user.token, { port: { network_id: net.id, device_owner: 'strata:netns' } })).port.fixed_ips[0].ip_address;
    routerId = (await post('routers', user.token, { router: { name: 'md-r' } })).router.id;
    const added = await h.call('PUT', `/v2.0/routers/${routerId}/add_router_interface`, { token: user.token, body: { subnet_id: subnet.id } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
  });
  after(async () => {
    await h?.close();
    await tc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the RPC API is at 1.2', () => {
    assert.equal(PLUGIN_RPC_VERSION, '1.2');
  });

  test('a fixed IP on a network: the compute port’s device (the server) and project', async () => {
    assert.deepEqual(await h.agent!.metadataInstance({ networkId: net.id, ip: vmIp }), { instanceId: serverId, tenantId: user.projectId });
  });

  test('a fixed IP behind a router: looked up on the networks of the router’s interfaces', async () => {
    assert.deepEqual(await h.agent!.metadataInstance({ routerId, ip: vmIp }), { instanceId: serverId, tenantId: user.projectId });
    assert.equal(await h.agent!.metadataInstance({ routerId, ip: otherIp }), null, 'a network the router has no interface on');
  });

  test('null for another network, an unknown address, a port that is no server’s, or no network at all', async () => {
    assert.equal(await h.agent!.metadataInstance({ networkId: other.id, ip: vmIp }), null);
    assert.equal(await h.agent!.metadataInstance({ networkId: net.id, ip: '10.91.0.250' }), null);
    assert.equal(await h.agent!.metadataInstance({ networkId: net.id, ip: plainIp }), null);
    assert.equal(await h.agent!.metadataInstance({ networkId: net.id, ip: 'not-an-ip' }), null);
    assert.equal(await h.agent!.metadataInstance({ ip: vmIp }), null);
    assert.equal(await h.agent!.metadataInstance({ routerId: randomUUID(), ip: vmIp }), null);
  });
});
