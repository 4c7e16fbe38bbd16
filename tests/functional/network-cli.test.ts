// The real `openstack` CLI against `strata up` (a child process on free ports): networks, subnets, ports, routers, floating IPs, security groups, bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hasOpenstackCli, projectToken, servicesRequired, startStrataProcess, type StrataProcess } from '@strata/testing';

const run = promisify(execFile);
const skip = hasOpenstackCli() ? undefined : servicesRequired() ? undefined : 'the openstack CLI is not installed';

describe('openstack network commands against `strata up`', { skip }, () => {
  let strata: StrataProcess;
  let env: NodeJS.ProcessEnv;
  const osc = async (e: NodeJS.ProcessEnv, ...args: string[]): Promise<string> => (await run('openstack', args, { env: e, timeout: 60_000 })).stdout;
  const json = async (e: NodeJS.ProcessEnv, ...args: string[]): Promise<any> => JSON.parse(await osc(e, ...args, '-f', 'json'));
  const fails = async (pattern: RegExp, e: NodeJS.ProcessEnv, ...args: string[]): Promise<void> => {
    await assert.rejects(osc(e, ...args), (err: { stderr?: string; message: string }) => {
      assert.match(`${err.stderr ?? ''}${err.message}`, pattern);
      return true;
    });
  };

  before(async () => {
    if (!hasOpenstackCli()) throw new Error('STRATA_REQUIRE_SERVICES=1 but the openstack CLI is not installed');
    strata = await startStrataProcess();
    env = strata.adminEnv;
  });
  after(async () => {
    const code = await strata?.stop();
    assert.equal(code, 0, 'strata up stops cleanly on SIGTERM');
  });

  test('first start made public (external) and private (admin) networks, router1, and the agents', async () => {
    const nets = await json(env, 'network', 'list', '--long');
    const pub = nets.find((n: { Name: string }) => n.Name === 'public');
    const priv = nets.find((n: { Name: string }) => n.Name === 'private');
    assert.ok(pub && priv);
    assert.ok(pub['Router Type'] === true || pub['Router Type'] === 'External');
    assert.equal((await json(env, 'subnet', 'show', priv.Subnets[0])).cidr, '10.0.0.0/24');
    assert.equal((await json(env, 'router', 'show', 'router1')).external_gateway_info.network_id, pub.ID);
    const agents = await json(env, 'network', 'agent', 'list');
    assert.deepEqual(agents.map((a: { 'Agent Type': string }) => a['Agent Type']).sort(), ['DHCP agent', 'L3 agent', 'Noop agent']);
    assert.ok(agents.every((a: { Alive: boolean }) => a.Alive));
  });

  test('network, subnet, port, router, gateway, floating IP, security group: create, show, list, delete', async () => {
    const net = await json(env, 'network', 'create', 'cli-net');
    assert.equal(net.status, 'ACTIVE');
    const sub = await json(env, 'subnet', 'create', '--network', 'cli-net', '--subnet-range', '10.0.0.0/24', 'cli-sub');
    assert.equal(sub.gateway_ip, '10.0.0.1');
    const port = await json(env, 'port', 'create', '--network', 'cli-net', 'cli-port');
    assert.equal(port.status, 'DOWN');
    assert.match(JSON.stringify(port.fixed_ips), /10\.0\.0\./);
    const router = await json(env, 'router', 'create', 'cli-router');
    await osc(env, 'router', 'add', 'subnet', 'cli-router', 'cli-sub');
    await osc(env, 'router', 'set', '--external-gateway', 'public', 'cli-router');
    const shown = await json(env, 'router', 'show', 'cli-router');
    assert.equal(shown.id, router.id);
    assert.match(JSON.stringify(shown.external_gateway_info), /172\.24\.4\./);
    assert.equal((await json(env, 'port', 'list', '--device-owner', 'network:router_interface', '--network', 'cli-net')).length, 1);
    const fip = await json(env, 'floating', 'ip', 'create', 'public');
    assert.match(fip.floating_ip_address, /^172\.24\.4\./);
    await osc(env, 'floating', 'ip', 'set', '--port', 'cli-port', fip.floating_ip_address);
    const assoc = await json(env, 'floating', 'ip', 'show', fip.floating_ip_address);
    assert.equal(assoc.port_id, port.id);
    assert.equal(assoc.router_id, router.id);
    assert.ok((await json(env, 'floating', 'ip', 'list')).some((f: { ID: string }) => f.ID === fip.id));
    const sg = await json(env, 'security', 'group', 'create', 'cli-sg');
    const rule = await json(env, 'security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'cli-sg');
    assert.equal(rule.port_range_min, 22);
    assert.equal(rule.security_group_id, sg.id);
    assert.ok((await json(env, 'security', 'group', 'rule', 'list', 'cli-sg')).some((r: { ID: string }) => r.ID === rule.id));
    assert.ok((await json(env, 'security', 'group', 'list')).some((g: { Name: string }) => g.Name === 'default'));

    // Bad input the CLI reports: invalid CIDR, gateway outside the subnet, overlapping pools, an IP in use, a network with ports.
    await fails(/400|not a valid IP subnet/, env, 'subnet', 'create', '--network', 'cli-net', '--subnet-range', '10.1.0.0/33', 'bad1');
    await fails(/400|not in subnet/, env, 'subnet', 'create', '--network', 'cli-net', '--subnet-range', '10.2.0.0/24', '--gateway', '10.3.0.1', 'bad2');
    await fails(/409|overlapping allocation pools/i, env, 'subnet', 'create', '--network', 'cli-net', '--subnet-range', '10.4.0.0/24', '--allocation-pool', 'start=10.4.0.10,end=10.4.0.20', '--allocation-pool', 'start=10.4.0.15,end=10.4.0.30', 'bad3');
    await fails(/409|in use/, env, 'port', 'create', '--network', 'cli-net', '--fixed-ip', `ip-address=${port.fixed_ips[0].ip_address}`, 'bad4');
    await fails(/409|still in use/, env, 'network', 'delete', 'cli-net');

    await osc(env, 'floating', 'ip', 'delete', fip.id);
    await osc(env, 'security', 'group', 'rule', 'delete', rule.id);
    await osc(env, 'security', 'group', 'delete', 'cli-sg');
    await osc(env, 'router', 'remove', 'subnet', 'cli-router', 'cli-sub');
    await osc(env, 'router', 'delete', 'cli-router');
    await osc(env, 'port', 'delete', 'cli-port');
    await osc(env, 'subnet', 'delete', 'cli-sub');
    await osc(env, 'network', 'delete', 'cli-net');
    assert.ok(!(await json(env, 'network', 'list')).some((n: { Name: string }) => n.Name === 'cli-net'));
  });

  test('bad input over the API: the exact status, and nothing changed', async () => {
    const admin = await projectToken(env);
    const token = admin.token;
    const url = admin.endpoint('network');
    const call = async (method: string, path: string, tk: string, body?: unknown): Promise<{ status: number; body: any }> => {
      const r = await fetch(`${url}/v2.0/${path}`, { method, headers: { 'x-auth-token': tk, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await r.text();
      return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
    };
    const net = (await call('POST', 'networks', token, { network: { name: 'api-bad-net' } })).body.network;
    const sub = (await call('POST', 'subnets', token, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.20.0.0/29' } })).body.subnet;
    const port = (await call('POST', 'ports', token, { port: { network_id: net.id, device_owner: 'compute:nova', device_id: 'd0d0d0d0-0000-4000-8000-000000000001' } })).body.port;
    const ip = port.fixed_ips[0].ip_address as string;
    const subnetCount = async (): Promise<number> => (await call('GET', `subnets?network_id=${net.id}`, token)).body.subnets.length;
    const portCount = async (): Promise<number> => (await call('GET', `ports?network_id=${net.id}`, token)).body.ports.length;

    for (const cidr of ['10.21.0.0/33', '10.21.0.300/24', 'not-a-cidr', '10.21.0.0/24/1']) {
      const r = await call('POST', 'subnets', token, { subnet: { network_id: net.id, ip_version: 4, cidr } });
      assert.equal(r.status, 400, `cidr ${cidr}`);
      assert.match(r.body.NeutronError.message, /cidr|subnet/i, `cidr ${cidr}: ${r.body.NeutronError.message}`);
    }
    assert.equal((await call('POST', 'subnets', token, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.22.0.0/24', gateway_ip: '10.23.0.1' } })).status, 400, 'gateway outside the subnet');
    const overlap = await call('POST', 'subnets', token, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.24.0.0/24', allocation_pools: [{ start: '10.24.0.10', end: '10.24.0.20' }, { start: '10.24.0.15', end: '10.24.0.30' }] } });
    assert.equal(overlap.status, 409);
    assert.equal(overlap.body.NeutronError.type, 'OverlappingAllocationPools');
    assert.equal((await call('POST', 'subnets', token, { subnet: { network_id: net.id, ip_version: 4, cidr: '10.24.0.0/24', allocation_pools: [{ start: '10.25.0.10', end: '10.25.0.20' }] } })).status, 400, 'a pool outside the subnet');
    assert.equal(await subnetCount(), 1, 'no subnet was created');

    const inUse = await call('POST', 'ports', token, { port: { network_id: net.id, fixed_ips: [{ subnet_id: sub.id, ip_address: ip }] } });
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.NeutronError.type, 'IpAddressInUse');
    // A /29 has 5 addresses after the gateway (a DHCP port may hold one): fill them, then one more is refused.
    const filled: string[] = [];
    let full: { status: number; body: any } | undefined;
    for (let i = 0; i < 6 && full === undefined; i++) {
      const r = await call('POST', 'ports', token, { port: { network_id: net.id } });
      if (r.status === 201) filled.push(r.body.port.id);
      else full = r;
    }
    assert.equal(full?.status, 409, 'the pool runs out');
    assert.equal(full?.body.NeutronError.type, 'IpAddressGenerationFailure');
    const ports = await portCount();
    assert.equal((await call('POST', 'ports', token, { port: { network_id: net.id } })).status, 409);
    assert.equal(await portCount(), ports, 'no port was created by a refused request');

    const del = await call('DELETE', `networks/${net.id}`, token);
    assert.equal(del.status, 409);
    assert.equal(del.body.NeutronError.type, 'NetworkInUse');
    assert.equal((await call('GET', `networks/${net.id}`, token)).status, 200, 'the network is still there');

    // Another project's member: its ids are 404 for show, update and delete, and nothing changes.
    await osc(env, 'project', 'create', 'cli-net-other', '--domain', 'default');
    await osc(env, 'user', 'create', 'cli-net-other-user', '--domain', 'default', '--password', 'cli-Pw-3', '--project', 'cli-net-other');
    await osc(env, 'role', 'add', '--project', 'cli-net-other', '--user', 'cli-net-other-user', 'member');
    const other = (await projectToken({ ...env, OS_USERNAME: 'cli-net-other-user', OS_PASSWORD: 'cli-Pw-3', OS_PROJECT_NAME: 'cli-net-other' })).token;
    const router = (await call('POST', 'routers', token, { router: { name: 'api-bad-router' } })).body.router;
    for (const [kind, id] of [['networks', net.id], ['subnets', sub.id], ['ports', port.id], ['routers', router.id]] as const) {
      const key = kind.slice(0, -1);
      assert.equal((await call('GET', `${kind}/${id}`, other)).status, 404, `show ${key}`);
      assert.equal((await call('PUT', `${kind}/${id}`, other, { [key]: { name: 'stolen' } })).status, 404, `update ${key}`);
      assert.equal((await call('DELETE', `${kind}/${id}`, other)).status, 404, `delete ${key}`);
      assert.notEqual((await call('GET', `${kind}/${id}`, token)).body[key].name, 'stolen', `${key} unchanged`);
    }
    assert.equal((await call('POST', 'ports', other, { port: { network_id: net.id } })).status, 404, "a port on another project's network");

    await call('DELETE', `routers/${router.id}`, token);
    for (const id of [port.id, ...filled]) assert.equal((await call('DELETE', `ports/${id}`, token)).status, 204);
    assert.equal((await call('DELETE', `networks/${net.id}`, token)).status, 204);
  });

  test("another project's network is a 404 (the CLI says not found) and is not listed", async () => {
    const priv = await json(env, 'network', 'show', 'private');
    await osc(env, 'project', 'create', 'cli-net-proj', '--domain', 'default');
    await osc(env, 'user', 'create', 'cli-net-user', '--domain', 'default', '--password', 'cli-Pw-2', '--project', 'cli-net-proj');
    await osc(env, 'role', 'add', '--project', 'cli-net-proj', '--user', 'cli-net-user', 'member');
    const user = { ...env, OS_USERNAME: 'cli-net-user', OS_PASSWORD: 'cli-Pw-2', OS_PROJECT_NAME: 'cli-net-proj' };
    await fails(/No Network found|404|not found/i, user, 'network', 'show', priv.id);
    const seen = await json(user, 'network', 'list');
    assert.ok(!seen.some((n: { ID: string }) => n.ID === priv.id));
    assert.ok(seen.some((n: { Name: string }) => n.Name === 'public'), 'the external network is visible to everyone');
  });
});
