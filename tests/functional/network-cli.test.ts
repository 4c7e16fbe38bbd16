// The real `openstack` CLI against `strata up` (a child process on free ports): networks, subnets, ports, routers, floating IPs, security groups, bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { hasOpenstackCli, servicesRequired, startStrataProcess, type StrataProcess } from '@strata/testing';

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
