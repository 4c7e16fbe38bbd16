// IPv6 on the linuxbridge backend for real, as root: `strata up` with [network] backend = linuxbridge
// and network namespaces as stand-in VMs. A SLAAC subnet on a router: the VM takes its address
// (EUI-64 of its MAC, the port's fixed IP) and its default route from the router's advertisements
// (radvd in the qrouter namespace) and pings the gateway. A dhcpv6-stateful subnet: the advertisements
// say "managed", dnsmasq in the DHCP namespace hands the port's fixed IP to the VM's DHCPv6 client
// (a small one below: Debian's busybox has no udhcpc6). Nothing is left behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deleteNamespaces, jsonCaller, moveIntoNewNamespace, onPath, pingsFrom, projectToken, servicesRequired, startStrataProcess, waitFor, type JsonCall, type StrataProcess } from '@strata/testing';
import { hostProblem, LinuxBridgeNetworkBackend } from '@strata/net-linuxbridge';

const run = promisify(execFile);
const problem = hostProblem() ?? (!onPath('radvd') ? 'radvd is not installed' : !onPath('ping') ? 'ping is not installed' : undefined);
const skip = problem === undefined ? undefined : servicesRequired() ? undefined : `linuxbridge IPv6 test needs root and tools: ${problem}`;

type Json = Record<string, any>;

/** The command lines of running processes (one that ends while being read counts as empty). */
const commandLines = (): string[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    });

/**
 * A minimal DHCPv6 client (RFC 8415: Solicit → Advertise → Request → Reply for one IA_NA), run with
 * `node -e` inside the VM's namespace; prints the address the server assigned.
 */
const DHCPV6_CLIENT = `
const dgram = require('node:dgram');
const [iface, mac] = process.argv.slice(1);
const opt = (code, body) => { const h = Buffer.alloc(4); h.writeUInt16BE(code, 0); h.writeUInt16BE(body.length, 2); return Buffer.concat([h, body]); };
const duid = Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.from(mac.split(':').map((x) => parseInt(x, 16)))]);
const ia = (inner) => opt(3, Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.alloc(8), inner]));
const options = (buf) => { const out = []; for (let i = 0; i + 4 <= buf.length; ) { const code = buf.readUInt16BE(i), len = buf.readUInt16BE(i + 2); out.push({ code, body: buf.subarray(i + 4, i + 4 + len) }); i += 4 + len; } return out; };
const xid = Buffer.from([1, 2, 3]);
const msg = (type, extra) => Buffer.concat([Buffer.from([type]), xid, opt(1, duid), opt(8, Buffer.alloc(2)), ...extra]);
const sock = dgram.createSocket({ type: 'udp6', reuseAddr: true });
let step = 'solicit', timer;
const send = (m) => sock.send(m, 547, 'ff02::1:2%' + iface);
sock.on('message', (buf) => {
  const type = buf[0], opts = options(buf.subarray(4));
  const iaOpt = opts.find((o) => o.code === 3);
  const addr = iaOpt && options(iaOpt.body.subarray(12)).find((o) => o.code === 5);
  if (step === 'solicit' && type === 2 && addr) {
    step = 'request';
    const server = opts.find((o) => o.code === 2);
    const req = msg(3, [opt(2, server.body), ia(opt(5, Buffer.concat([addr.body.subarray(0, 16), Buffer.alloc(8)])))]);
    clearInterval(timer); send(req); timer = setInterval(() => send(req), 1000);
  } else if (step === 'request' && type === 7 && addr) {
    const a = addr.body.subarray(0, 16); const words = []; for (let i = 0; i < 16; i += 2) words.push(a.readUInt16BE(i).toString(16));
    console.log(new URL('http://[' + words.join(':') + ']').hostname.slice(1, -1)); process.exit(0);
  }
});
sock.bind(546, () => { const sol = msg(1, [ia(Buffer.alloc(0))]); send(sol); timer = setInterval(() => send(sol), 1000); });
setTimeout(() => { console.error('no DHCPv6 reply (' + step + ')'); process.exit(1); }, 20000);
`;

describe('linuxbridge backend, IPv6: router advertisements (SLAAC) and DHCPv6 (stateful) for namespace VMs', { skip }, () => {
  // Short unique prefix: interface names are limited to 15 characters.
  const px = `l6${(process.pid % 46656).toString(36).padStart(3, '0')}`;
  const vmNs: string[] = [];
  let strata: StrataProcess | undefined;
  let dataDir = '';
  /** Calls on neutron's API (under /v2.0) with the admin's token, from before(). */
  let call: JsonCall;
  let host = '';
  const made: { router?: Json; nets: Json[]; subnets: Json[]; ports: Json[] } = { nets: [], subnets: [], ports: [] };

  const ip = (...args: string[]) => run('ip', args);
  const addrs = async (ns: string, dev: string): Promise<Json[]> => JSON.parse((await ip('-j', '-n', ns, 'addr', 'show', 'dev', dev)).stdout)[0].addr_info as Json[];
  /** The router's link-local address on its interface to a network (what its advertisements come from). */
  const routerLinkLocal = async (portId: string): Promise<string> => (await addrs(`qrouter-${made.router!.id}`, `qr-${portId.slice(0, 11)}`)).find((a) => a.family === 'inet6' && a.scope === 'link')!.local as string;
  /** The VM's default IPv6 route's gateway, once an advertisement gave it one. */
  const defaultGateway = async (ns: string): Promise<string | undefined> => (JSON.parse((await ip('-6', '-j', '-n', ns, 'route', 'show', 'default')).stdout) as Json[])[0]?.gateway as string | undefined;

  /** A network with one IPv6 subnet in `mode`, attached to the router. */
  const ipv6Network = async (name: string, cidr: string, mode: string): Promise<{ net: Json; subnet: Json; routerPort: Json }> => {
    const net = (await call('POST', 'networks', { network: { name: `${px}-${name}` } })).network;
    made.nets.push(net);
    const subnet = (await call('POST', 'subnets', { subnet: { network_id: net.id, name: `${px}-${name}`, ip_version: 6, cidr, ipv6_ra_mode: mode, ipv6_address_mode: mode } })).subnet;
    made.subnets.push(subnet);
    const iface = await call('PUT', `routers/${made.router!.id}/add_router_interface`, { subnet_id: subnet.id });
    const routerPort = (await call('GET', `ports/${iface.port_id}`)).port;
    return { net, subnet, routerPort };
  };

  /** A "VM": a port bound to the agent's host, its veth end moved into a new namespace and brought up. */
  const bootVm = async (name: string, networkId: string): Promise<{ ns: string; port: Json }> => {
    const port = (await call('POST', 'ports', { port: { network_id: networkId, name: `${px}-${name}`, device_owner: 'strata:netns', 'binding:host_id': host } })).port;
    made.ports.push(port);
    await waitFor(`port ${name} ACTIVE`, async () => (await call('GET', `ports/${port.id}`)).port.status === 'ACTIVE');
    const ns = `${px}-${name}`;
    vmNs.push(ns);
    await moveIntoNewNamespace(`vth${(port.id as string).slice(0, 11)}`, ns);
    return { ns, port };
  };

  /**
   * Wait until the VM's default route points at the router's link-local address. The kernel sends
   * three router solicitations after the link comes up; should all of them precede radvd (a busy
   * host), the link is bounced to solicit again rather than waiting for the next periodic advertisement.
   */
  const waitForRa = async (ns: string, routerPort: Json): Promise<string> => {
    const want = await waitFor('the router interface link-local address', () => routerLinkLocal(routerPort.id as string));
    let bounced = Date.now();
    return waitFor(
      `a default route via ${want} in ${ns}`,
      async () => {
        const gw = await defaultGateway(ns);
        if (gw === want) return gw;
        if (Date.now() - bounced > 15_000) {
          bounced = Date.now();
          await ip('-n', ns, 'link', 'set', 'dev', 'eth0', 'down');
          await ip('-n', ns, 'link', 'set', 'dev', 'eth0', 'up');
        }
        return undefined;
      },
      {
        timeoutMs: 90_000,
        diagnose: async () => `${(await ip('-n', ns, '-6', 'route')).stdout}\nradvd log: ${readdirSync(join(dataDir, 'linuxbridge', 'radvd')).map((r) => readFileSync(join(dataDir, 'linuxbridge', 'radvd', r, 'radvd.log'), 'utf8')).join('\n')}`,
      },
    );
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `strata-${px}-`));
    strata = await startStrataProcess({ dataDir, env: { OS_NETWORK__BACKEND: 'linuxbridge' } });
    const auth = await projectToken(strata.adminEnv);
    call = jsonCaller(`${auth.endpoint('network')}/v2.0`, auth.token);
    const agent = (await call('GET', 'agents')).agents.find((a: Json) => a.agent_type === 'Linux bridge agent');
    assert.ok(agent, `no Linux bridge agent (fell back to noop?)\n${strata.output().slice(-2000)}`);
    host = agent.host as string;
    made.router = (await call('POST', 'routers', { router: { name: `${px}-r6` } })).router;
  });

  after(async () => {
    await deleteNamespaces(...vmNs);
    const code = await strata?.stop();
    const stateDir = join(dataDir, 'linuxbridge');
    // A failed run's leftovers: the backend removes what its records name, and only that.
    if (dataDir !== '' && existsSync(join(stateDir, 'owned.json'))) {
      const backend = await LinuxBridgeNetworkBackend.create({ stateDir });
      await backend.teardown().finally(() => backend.close());
    }
    if (dataDir !== '') rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, 'strata up stops cleanly');
  });

  test('slaac: the VM takes its EUI-64 address and default route from the router and pings the gateway', async () => {
    const { net, subnet, routerPort } = await ipv6Network('slaac', 'fd6a:1::/64', 'slaac');
    assert.equal(routerPort.fixed_ips[0].ip_address, subnet.gateway_ip, 'the router interface holds the gateway address');
    const vm = await bootVm('vm1', net.id);
    const fixed = vm.port.fixed_ips[0].ip_address as string;
    await waitForRa(vm.ns, routerPort);
    const global = await waitFor(`a SLAAC address in ${vm.ns}`, async () => (await addrs(vm.ns, 'eth0')).find((a) => a.family === 'inet6' && a.scope === 'global' && a.tentative !== true));
    assert.equal(global.local, fixed, 'the SLAAC address is the port fixed IP (EUI-64 of its MAC)');
    assert.equal(global.prefixlen, 64);
    assert.equal(global.dynamic, true, 'the address came from an advertisement');
    await waitFor(`${vm.ns} pings ${subnet.gateway_ip}`, () => pingsFrom(vm.ns, subnet.gateway_ip as string, 2));
  });

  test('dhcpv6-stateful: the advertisement says managed, and DHCPv6 hands out the port fixed IP', async () => {
    const { net, subnet, routerPort } = await ipv6Network('dhcp', 'fd6a:2::/64', 'dhcpv6-stateful');
    const vm = await bootVm('vm2', net.id);
    const fixed = vm.port.fixed_ips[0].ip_address as string;
    await waitForRa(vm.ns, routerPort);
    assert.equal((await addrs(vm.ns, 'eth0')).filter((a) => a.family === 'inet6' && a.scope === 'global').length, 0, 'no SLAAC address (the prefix is not autonomous)');
    await waitFor(`the DHCP port of ${net.name} ACTIVE`, async () => (await call('GET', `ports?network_id=${net.id}&device_owner=network:dhcp`)).ports[0]?.status === 'ACTIVE');
    await waitFor(`a link-local address in ${vm.ns}`, async () => (await addrs(vm.ns, 'eth0')).some((a) => a.scope === 'link' && a.tentative !== true));
    const got = (await run('ip', ['netns', 'exec', vm.ns, process.execPath, '-e', DHCPV6_CLIENT, 'eth0', vm.port.mac_address], { timeout: 30_000 })).stdout.trim();
    assert.equal(got, fixed, 'DHCPv6 offers the port fixed IP');
    // The prefix is on-link by the advertisement; the address itself is a /128, as DHCPv6 gives it.
    await ip('-n', vm.ns, 'addr', 'add', `${got}/128`, 'dev', 'eth0', 'nodad');
    await waitFor(`${vm.ns} pings ${subnet.gateway_ip}`, () => pingsFrom(vm.ns, subnet.gateway_ip as string, 2));
  });

  test('deleting everything stops radvd and leaves no namespace, bridge or process behind', async () => {
    for (const p of made.ports) await call('DELETE', `ports/${p.id}`);
    for (const s of made.subnets) await call('PUT', `routers/${made.router!.id}/remove_router_interface`, { subnet_id: s.id });
    await call('DELETE', `routers/${made.router!.id}`);
    for (const n of made.nets) await call('DELETE', `networks/${n.id}`);
    const ids = [...made.nets.map((n) => n.id as string), made.router!.id as string];
    const leftovers = (): string[] => [
      ...made.nets.filter((n) => existsSync(`/sys/class/net/brq${(n.id as string).slice(0, 11)}`)).map((n) => `bridge of ${n.name}`),
      ...readdirSync('/run/netns').filter((n) => ids.some((id) => n === `qdhcp-${id}` || n === `qrouter-${id}`)).map((n) => `namespace ${n}`),
      // dnsmasq and the metadata proxy of this test's networks, radvd of its router (the default networks keep theirs).
      ...commandLines().filter((cmd) => cmd.includes(dataDir) && ids.some((id) => cmd.includes(id))).map((cmd) => `process ${cmd.slice(0, 80)}`),
    ];
    let last: string[] = [];
    await waitFor('the host to be clean', async () => (last = leftovers()).length === 0, { timeoutMs: 30_000 }).catch(() => assert.deepEqual(last, []));
  });
});
