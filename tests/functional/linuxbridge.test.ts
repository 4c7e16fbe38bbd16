// The linuxbridge backend for real, as root: `strata up` with [network] backend = linuxbridge, network
// namespaces as stand-in VMs (plugged into the veth the backend makes for `strata:netns` ports), the
// real `openstack` CLI and the Network API: DHCP (busybox udhcpc), ping, security groups, a router
// between two subnets, a floating IP and SNAT to an "external" namespace, metadata, and nothing left
// behind once everything is deleted.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { addVethNamespace, deleteNamespaces, hasOpenstackCli, jsonCaller, moveIntoNewNamespace, onPath, pingsFrom, projectToken, servicesRequired, startStrataProcess, waitFor, type JsonCall, type StrataProcess, type VethNamespace } from '@strata/testing';
import { firewallTableName, hostProblem, LinuxBridgeNetworkBackend } from '@strata/net-linuxbridge';

const run = promisify(execFile);
const problem = hostProblem() ?? (!onPath('busybox') ? 'busybox (udhcpc) is not installed' : !onPath('ping') ? 'ping is not installed' : !hasOpenstackCli() ? 'the openstack CLI is not installed' : undefined);
const skip = problem === undefined ? undefined : servicesRequired() ? undefined : `linuxbridge test needs root and tools: ${problem}`;

type Json = Record<string, any>;

describe('linuxbridge backend: namespaces as VMs on real bridges, DHCP, security groups, routers, floating IPs', { skip }, () => {
  // Short unique prefix: interface names are limited to 15 characters.
  const px = `lb${(process.pid % 46656).toString(36).padStart(3, '0')}`;
  const extNs = `${px}-ext`;
  const extHost = `${px}x0`;
  const extPeer = `${px}x1`;
  const vmNs: string[] = [];
  let ext: VethNamespace | undefined;
  let strata: StrataProcess | undefined;
  let dataDir = '';
  let env: NodeJS.ProcessEnv;
  /** Calls on neutron's API (under /v2.0) with the admin's token, from before(). */
  let call: JsonCall;
  let host = '';
  const udhcpcScript = join(tmpdir(), `${px}-udhcpc.sh`);

  const ip = (...args: string[]) => run('ip', args);
  const osc = async (...args: string[]): Promise<string> => (await run('openstack', args, { env, timeout: 60_000 })).stdout;
  const json = async (...args: string[]): Promise<any> => JSON.parse(await osc(...args, '-f', 'json'));

  /** A "VM": a port bound to the agent's host, its veth end moved into a new namespace, addressed by DHCP. */
  const bootVm = async (name: string, networkId: string, extra: string[] = []): Promise<{ ns: string; port: Json; ip: string }> => {
    const port = await json('port', 'create', '--network', networkId, '--host', host, '--device-owner', 'strata:netns', ...extra, `${px}-${name}`);
    await waitFor(`port ${name} ACTIVE`, async () => (await call('GET', `ports/${port.id}`)).port.status === 'ACTIVE');
    const ns = `${px}-${name}`;
    vmNs.push(ns);
    await moveIntoNewNamespace(`vth${(port.id as string).slice(0, 11)}`, ns);
    await run('ip', ['netns', 'exec', ns, 'busybox', 'udhcpc', '-i', 'eth0', '-n', '-q', '-t', '10', '-T', '1', '-O', 'mtu', '-O', 'staticroutes', '-s', udhcpcScript], { timeout: 30_000 });
    const got = JSON.parse((await ip('-j', '-n', ns, 'addr', 'show', 'dev', 'eth0')).stdout)[0].addr_info.find((a: Json) => a.family === 'inet')?.local as string;
    return { ns, port, ip: got };
  };

  before(async () => {
    writeFileSync(
      udhcpcScript,
      [
        '#!/bin/sh',
        'case "$1" in bound|renew)',
        '  ip addr flush dev "$interface"',
        '  ip addr add "$ip/$mask" dev "$interface"',
        '  [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"',
        '  set -- $staticroutes',
        '  while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done',
        '  [ -z "$staticroutes" ] && for r in $router; do ip route replace default via "$r" dev "$interface"; break; done',
        'esac',
        'exit 0',
        '',
      ].join('\n'),
    );
    chmodSync(udhcpcScript, 0o755);
    // The "external" world: a namespace holding the public subnet's gateway 172.24.4.1, wired to
    // the host by a veth whose host end is the flat `public` physnet's interface.
    ext = await addVethNamespace({ ns: extNs, hostEnd: extHost, peerEnd: extPeer, address: '172.24.4.1/24' });
    dataDir = mkdtempSync(join(tmpdir(), `strata-${px}-`));
    strata = await startStrataProcess({ dataDir, env: { OS_NETWORK__BACKEND: 'linuxbridge', OS_NETWORK__PHYSICAL_INTERFACE_MAPPINGS: `public:${extHost}` } });
    env = strata.adminEnv;
    const auth = await projectToken(env);
    call = jsonCaller(`${auth.endpoint('network')}/v2.0`, auth.token);
  });

  after(async () => {
    await deleteNamespaces(...vmNs);
    await ext?.remove();
    const code = await strata?.stop();
    // Whatever a failed run left, the backend removes from its own records (and only that).
    if (dataDir !== '' && existsSync(join(dataDir, 'linuxbridge', 'owned.json'))) {
      const b = await LinuxBridgeNetworkBackend.create({ stateDir: join(dataDir, 'linuxbridge'), interfaceMappings: { public: '' } });
      await b.teardown();
      await b.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(udhcpcScript, { force: true });
    assert.equal(code, 0, 'strata up stops cleanly');
  });

  const state: { vm1?: Json; vm2?: Json; vm3?: Json; net2?: Json; sub2?: Json; sg?: Json; icmpRule?: Json; fip?: Json; private?: Json; public?: Json; router?: Json } = {};

  test('the agent is the Linux bridge agent, and the default router and DHCP are wired', async () => {
    const agents = await json('network', 'agent', 'list');
    const l2 = agents.find((a: Json) => a['Agent Type'] === 'Linux bridge agent');
    assert.ok(l2, `no Linux bridge agent in ${JSON.stringify(agents)} (fell back to noop?)\n${strata?.output().slice(-2000)}`);
    host = l2.Host;
    state.private = (await call('GET', 'networks?name=private')).networks[0];
    state.public = (await call('GET', 'networks?name=public')).networks[0];
    state.router = (await call('GET', 'routers?name=router1')).routers[0];
    await waitFor('the DHCP port of private ACTIVE', async () => (await call('GET', `ports?network_id=${state.private!.id}&device_owner=network:dhcp`)).ports[0]?.status === 'ACTIVE');
    await waitFor('qdhcp namespace', async () => existsSync(`/run/netns/qdhcp-${state.private!.id}`));
    await waitFor('qrouter namespace', async () => existsSync(`/run/netns/qrouter-${state.router!.id}`));
    assert.ok(existsSync(`/sys/class/net/brq${(state.private!.id as string).slice(0, 11)}`), 'bridge of private');
    assert.ok(existsSync(`/sys/class/net/brq${(state.public!.id as string).slice(0, 11)}/brif/${extHost}`), 'the public physnet interface is on the public bridge');
  });

  test('two VMs on a private network get their addresses by DHCP and ping each other', async () => {
    state.vm1 = await bootVm('vm1', state.private!.id);
    state.vm2 = await bootVm('vm2', state.private!.id);
    assert.equal(state.vm1.ip, state.vm1.port.fixed_ips[0].ip_address);
    assert.equal(state.vm2.ip, state.vm2.port.fixed_ips[0].ip_address);
    assert.ok(await pingsFrom(state.vm1.ns, state.vm2.ip), 'vm1 pings vm2 (default group: ingress from its members)');
    assert.ok(await pingsFrom(state.vm2.ns, state.vm1.ip), 'vm2 pings vm1');
  });

  test('a security group without ICMP blocks ping; adding the rule allows it within 1 s', async (t) => {
    state.sg = await json('security', 'group', 'create', `${px}-noicmp`);
    await osc('port', 'set', '--no-security-group', '--security-group', state.sg!.id, state.vm2!.port.id);
    await waitFor('ping blocked', async () => !(await pingsFrom(state.vm1!.ns, state.vm2!.ip)), { timeoutMs: 5000 });
    assert.equal(await pingsFrom(state.vm1!.ns, state.vm2!.ip), false, 'no ICMP rule: blocked');
    const t0 = Date.now();
    state.icmpRule = await json('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'icmp', state.sg!.id);
    const created = Date.now();
    await waitFor('ping allowed', () => pingsFrom(state.vm1!.ns, state.vm2!.ip, 0.2), { timeoutMs: 3000, intervalMs: 100 });
    const took = Date.now() - created;
    t.diagnostic(`ICMP allowed ${took} ms after the rule create returned`);
    assert.ok(took <= 1000, `rule applied ${took} ms after it was created (CLI call took ${created - t0} ms)`);
  });

  test('removing the rule ends a running ping within 1 s (its conntrack entry is deleted)', async (t) => {
    // One ping process is one ICMP flow: after its first reply it passes as "established". Its deadline
    // (-w 60) is far past the observation window, and -O prints a line for every request left unanswered,
    // so the test sees the same ping still sending, and not answered, after the delete.
    const ping = spawn('ip', ['netns', 'exec', state.vm1!.ns, 'ping', '-n', '-O', '-i', '0.2', '-W', '1', '-w', '60', state.vm2!.ip]);
    const replies: number[] = [];
    const unanswered: number[] = [];
    let partial = '';
    ping.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (/bytes from/.test(line)) replies.push(Date.now());
        else if (/no answer yet/.test(line)) unanswered.push(Date.now());
      }
    });
    const ended = new Promise((resolve) => ping.on('close', resolve));
    try {
      await waitFor('the ping is answered', async () => replies.length >= 3, { timeoutMs: 5000 });
      await osc('security', 'group', 'rule', 'delete', state.icmpRule!.id);
      const removed = Date.now();
      await sleep(2500);
      const running = ping.exitCode === null && ping.signalCode === null;
      const late = replies.filter((at) => at > removed + 1000).length;
      const lateUnanswered = unanswered.filter((at) => at > removed + 1000).length;
      t.diagnostic(`${replies.filter((at) => at > removed).length} replies after the delete returned, ${late} of them later than 1 s; ${lateUnanswered} requests unanswered later than 1 s`);
      assert.ok(running, `the ping is still running at the end of the window (exit ${ping.exitCode}, signal ${ping.signalCode})`);
      assert.equal(late, 0, 'no reply more than 1 s after the rule was removed');
      assert.ok(lateUnanswered >= 3, `the ping kept sending after the delete: ${lateUnanswered} unanswered requests later than 1 s`);
    } finally {
      ping.kill();
      await ended;
    }
  });

  test('port security: a VM using an address that is not its own is dropped', async () => {
    await ip('-n', state.vm1!.ns, 'addr', 'add', '10.0.0.250/24', 'dev', 'eth0');
    assert.equal(await run('ip', ['netns', 'exec', state.vm1!.ns, 'ping', '-c', '1', '-W', '1', '-I', '10.0.0.250', state.vm2!.ip]).then(() => true, () => false), false);
    await ip('-n', state.vm1!.ns, 'addr', 'del', '10.0.0.250/24', 'dev', 'eth0');
  });

  test('a router connects two subnets', async () => {
    state.net2 = await json('network', 'create', `${px}-net2`);
    state.sub2 = await json('subnet', 'create', '--network', state.net2!.id, '--subnet-range', '10.1.0.0/24', `${px}-sub2`);
    await osc('router', 'add', 'subnet', state.router!.id, state.sub2!.id);
    state.vm3 = await bootVm('vm3', state.net2!.id);
    assert.match(state.vm3.ip, /^10\.1\.0\./);
    await waitFor('vm3 reaches vm1 through router1', () => pingsFrom(state.vm3!.ns, state.vm1!.ip), { timeoutMs: 10_000 });
    assert.ok(await pingsFrom(state.vm1!.ns, state.vm3!.ip), 'vm1 reaches vm3');
  });

  test('a floating IP reaches the VM from outside, and a VM without one reaches outside through SNAT', async () => {
    const defaultSg = (await call('GET', `security-groups?name=default&project_id=${state.vm1!.port.project_id}`)).security_groups[0];
    await osc('security', 'group', 'rule', 'create', '--ingress', '--protocol', 'icmp', '--remote-ip', '172.24.4.0/24', defaultSg.id);
    state.fip = await json('floating', 'ip', 'create', '--port', state.vm1!.port.id, state.public!.id);
    const fipAddr = state.fip!.floating_ip_address as string;
    await waitFor('floating IP ACTIVE', async () => (await call('GET', `floatingips/${state.fip!.id}`)).floatingip.status === 'ACTIVE');
    await waitFor(`ext reaches vm1 at ${fipAddr}`, () => pingsFrom(extNs, fipAddr), { timeoutMs: 10_000 });
    assert.ok(await pingsFrom(state.vm1!.ns, '172.24.4.1'), 'vm1 reaches outside (as its floating IP)');
    // The external namespace has no route to 10.1.0.0/24: the reply only arrives because of SNAT.
    assert.ok(await pingsFrom(state.vm3!.ns, '172.24.4.1'), 'vm3 reaches outside through SNAT');
    assert.equal(await pingsFrom(extNs, state.vm3!.ip), false, 'outside cannot reach a VM without a floating IP');
  });

  test('metadata: the DHCP namespace proxies 169.254.169.254 to nova with the port named', async () => {
    // No server owns this port, so nova answers 404 — from nova, not a 502 of the proxy.
    // (busybox's static wget crashes on this system; node's fetch is the HTTP client in the namespace.)
    const script = "fetch('http://169.254.169.254/openstack').then(async (r) => console.log(r.status, await r.text()), (e) => { console.log('error', e.cause?.code ?? e.message); })";
    const r = (await run('ip', ['netns', 'exec', state.vm2!.ns, process.execPath, '-e', script], { timeout: 15_000 })).stdout;
    const diag = async (): Promise<string> => (await run('ip', ['netns', 'exec', `qdhcp-${state.private!.id}`, 'ss', '-ltnp']).catch((e: Error) => ({ stdout: e.message }))).stdout + (await ip('-n', state.vm2!.ns, 'route')).stdout;
    assert.match(r, /^404 /, `metadata answer: ${r}\n${await diag()}`);
  });

  test('deleting everything leaves no bridge, tap, namespace, nft table or dnsmasq behind', async () => {
    const ports: Json[] = (await call('GET', 'ports')).ports;
    const nets: Json[] = (await call('GET', 'networks')).networks;
    await call('DELETE', `floatingips/${state.fip!.id}`);
    for (const vm of [state.vm1!, state.vm2!, state.vm3!]) await call('DELETE', `ports/${vm.port.id}`);
    await call('PUT', `routers/${state.router!.id}/remove_router_interface`, { subnet_id: state.sub2!.id });
    await call('PUT', `routers/${state.router!.id}/remove_router_interface`, { subnet_id: state.private!.subnets[0] });
    await call('DELETE', `routers/${state.router!.id}`);
    for (const n of [state.net2!, state.private!, state.public!]) await call('DELETE', `networks/${n.id}`);
    await call('DELETE', `security-groups/${state.sg!.id}`);
    const table = firewallTableName(join(dataDir, 'linuxbridge'));
    const leftovers = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const n of nets) if (existsSync(`/sys/class/net/brq${(n.id as string).slice(0, 11)}`)) out.push(`bridge of ${n.name}`);
      for (const p of ports) if (existsSync(`/sys/class/net/tap${(p.id as string).slice(0, 11)}`)) out.push(`tap of port ${p.id} (${p.device_owner})`);
      for (const n of readdirSync('/run/netns')) if (nets.some((x) => n === `qdhcp-${x.id}`) || n === `qrouter-${state.router!.id}`) out.push(`namespace ${n}`);
      if ((await run('nft', ['list', 'tables'])).stdout.includes(table)) out.push(`nft table ${table}`);
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        let cmd = '';
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (cmd.includes(dataDir) && !cmd.includes('strata.js')) out.push(`process ${pid}: ${cmd.replace(/\0/g, ' ').slice(0, 80)}`);
      }
      if (existsSync(`/sys/class/net/${extHost}/master`)) out.push(`${extHost} still enslaved`);
      return out;
    };
    let last: string[] = [];
    await waitFor('the host to be clean', async () => (last = await leftovers()).length === 0, { timeoutMs: 15_000 }).catch(() => assert.deepEqual(last, []));
  });
});
