// The plugin <-> agent RPC on every bus: memory:// always, rabbit:// where RabbitMQ is reachable (required with STRATA_REQUIRE_SERVICES=1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NoopNetworkBackend } from '@strata/net-fake';
import { skipUnlessReachable, startTestCloud, type TestCloud } from '@strata/testing';
import { newCaller, startNetwork, type Caller, type NetHarness } from '../test-support.js';

const BUSES = [
  { name: 'memory', url: undefined, skip: undefined },
  { name: 'rabbit', url: 'rabbit://guest:guest@127.0.0.1:5672/', skip: await skipUnlessReachable('RabbitMQ', '127.0.0.1', 5672) },
] as const;

const peersOf = (x: NoopNetworkBackend): string => JSON.stringify(x.tunnelPeers);

describe('agent RPC', () => {
  let tc: TestCloud;
  before(async () => {
    tc = await startTestCloud();
  });
  after(async () => tc?.close());

  for (const bus of BUSES) {
    describe(bus.name, { skip: bus.skip }, () => {
      let h: NetHarness;
      let admin: string;
      let user: Caller;
      before(async () => {
        const dir = mkdtempSync(join(tmpdir(), 'strata-net-rpc-'));
        h = await startNetwork(tc, { databaseUrl: `sqlite://${join(dir, 'network.sqlite')}`, ...(bus.url !== undefined ? { transportUrl: bus.url } : {}), settings: { agentDownTimeMs: 1500 }, reportIntervalMs: 300, backendOptions: { tunnelingIp: '192.0.2.1' } });
        admin = await tc.adminToken();
        user = await newCaller(tc, `rpc-${bus.name}`);
      });
      after(async () => h?.close());

      test('heartbeats register the host agents; the plugin casts a binding, the agent wires it and reports the port ACTIVE', async () => {
        const agents = (await h.call('GET', '/v2.0/agents', { token: admin })).body.agents.filter((a: { host: string }) => a.host === h.host);
        assert.equal(agents.length, 3);
        const net = (await h.call('POST', '/v2.0/networks', { token: user.token, body: { network: { name: 'rpc' } } })).body.network;
        await h.call('POST', '/v2.0/subnets', { token: user.token, body: { subnet: { network_id: net.id, cidr: '10.88.0.0/24', ip_version: 4 } } });
        const created = await h.call('POST', '/v2.0/ports', { token: admin, body: { port: { network_id: net.id, project_id: user.projectId, 'binding:host_id': h.host, device_owner: 'compute:nova', device_id: randomUUID() } } });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = created.body.port.id;
        await h.until(async () => (await h.call('GET', `/v2.0/ports/${id}`, { token: user.token })).body.port.status === 'ACTIVE', 8000, 'ACTIVE');
        assert.equal(h.backend.ports.get(id)?.fixedIps[0]?.ipAddress, created.body.port.fixed_ips[0].ip_address);
        assert.ok(h.backend.ports.get(id)?.security.rules.length, 'the default group rules reach the firewall');
        assert.equal((await h.call('DELETE', `/v2.0/ports/${id}`, { token: user.token })).status, 204);
        await h.until(async () => !h.backend.ports.has(id), 8000, 'unplugged');
      });

      test('security group changes reach the ports that use them', async () => {
        const net = (await h.call('POST', '/v2.0/networks', { token: user.token, body: { network: { name: 'sg' } } })).body.network;
        await h.call('POST', '/v2.0/subnets', { token: user.token, body: { subnet: { network_id: net.id, cidr: '10.89.0.0/24', ip_version: 4, enable_dhcp: false } } });
        const sg = (await h.call('POST', '/v2.0/security-groups', { token: user.token, body: { security_group: { name: 'web' } } })).body.security_group;
        const p = (await h.call('POST', '/v2.0/ports', { token: admin, body: { port: { network_id: net.id, project_id: user.projectId, security_groups: [sg.id], 'binding:host_id': h.host } } })).body.port;
        await h.until(async () => h.backend.ports.has(p.id), 8000, 'plugged');
        const before = h.backend.ports.get(p.id)!.security.rules.length;
        await h.call('POST', '/v2.0/security-group-rules', { token: user.token, body: { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 } } });
        await h.until(async () => h.backend.ports.get(p.id)!.security.rules.length === before + 1, 8000, 'firewall refreshed');
      });

      test('tunnel peers: each agent gets the VTEPs of the other live hosts, again when one joins or goes dead', async () => {
        await h.until(async () => h.backend.calls.some((c) => c.method === 'setTunnelPeers'), 8000, 'peers set at resync');
        assert.deepEqual(h.backend.tunnelPeers, [], 'alone: no peers');
        const l2 = (await h.call('GET', '/v2.0/agents', { token: admin })).body.agents.find((a: { host: string; agent_type: string }) => a.host === h.host && a.agent_type === 'Noop agent');
        assert.equal(l2.configurations.tunneling_ip, '192.0.2.1');
        assert.deepEqual(l2.configurations.tunnel_types, ['vxlan']);
        const hostB = `${h.host}-b`;
        const b = new NoopNetworkBackend({ tunnelingIp: '192.0.2.2' });
        const agentB = await h.startAgent(hostB, b);
        const plain = new NoopNetworkBackend();
        await h.startAgent(`${h.host}-c`, plain);
        await h.until(async () => peersOf(h.backend) === JSON.stringify([{ host: hostB, ip: '192.0.2.2' }]), 8000, 'the first agent hears of the one that joined');
        await h.until(async () => peersOf(b) === JSON.stringify([{ host: h.host, ip: '192.0.2.1' }]), 8000, 'the new agent gets the first one');
        await h.until(async () => plain.tunnelPeers.length === 2, 8000, 'an agent without tunnels is no peer, but hears of both');
        await agentB.close();
        await h.until(async () => h.backend.tunnelPeers.length === 0 && peersOf(plain) === JSON.stringify([{ host: h.host, ip: '192.0.2.1' }]), 8000, 'a dead agent is no longer a peer');
      });

      test('the server tells every agent at once (fanout) when an agent joins or is deleted, without waiting for heartbeats', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'strata-net-tun-'));
        const quiet = await startNetwork(tc, { databaseUrl: `sqlite://${join(dir, 'network.sqlite')}`, ...(bus.url !== undefined ? { transportUrl: bus.url } : {}), reportIntervalMs: 600_000, backendOptions: { tunnelingIp: '192.0.2.11' } });
        try {
          const hostB = `${quiet.host}-b`;
          const b = new NoopNetworkBackend({ tunnelingIp: '192.0.2.12' });
          await quiet.startAgent(hostB, b);
          await quiet.until(async () => peersOf(quiet.backend) === JSON.stringify([{ host: hostB, ip: '192.0.2.12' }]), 5000, 'the first agent hears of the one that joined');
          assert.deepEqual(b.tunnelPeers, [{ host: quiet.host, ip: '192.0.2.11' }]);
          const l2b = (await quiet.call('GET', '/v2.0/agents', { token: admin })).body.agents.find((a: { host: string; agent_type: string }) => a.host === hostB && a.agent_type === 'Noop agent');
          assert.equal((await quiet.call('DELETE', `/v2.0/agents/${l2b.id}`, { token: admin })).status, 204);
          await quiet.until(async () => quiet.backend.tunnelPeers.length === 0, 5000, 'a deleted agent is no longer a peer');
        } finally {
          await quiet.close();
          rmSync(dir, { recursive: true, force: true });
        }
      });

      test('an agent that stops reporting shows dead', async () => {
        await h.agent!.close();
        await sleep(1700);
        const agents = (await h.call('GET', '/v2.0/agents', { token: admin })).body.agents.filter((a: { host: string }) => a.host === h.host);
        assert.ok(agents.length === 3 && agents.every((a: { alive: boolean }) => !a.alive));
      });
    });
  }
});
