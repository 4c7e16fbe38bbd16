// The metadata path end to end without root: the relay asks neutron-server (plugin RPC
// getMetadataInstance over the cloud's bus) which server a fixed IP is, signs it with the cloud's
// generated secret, and nova's metadata API answers that server's meta_data.json and user data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestJson } from '@strata/clients';
import { silentLogger } from '@strata/log';
import { PluginRpcClient } from '@strata/network';
import { createTransport, type Transport } from '@strata/rpc';
import { freePort, startTestCloud, type TestCloud } from '@strata/testing';
import { MetadataRelay } from './metadata-relay.js';

type Json = Record<string, any>;

function through(socketPath: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metadata relay against a real cloud (neutron-server lookup, nova metadata API with its generated secret)', () => {
  let tc: TestCloud;
  let transport: Transport;
  let relay: MetadataRelay;
  let metadataUrl: string;
  const dir = mkdtempSync(join(tmpdir(), 'strata-md-cloud-'));
  let vm: { id: string; projectId: string; ip: string; networkId: string };
  let routerId: string;

  before(async () => {
    const port = await freePort();
    tc = await startTestCloud({ env: { OS_COMPUTE__METADATA_PORT: String(port) } });
    metadataUrl = `http://127.0.0.1:${port}`;
    const token = await tc.adminToken();
    const h = { 'x-auth-token': token };
    const { image, network, compute } = tc.cloud.urls as Record<string, string>;
    const img = await requestJson<Json>(`${image}/v2/images`, { method: 'POST', headers: h, body: { name: 'md-relay', disk_format: 'raw', container_format: 'bare' } });
    const put = await fetch(`${image}/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { ...h, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096, 7) });
    assert.ok(put.ok, `image upload: ${put.status}`);
    const nets = (await requestJson<Json>(`${network}/v2.0/networks?name=private`, { headers: h })).body.networks as Json[];
    const net = nets[0];
    assert.ok(net !== undefined, 'strata up made the private network');
    const userData = Buffer.from('#!/bin/sh\necho relayed\n').toString('base64');
    const created = await requestJson<Json>(`${compute}/v2.1/servers`, { method: 'POST', headers: h, body: { server: { name: 'md-relay-vm', imageRef: img.body.id, flavorRef: '1', networks: [{ uuid: net.id }], user_data: userData } } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const id = created.body.server.id as string;
    let server: Json = {};
    for (let i = 0; i < 400 && server.status !== 'ACTIVE'; i++) {
      server = (await requestJson<Json>(`${compute}/v2.1/servers/${id}`, { headers: h })).body.server;
      assert.notEqual(server.status, 'ERROR', JSON.stringify(server.fault));
      if (server.status !== 'ACTIVE') await sleep(25);
    }
    assert.equal(server.status, 'ACTIVE');
    const ports = (await requestJson<Json>(`${network}/v2.0/ports?device_id=${id}`, { headers: h })).body.ports as Json[];
    vm = { id, projectId: server.tenant_id, ip: ports[0]?.fixed_ips[0]?.ip_address, networkId: net.id };
    routerId = ((await requestJson<Json>(`${network}/v2.0/routers?name=router1`, { headers: h })).body.routers as Json[])[0]?.id;
    assert.ok(vm.ip !== undefined && routerId !== undefined);

    // What the agent's backend gets from `strata up`: the agent's plugin RPC lookup and the secret kept in the data dir.
    const kept = JSON.parse(readFileSync(join(tc.dataDir, 'service-credentials.json'), 'utf8')) as Record<string, unknown>;
    const secret = kept.metadata_proxy_shared_secret;
    assert.ok(typeof secret === 'string' && /^[0-9a-f]{64}$/.test(secret), 'strata up generated the secret and keeps it with the service passwords');
    transport = await createTransport('memory://');
    const plugin = new PluginRpcClient(transport, { timeoutMs: 10_000 });
    const ctx = { requestId: 'req-md-relay', roles: ['admin'] };
    relay = new MetadataRelay(join(dir, 'md.sock'), metadataUrl, silentLogger(), { resolve: (q) => plugin.getMetadataInstance(ctx, q), secret });
    await relay.start();
  });
  after(async () => {
    await relay?.close();
    await transport?.close();
    await tc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a guest on its network gets its own meta_data.json and user data through the relay', async () => {
    const headers = { 'x-forwarded-for': vm.ip, 'x-neutron-network-id': vm.networkId };
    const m = await through(relay.socketPath, '/openstack/latest/meta_data.json', headers);
    assert.equal(m.status, 200, m.text);
    const md = JSON.parse(m.text);
    assert.equal(md.uuid, vm.id);
    assert.equal(md.hostname, 'md-relay-vm');
    assert.equal(md.project_id, vm.projectId);
    assert.equal((await through(relay.socketPath, '/latest/user-data', headers)).text, '#!/bin/sh\necho relayed\n');
  });

  test('behind its router too; another address gets 404, and nova itself refuses the same headers unsigned', async () => {
    const viaRouter = await through(relay.socketPath, '/openstack/latest/meta_data.json', { 'x-forwarded-for': vm.ip, 'x-neutron-router-id': routerId });
    assert.equal(viaRouter.status, 200, viaRouter.text);
    assert.equal(JSON.parse(viaRouter.text).uuid, vm.id);
    assert.equal((await through(relay.socketPath, '/openstack/latest/meta_data.json', { 'x-forwarded-for': '10.0.0.250', 'x-neutron-network-id': vm.networkId })).status, 404);
    const direct = await fetch(`${metadataUrl}/openstack/latest/meta_data.json`, { headers: { 'x-forwarded-for': vm.ip, 'x-neutron-network-id': vm.networkId } });
    assert.equal(direct.status, 400);
    assert.match(await direct.text(), /X-Instance-ID header is missing from request\./);
  });
});
