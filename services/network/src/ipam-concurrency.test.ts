// IPAM and quota claims under concurrency, on every database engine: unique addresses, a full pool answers 409, one winner per address.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestCloud, testDatabases, type TestCloud } from '@strata/testing';
import { newCaller, startNetwork, type Caller, type NetHarness } from './test-support.js';

const engines = await testDatabases();

describe('IPAM concurrency', () => {
  let tc: TestCloud;
  before(async () => {
    tc = await startTestCloud();
  });
  after(async () => tc?.close());

  for (const engine of engines) {
    describe(`${engine.name}`, { skip: engine.skip }, () => {
      let h: NetHarness;
      let drop: () => Promise<void>;
      let user: Caller;
      let admin: string;
      before(async () => {
        const made = await engine.create();
        drop = made.drop;
        h = await startNetwork(tc, { databaseUrl: made.url, agent: false });
        admin = await tc.adminToken();
        user = await newCaller(tc, `ipam-${engine.name}`);
      });
      after(async () => {
        await h?.close();
        // NOTE: pg's Pool.end() resolves before its sockets finish closing; a DROP ... WITH (FORCE)
        // at once makes the server kill them, and the closing clients throw "terminating connection".
        await sleep(300);
        await drop?.();
      });

      const create = (body: object) => h.call('POST', '/v2.0/ports', { token: user.token, body: { port: body } });

      test('40 parallel port creates on a 29-address pool: 29 unique addresses, 11 × 409 IpAddressGenerationFailure', async () => {
        const net = (await h.call('POST', '/v2.0/networks', { token: user.token, body: { network: { name: 'ipam' } } })).body.network;
        const sub = await h.call('POST', '/v2.0/subnets', { token: user.token, body: { subnet: { network_id: net.id, cidr: '10.77.0.0/27', ip_version: 4, enable_dhcp: false } } });
        assert.equal(sub.status, 201, JSON.stringify(sub.body));
        const results = await Promise.all(Array.from({ length: 40 }, () => create({ network_id: net.id })));
        const ok = results.filter((r) => r.status === 201);
        const failed = results.filter((r) => r.status !== 201);
        const ips = ok.map((r) => r.body.port.fixed_ips[0].ip_address as string);
        assert.equal(ok.length, 29, JSON.stringify(failed.map((f) => f.body)));
        assert.equal(new Set(ips).size, 29, 'every address unique');
        assert.ok(!ips.includes('10.77.0.1'), 'the gateway stays free');
        assert.ok(failed.every((r) => r.status === 409 && r.body.NeutronError.type === 'IpAddressGenerationFailure'), JSON.stringify(failed.map((f) => f.body)));
        const listed = (await h.call('GET', `/v2.0/ports?network_id=${net.id}`, { token: user.token })).body.ports;
        assert.equal(listed.length, 29);
        // Released addresses are reused.
        await h.call('DELETE', `/v2.0/ports/${ok[0]!.body.port.id}`, { token: user.token });
        const again = await create({ network_id: net.id });
        assert.equal(again.status, 201);
        assert.equal(again.body.port.fixed_ips[0].ip_address, ips[0]);
      });

      test('the same address asked for 8 times at once: one port gets it, 7 × 409 IpAddressInUse', async () => {
        const net = (await h.call('POST', '/v2.0/networks', { token: user.token, body: { network: { name: 'same-ip' } } })).body.network;
        await h.call('POST', '/v2.0/subnets', { token: user.token, body: { subnet: { network_id: net.id, cidr: '10.78.0.0/24', ip_version: 4, enable_dhcp: false } } });
        const results = await Promise.all(Array.from({ length: 8 }, () => create({ network_id: net.id, fixed_ips: [{ ip_address: '10.78.0.50' }] })));
        assert.equal(results.filter((r) => r.status === 201).length, 1);
        assert.ok(results.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.NeutronError.type === 'IpAddressInUse'));
      });

      test('quota claims are atomic: port quota 5, 12 parallel creates, exactly 5 made', async () => {
        const q = await newCaller(tc, `quota-${engine.name}`);
        await h.call('PUT', `/v2.0/quotas/${q.projectId}`, { token: admin, body: { quota: { port: 5 } } });
        const net = (await h.call('POST', '/v2.0/networks', { token: q.token, body: { network: { name: 'quota' } } })).body.network;
        const results = await Promise.all(Array.from({ length: 12 }, () => h.call('POST', '/v2.0/ports', { token: q.token, body: { port: { network_id: net.id } } })));
        assert.equal(results.filter((r) => r.status === 201).length, 5);
        assert.ok(results.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.NeutronError.type === 'OverQuota'), JSON.stringify(results.filter((r) => r.status !== 201).map((r) => r.body)));
      });

      test('parallel tenant networks get distinct VNIs', async () => {
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => h.call('POST', '/v2.0/networks', { token: admin, body: { network: { name: `vni-${i}` } } })));
        assert.ok(results.every((r) => r.status === 201), JSON.stringify(results.filter((r) => r.status !== 201).map((r) => r.body)));
        const vnis = results.map((r) => r.body.network['provider:segmentation_id']);
        assert.equal(new Set(vnis).size, 10);
      });
    });
  }
});
