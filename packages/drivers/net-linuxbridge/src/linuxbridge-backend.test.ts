import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DhcpSpec, FixedIpSpec, Ipv6Mode, NetworkSpec, PortSpec, RouterSpec, SecurityGroupRuleSpec } from '@strata/net';
import { dnsmasqConfig, servesDhcp } from './dhcp.js';
import { conntrackFlushes, firewallDiffScript, firewallModel, firewallScript, ruleMatch, type FirewallPort } from './firewall.js';
import { firewallTableName, hostProblem, LinuxBridgeNetworkBackend, parseInterfaceMappings } from './linuxbridge-backend.js';
import { checkIfname, checkIpv6, hostSideMac, names } from './names.js';
import { portAddresses, radvdConfig, routerNatScript } from './router.js';

const rule = (r: Partial<SecurityGroupRuleSpec>): SecurityGroupRuleSpec => ({ id: 'r', securityGroupId: 'g', direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null, ...r });
const net: NetworkSpec = { id: '4f1c2a9e-7d3b-4c1e-9a2f-0b1c2d3e4f50', segment: { networkType: 'vxlan', physicalNetwork: null, segmentationId: 9 }, mtu: 1450, adminStateUp: true, external: false };
const fixed = (ip: string) => ({ subnetId: 's1', ipAddress: ip, cidr: '10.77.0.0/24', ipVersion: 4 as const, gatewayIp: '10.77.0.1' });

test('names follow neutron and are checked (15 characters, no odd characters)', () => {
  assert.equal(names.tap('0123456789abcdef'), 'tap0123456789a');
  assert.equal(names.bridge(net.id), 'brq4f1c2a9e-7d');
  assert.equal(names.dhcpNs(net.id), `qdhcp-${net.id}`);
  assert.equal(hostSideMac('FA:16:3E:01:02:03'), 'fe:16:3e:01:02:03');
  assert.throws(() => checkIfname('a-name-that-is-too-long'), /at most 15/);
  assert.throws(() => checkIfname('x;rm'), /invalid interface name/);
  assert.throws(() => names.tap('../etc'), /invalid id/);
  assert.deepEqual(parseInterfaceMappings('public:eth1, physnet1:'), { public: 'eth1', physnet1: '' });
  assert.throws(() => parseInterfaceMappings('public'), /expected <physnet>:<interface>/);
});

test('security group rules become nft matches: protocols, port ranges, ICMP type/code, remote CIDR and group', () => {
  assert.equal(ruleMatch(rule({ protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 }), {}), 'meta nfproto ipv4 meta l4proto 6 th dport 22');
  assert.equal(ruleMatch(rule({ protocol: 'udp', portRangeMin: 1000, portRangeMax: 2000, remoteIpPrefix: '10.0.0.0/8' }), {}), 'meta nfproto ipv4 ip saddr 10.0.0.0/8 meta l4proto 17 th dport 1000-2000');
  assert.equal(ruleMatch(rule({ protocol: 'icmp', portRangeMin: 8, portRangeMax: 0 }), {}), 'meta nfproto ipv4 meta l4proto 1 icmp type 8 icmp code 0');
  assert.equal(ruleMatch(rule({ direction: 'egress', remoteGroupId: 'g2' }), { g2: ['10.0.0.5', 'fd00::5'] }), 'meta nfproto ipv4 ip daddr { 10.0.0.5 }');
  assert.equal(ruleMatch(rule({ remoteGroupId: 'g2' }), { g2: [] }), null, 'an empty remote group matches nothing');
  assert.equal(ruleMatch(rule({ ethertype: 'IPv6', protocol: 'ipv6-icmp' }), {}), 'meta nfproto ipv6 meta l4proto 58');
  assert.throws(() => ruleMatch(rule({ protocol: 'bogus' }), {}), /unsupported protocol/);
  const port = (groups: string[], members: string[]): FirewallPort => ({
    portId: 'p',
    index: 3,
    device: 'tapabc',
    bridge: 'brqabc',
    macAddress: 'fa:16:3e:00:00:01',
    fixedIps: ['10.0.0.3'],
    allowedAddressPairs: [{ ipAddress: '10.0.0.100/32', macAddress: 'fa:16:3e:00:00:99' }],
    security: { enabled: true, securityGroupIds: ['g'], rules: [rule({ protocol: 'icmp' }), ...groups.map((g) => rule({ remoteGroupId: g }))], remoteGroupMembers: Object.fromEntries(groups.map((g) => [g, members])) },
  });
  const m1 = firewallModel([port(['g'], ['10.0.0.3', '10.0.0.4'])]);
  const script = firewallScript('t1', m1);
  assert.match(script, /ether saddr != \{ fa:16:3e:00:00:01, fa:16:3e:00:00:99 \} drop/);
  assert.match(script, /ip saddr != \{ 10\.0\.0\.3, 10\.0\.0\.100\/32 \} drop/);
  assert.ok(script.includes('    meta nfproto ipv4 meta l4proto 1 accept\n    meta nfproto ipv4 ip saddr @rg4_'), 'remote group as a shared set');
  assert.match(script, /map ingress \{ type mark : verdict; elements = \{ 196608 : jump ingress_3 \}; \}/);
  assert.match(script, /set bridges \{ type ifname; elements = \{ "brqabc" \}; \}/);
  // A new member of the remote group is one element added; nothing else changes.
  const m2 = firewallModel([port(['g'], ['10.0.0.3', '10.0.0.4', '10.0.0.5'])]);
  assert.match(firewallDiffScript('t1', m1, m2), /^add element inet t1 rg4_[0-9a-f]{12} \{ 10\.0\.0\.5 \}\n$/);
  assert.equal(firewallDiffScript('t1', m2, m2), '');
  // A port removed: its map elements, then its chains, then the unused set.
  const gone = firewallDiffScript('t1', m2, firewallModel([]));
  assert.ok(gone.indexOf('delete element bridge t1 spoof') < gone.indexOf('delete chain bridge t1 spoof_3'));
  assert.match(gone, /delete set inet t1 rg4_/);
});

test('a firewall change ends the tracked connections it no longer allows, and only when it takes something away', () => {
  const port = (id: string, index: number, ip: string, rules: SecurityGroupRuleSpec[], members: string[] = []): FirewallPort => ({
    portId: id,
    index,
    device: `tap${id}`,
    bridge: 'brqabc',
    macAddress: 'fa:16:3e:00:00:01',
    fixedIps: [ip],
    allowedAddressPairs: [{ ipAddress: '10.0.0.0/24', macAddress: 'fa:16:3e:00:00:99' }],
    security: { enabled: true, securityGroupIds: ['g'], rules, remoteGroupMembers: { g2: members } },
  });
  const icmp = rule({ protocol: 'icmp' });
  const ssh = rule({ protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 });
  const out = rule({ direction: 'egress' });
  const fromGroup = rule({ remoteGroupId: 'g2' });
  const m = (...ports: FirewallPort[]) => firewallModel(ports);
  const before = m(port('a', 1, '10.0.0.3', [icmp, ssh, out]), port('b', 2, '10.0.0.4', [icmp, out]));
  assert.deepEqual(conntrackFlushes(before, before), [], 'no change: nothing ends');
  assert.deepEqual(conntrackFlushes(before, m(port('a', 1, '10.0.0.3', [icmp, ssh, out, rule({ protocol: 'udp' })]), port('b', 2, '10.0.0.4', [icmp, out]))), [], 'a rule added: nothing ends');
  assert.deepEqual(conntrackFlushes(before, m(port('a', 1, '10.0.0.3', [ssh, out]), port('b', 2, '10.0.0.4', [icmp, out]))), [{ origDst: '10.0.0.3' }], 'an ingress rule removed: connections to that port (not to a /24 pair)');
  assert.deepEqual(conntrackFlushes(before, m(port('a', 1, '10.0.0.3', [icmp, ssh]), port('b', 2, '10.0.0.4', [icmp, out]))), [{ origSrc: '10.0.0.3' }], 'an egress rule removed: connections from it');
  assert.deepEqual(conntrackFlushes(before, m(port('b', 2, '10.0.0.4', [icmp, out]))), [{ origDst: '10.0.0.3' }, { origSrc: '10.0.0.3' }], 'a port removed: all of its connections');
  const g1 = m(port('a', 1, '10.0.0.3', [fromGroup], ['10.0.0.7', '10.0.0.8']));
  const g2 = m(port('a', 1, '10.0.0.3', [fromGroup], ['10.0.0.8']));
  assert.deepEqual(conntrackFlushes(g1, g2), [{ origSrc: '10.0.0.7' }, { origDst: '10.0.0.7' }], 'a remote group member gone: its connections');
});

test('dnsmasq serves exactly the network\'s ports, with routes, DNS, MTU and the metadata route', () => {
  const spec: DhcpSpec = {
    network: net,
    dhcpPort: { id: 'd', macAddress: 'fa:16:3e:00:00:02', fixedIps: [fixed('10.77.0.2')] },
    subnets: [{ id: 's1', cidr: '10.77.0.0/24', ipVersion: 4, gatewayIp: '10.77.0.1', enableDhcp: true, dnsNameservers: ['192.0.2.53'], hostRoutes: [{ destination: '192.168.0.0/16', nexthop: '10.77.0.9' }] }],
    hosts: [{ portId: 'p1', macAddress: 'fa:16:3e:00:00:11', ipAddress: '10.77.0.11', subnetId: 's1', hostname: 'host-10-77-0-11', extraDhcpOpts: [] }],
  };
  const c = dnsmasqConfig(spec, '/x', 'ns-d', '10.77.0.2', true);
  assert.equal(c.hosts, 'fa:16:3e:00:00:11,host-10-77-0-11,10.77.0.11\n');
  assert.match(c.opts, /tag:s0,option:classless-static-route,169\.254\.169\.254\/32,10\.77\.0\.2,192\.168\.0\.0\/16,10\.77\.0\.9,0\.0\.0\.0\/0,10\.77\.0\.1/);
  assert.match(c.opts, /tag:s0,option:dns-server,192\.0\.2\.53/);
  assert.match(c.opts, /tag:s0,option:mtu,1450/);
  assert.ok(c.args.includes('--dhcp-range=set:s0,10.77.0.0,static,255.255.255.0,86400s'));
  assert.ok(c.args.includes('--interface=ns-d'));
});

test('router NAT: floating IPs as DNAT/SNAT, the router subnets SNAT to the gateway address', () => {
  const gwNet: NetworkSpec = { ...net, id: 'e', external: true };
  const s = routerNatScript({
    id: 'r',
    adminStateUp: true,
    gateway: { portId: 'gwport00000', macAddress: 'fa:16:3e:00:00:aa', network: gwNet, fixedIps: [{ subnetId: 'x', ipAddress: '172.24.4.10', cidr: '172.24.4.0/24', ipVersion: 4, gatewayIp: '172.24.4.1' }], enableSnat: true },
    interfaces: [{ portId: 'ifport00000', macAddress: 'fa:16:3e:00:00:bb', network: net, fixedIps: [fixed('10.77.0.1')] }],
    routes: [],
    floatingIps: [{ id: 'f', floatingIpAddress: '172.24.4.20', fixedIpAddress: '10.77.0.11', portId: 'p1' }],
  });
  assert.match(s, /ip daddr 172\.24\.4\.20 dnat to 10\.77\.0\.11/);
  assert.match(s, /oifname "qg-gwport00000" ip saddr 10\.77\.0\.11 snat to 172\.24\.4\.20/);
  assert.match(s, /oifname "qg-gwport00000" ip saddr \{ 10\.77\.0\.0\/24 \} snat to 172\.24\.4\.10/);
});

const fixed6 = (cidr: string, ip: string, mode: Ipv6Mode | null): FixedIpSpec => ({ subnetId: cidr, ipAddress: ip, cidr, ipVersion: 6, gatewayIp: ip, ipv6RaMode: mode, ipv6AddressMode: mode });

test('IPv6 addresses are canonical (as ip prints them) and checked', () => {
  assert.equal(checkIpv6('FD00:0:0:0::0A/64'), 'fd00::a/64');
  assert.equal(checkIpv6('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
  for (const bad of ['10.0.0.1', 'fd00::1/129', 'fd00::1 dev lo', 'fd00:::1', 'fd00::1/64/1']) assert.throws(() => checkIpv6(bad), /invalid IPv6 address/, bad);
  assert.deepEqual(portAddresses([fixed('10.77.0.1'), fixed6('fd00:1::/64', 'FD00:1:0::1', 'slaac')]), ['10.77.0.1/24', 'fd00:1::1/64']);
});

test('radvd: the router advertises its IPv6 subnets with ipv6_ra_mode, with neutron\'s flags', () => {
  const iface = (portId: string, ...fixedIps: FixedIpSpec[]) => ({ portId, macAddress: 'fa:16:3e:00:00:bb', network: net, fixedIps });
  const router = (...interfaces: RouterSpec['interfaces']): RouterSpec => ({ id: 'r', adminStateUp: true, gateway: null, interfaces, routes: [], floatingIps: [] });
  assert.equal(radvdConfig(router(iface('v4only00000', fixed('10.77.0.1')))), null, 'IPv4 only: nothing to advertise');
  assert.equal(radvdConfig(router(iface('nomode00000', fixed6('fd00:9::/64', 'fd00:9::1', null)))), null, 'no ipv6_ra_mode: another router advertises');
  const conf = radvdConfig(router(iface('slaac000000', fixed6('fd00:1::/64', 'fd00:1::1', 'slaac')), iface('stateful000', fixed6('fd00:2::/64', 'fd00:2::1', 'dhcpv6-stateful')), iface('stateless00', fixed6('fd00:3::/64', 'fd00:3::1', 'dhcpv6-stateless'))))!;
  const block = (dev: string): string => conf.split(/^(?=interface )/m).find((b) => b.startsWith(`interface ${dev}\n`)) ?? '';
  const slaac = block('qr-slaac000000');
  assert.match(slaac, /AdvSendAdvert on;/);
  assert.match(slaac, /AdvLinkMTU 1450;/);
  assert.match(slaac, /prefix fd00:1::\/64\n  \{\n    AdvOnLink on;\n    AdvAutonomous on;/);
  assert.doesNotMatch(slaac, /AdvManagedFlag|AdvOtherConfigFlag/);
  const stateful = block('qr-stateful000');
  assert.match(stateful, /AdvManagedFlag on;/);
  assert.match(stateful, /AdvAutonomous off;/, 'stateful: addresses come from DHCPv6 only');
  const stateless = block('qr-stateless00');
  assert.match(stateless, /AdvOtherConfigFlag on;/);
  assert.match(stateless, /AdvAutonomous on;/);
  assert.doesNotMatch(stateless, /AdvManagedFlag/);
});

test('dnsmasq and IPv6: addresses for dhcpv6-stateful, options only for stateless, nothing for slaac', () => {
  const sub = (id: string, cidr: string, mode: Ipv6Mode | null) => ({ id, cidr, ipVersion: 6 as const, gatewayIp: null, enableDhcp: true, ipv6RaMode: mode, ipv6AddressMode: mode, dnsNameservers: ['2001:DB8::53', '192.0.2.53'], hostRoutes: [] });
  const host = (subnetId: string, ip: string) => ({ portId: 'p1', macAddress: 'fa:16:3e:00:00:11', ipAddress: ip, subnetId, hostname: `host-${ip.replace(/[.:]/g, '-')}`, extraDhcpOpts: [{ optName: 'domain-search', optValue: 'example.org', ipVersion: 6 as const }] });
  const spec: DhcpSpec = {
    network: net,
    dhcpPort: { id: 'd', macAddress: 'fa:16:3e:00:00:02', fixedIps: [] },
    subnets: [sub('full', 'fd00:2::/64', 'dhcpv6-stateful'), sub('info', 'fd00:3::/64', 'dhcpv6-stateless'), sub('ra', 'fd00:1::/64', 'slaac')],
    hosts: [host('full', 'fd00:2::11'), host('info', 'fd00:3::f816:3eff:fe00:11'), host('ra', 'fd00:1::f816:3eff:fe00:11')],
  };
  const c = dnsmasqConfig(spec, '/x', 'ns-d', null, false);
  assert.deepEqual(c.args.filter((a) => a.startsWith('--dhcp-range')), ['--dhcp-range=set:s0,fd00:2::,static,64,86400s', '--dhcp-range=set:s1,fd00:3::,static,64,86400s']);
  assert.equal(c.hosts, 'fa:16:3e:00:00:11,set:pp1,host-fd00-2--11,[fd00:2::11]\n', 'only the stateful subnet hands out addresses (matched by MAC)');
  assert.match(c.opts, /^tag:s0,option6:dns-server,\[2001:db8::53\]$/m);
  assert.match(c.opts, /^tag:s1,option6:dns-server,\[2001:db8::53\]$/m);
  assert.match(c.opts, /^tag:pp1,option6:domain-search,example\.org$/m);
  assert.ok(servesDhcp(spec));
  assert.equal(servesDhcp({ ...spec, subnets: [sub('ra', 'fd00:1::/64', 'slaac')] }), false, 'SLAAC alone needs no DHCP server');
  assert.ok(servesDhcp({ ...spec, subnets: [sub('old', 'fd00:4::/64', null)] }), 'no mode set: addresses by DHCPv6, as neutron');
});

test('firewall and IPv6: ports may not advertise routes or answer DHCPv6; ND, RAs and DHCPv6 replies reach them', () => {
  const port: FirewallPort = { portId: 'p', index: 3, device: 'tapaaaaaaaaaaa', bridge: 'brqbbbbbbbbbbb', macAddress: 'fa:16:3e:00:00:11', fixedIps: ['10.0.0.3', 'fd00:1::f816:3eff:fe00:11'], allowedAddressPairs: [], security: { enabled: true, securityGroupIds: [], rules: [], remoteGroupMembers: {} } };
  const p = firewallModel([port]).ports.get('p')!;
  assert.ok(p.spoof.includes('icmpv6 type nd-router-advert drop'), 'no router advertisements from a port');
  assert.ok(p.spoof.includes('udp sport 547 drop'), 'no DHCPv6 server replies from a port');
  assert.ok(p.egress.includes('udp sport 546 udp dport 547 return'), 'DHCPv6 client to server');
  assert.ok(p.ingress.includes('udp sport 547 udp dport 546 accept'), 'DHCPv6 replies');
  const nd = (chain: readonly string[]): number => chain.findIndex((r) => r.includes('nd-neighbor-solicit'));
  assert.ok(nd(p.ingress) >= 0 && nd(p.ingress) < p.ingress.indexOf('ct state invalid drop'), 'ND before the conntrack check (conntrack does not track it)');
  assert.ok(nd(p.egress) >= 0 && nd(p.egress) < p.egress.indexOf('ct state invalid drop'));
  assert.match(p.ingress[nd(p.ingress)]!, /nd-router-advert/);
  assert.doesNotMatch(p.egress[nd(p.egress)]!, /nd-router-advert/);
});

const rootSkip = hostProblem();

test('on the host (root): plug a tap, adopt a tap, reconcile removes only what it owns', { skip: rootSkip }, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'lb-unit-'));
  const portId = `9${process.pid.toString(16).padStart(10, '0')}-aaaa`;
  const adoptedId = `8${process.pid.toString(16).padStart(10, '0')}-bbbb`;
  const foreign = `tap7${process.pid.toString(16).padStart(10, '0')}`.slice(0, 14);
  const port = (id: string, owner = 'compute:nova'): PortSpec => ({ id, network: net, macAddress: 'fa:16:3e:12:34:56', fixedIps: [fixed('10.77.0.11')], deviceOwner: owner, deviceId: 'vm', adminStateUp: true, allowedAddressPairs: [], security: { enabled: true, securityGroupIds: [], rules: [], remoteGroupMembers: {} }, vifType: 'bridge' });
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  const exists = (dev: string) => existsSync(`/sys/class/net/${dev}`);
  const tables = () => execFileSync('nft', ['list', 'tables']).toString();
  const bridge = names.bridge(net.id);
  try {
    ip('tuntap', 'add', 'dev', foreign, 'mode', 'tap');
    ip('tuntap', 'add', 'dev', names.tap(adoptedId), 'mode', 'tap');
    const a = await LinuxBridgeNetworkBackend.create({ stateDir });
    await a.plugPort(port(portId));
    await a.plugPort(port(adoptedId));
    assert.ok(exists(`${bridge}/brif/${names.tap(portId)}`), 'tap on the bridge');
    assert.equal(readFileSync(`/sys/class/net/${names.tap(portId)}/address`, 'utf8').trim(), 'fe:16:3e:12:34:56');
    assert.ok(existsSync(`/sys/class/net/${names.tap(portId)}/tun_flags`), 'a persistent tun/tap device, not a veth');
    assert.ok(tables().includes(firewallTableName(stateDir)));
    await a.close();
    // A restarted agent keeps what is still wanted (and rebuilds its firewall from scratch)…
    const again = await LinuxBridgeNetworkBackend.create({ stateDir });
    await again.reconcile({ ports: [port(portId), port(adoptedId)], dhcp: [], routers: [] });
    assert.ok(exists(`${bridge}/brif/${names.tap(portId)}`), 'still on the bridge after a restart');
    assert.match(execFileSync('nft', ['list', 'table', 'bridge', firewallTableName(stateDir)]).toString(), new RegExp(`"${names.tap(adoptedId)}" : jump spoof_`));
    await again.close();
    // …and a restarted agent whose desired state no longer has the ports: they go, the adopted tap stays
    // (detached), and a tap it never made is not touched.
    const b = await LinuxBridgeNetworkBackend.create({ stateDir });
    await b.reconcile({ ports: [], dhcp: [], routers: [] });
    assert.equal(exists(names.tap(portId)), false, 'owned tap removed');
    assert.equal(exists(bridge), false, 'bridge removed');
    assert.ok(exists(names.tap(adoptedId)), 'adopted tap kept');
    assert.ok(exists(foreign), 'foreign tap untouched');
    assert.equal(tables().includes(firewallTableName(stateDir)), false, 'nft tables removed');
    await b.close();
  } finally {
    for (const d of [foreign, names.tap(adoptedId), names.tap(portId), bridge]) if (exists(d)) ip('link', 'delete', d);
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('on the host (root): flat networks bridge the mapped interface, VLAN networks a subinterface of it', { skip: rootSkip }, async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'lb-unit-'));
  const tag = (process.pid % 46656).toString(36).padStart(3, '0');
  const flatIf = `lbf${tag}`;
  const vlanIf = `lbv${tag}`;
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  const exists = (dev: string) => existsSync(`/sys/class/net/${dev}`);
  const flat: NetworkSpec = { id: `f${tag}0000-0000-4000-8000-000000000001`, segment: { networkType: 'flat', physicalNetwork: 'ext', segmentationId: null }, mtu: 1500, adminStateUp: true, external: true };
  const vlan: NetworkSpec = { id: `v${tag}0000-0000-4000-8000-000000000002`, segment: { networkType: 'vlan', physicalNetwork: 'phys', segmentationId: 123 }, mtu: 1500, adminStateUp: true, external: false };
  try {
    // (no dummy driver in every kernel: veth pairs stand in for physical interfaces)
    ip('link', 'add', flatIf, 'type', 'veth', 'peer', 'name', `${flatIf}p`);
    ip('link', 'add', vlanIf, 'type', 'veth', 'peer', 'name', `${vlanIf}p`);
    let vlanOk = true;
    try {
      ip('link', 'add', 'link', vlanIf, 'name', `${vlanIf}.9`, 'type', 'vlan', 'id', '9');
      ip('link', 'delete', `${vlanIf}.9`);
    } catch {
      vlanOk = false;
      t.diagnostic('this kernel has no 802.1Q VLAN support (CONFIG_VLAN_8021Q): the VLAN part is not checked');
    }
    const b = await LinuxBridgeNetworkBackend.create({ stateDir, interfaceMappings: { ext: flatIf, phys: vlanIf } });
    assert.deepEqual(b.configurations().interface_mappings, { ext: flatIf, phys: vlanIf });
    await b.ensureNetwork(flat);
    assert.ok(exists(`${names.bridge(flat.id)}/brif/${flatIf}`), 'flat: the interface is on the bridge');
    if (vlanOk) {
      await b.ensureNetwork(vlan);
      assert.ok(exists(`${names.bridge(vlan.id)}/brif/${vlanIf}.123`), 'vlan: the subinterface is on the bridge');
    } else await assert.rejects(b.ensureNetwork(vlan), /Unknown device type/, 'a clear error from ip');
    await assert.rejects(b.ensureNetwork({ ...flat, id: `x${tag}0000-0000-4000-8000-000000000003`, segment: { networkType: 'flat', physicalNetwork: 'nope', segmentationId: null } }), /not in \[network\] physical_interface_mappings/);
    await b.deleteNetwork(flat.id);
    await b.deleteNetwork(vlan.id);
    assert.equal(exists(names.bridge(flat.id)), false);
    assert.equal(exists(`${vlanIf}.123`), false, 'the VLAN subinterface it made is gone');
    assert.ok(exists(flatIf) && !existsSync(`/sys/class/net/${flatIf}/master`), 'the physical interface stays, detached');
    await b.close();
  } finally {
    for (const d of [`${vlanIf}.123`, flatIf, vlanIf, names.bridge(flat.id), names.bridge(vlan.id)]) if (exists(d)) ip('link', 'delete', d);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
