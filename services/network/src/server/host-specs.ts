/** Builds the plain specs agents wire hosts from (ports, DHCP, routers), out of the database. */
import type { AddressPairSpec, DesiredHostState, DhcpSpec, FixedIpSpec, Ipv6Mode, NetworkSpec, PortSecuritySpec, PortSpec, RouterPortSpec, RouterSpec } from '@strata/net';
import type { NetworkDb } from '../objects/common.js';
import { loadNetworks, type Network } from '../objects/network.js';
import { loadSubnets, type Subnet } from '../objects/subnet.js';
import { loadPorts, type Port } from '../objects/port.js';
import { loadFloatingIps, loadRouters, type Router } from '../objects/router.js';
import { loadSecurityGroupRules } from '../objects/security-group.js';
import { loadAgents } from '../objects/agent.js';

/** The network as the host needs it. */
export function networkSpec(n: Network): NetworkSpec {
  const s = n.segments[0];
  return {
    id: n.id,
    segment: { networkType: s?.networkType ?? 'vxlan', physicalNetwork: s?.physicalNetwork ?? null, segmentationId: s?.segmentationId ?? null },
    mtu: n.mtu,
    adminStateUp: n.adminStateUp,
    external: n.external,
  };
}

/** A subnet's IPv6 modes as specs carry them. */
const ipv6Modes = (s: Subnet): { ipv6RaMode: Ipv6Mode | null; ipv6AddressMode: Ipv6Mode | null } => ({ ipv6RaMode: s.ipv6RaMode as Ipv6Mode | null, ipv6AddressMode: s.ipv6AddressMode as Ipv6Mode | null });

function fixedIpSpecs(p: Port, subnets: ReadonlyMap<string, Subnet>): FixedIpSpec[] {
  return p.fixedIps.flatMap((f) => {
    const s = subnets.get(f.subnetId);
    return s === undefined ? [] : [{ subnetId: f.subnetId, ipAddress: f.ipAddress, cidr: s.cidr, ipVersion: s.ipVersion, gatewayIp: s.gatewayIp, ...ipv6Modes(s) }];
  });
}

/** Everything needed to turn ports into specs, loaded in a few queries. */
async function context(db: NetworkDb, ports: readonly Port[], extraNetworkIds: readonly string[] = []): Promise<{ networks: Map<string, Network>; subnets: Map<string, Subnet> }> {
  const netIds = [...new Set([...ports.map((p) => p.networkId), ...extraNetworkIds])];
  const networks = new Map((await loadNetworks(db, { ids: netIds })).map((n) => [n.id, n]));
  const subnets = new Map((await loadSubnets(db, { networkIds: netIds })).map((s) => [s.id, s]));
  return { networks, subnets };
}

/** The firewall of each port: rules of its groups and the addresses of the remote groups they name. */
export async function portSecurity(db: NetworkDb, ports: readonly Port[]): Promise<Map<string, PortSecuritySpec>> {
  const groupIds = [...new Set(ports.flatMap((p) => p.securityGroups))];
  const rules = await loadSecurityGroupRules(db, { groupIds });
  const remoteIds = [...new Set(rules.map((r) => r.remoteGroupId).filter((x): x is string => x !== null))];
  const members: Record<string, string[]> = {};
  if (remoteIds.length > 0) {
    const rows = await db
      .selectFrom('port_security_groups')
      .innerJoin('ip_allocations', 'ip_allocations.port_id', 'port_security_groups.port_id')
      .select(['port_security_groups.security_group_id as groupId', 'ip_allocations.ip_address as ip'])
      .where('port_security_groups.security_group_id', 'in', remoteIds)
      .execute();
    for (const r of rows) (members[r.groupId] ??= []).push(r.ip);
  }
  const out = new Map<string, PortSecuritySpec>();
  for (const p of ports) {
    const mine = rules.filter((r) => p.securityGroups.includes(r.securityGroupId));
    const remote: Record<string, string[]> = {};
    for (const r of mine) if (r.remoteGroupId !== null) remote[r.remoteGroupId] = members[r.remoteGroupId] ?? [];
    out.set(p.id, {
      enabled: p.portSecurityEnabled,
      securityGroupIds: [...p.securityGroups],
      rules: mine.map((r) => ({
        id: r.id,
        securityGroupId: r.securityGroupId,
        direction: r.direction,
        ethertype: r.ethertype,
        protocol: r.protocol,
        portRangeMin: r.portRangeMin,
        portRangeMax: r.portRangeMax,
        remoteIpPrefix: r.remoteIpPrefix,
        remoteGroupId: r.remoteGroupId,
      })),
      remoteGroupMembers: remote,
    });
  }
  return out;
}

function pairs(p: Port): AddressPairSpec[] {
  return p.allowedAddressPairs.map((a) => ({ ipAddress: a.ipAddress, macAddress: a.macAddress }));
}

/** Specs of ports, skipping any whose network is gone. */
export async function portSpecs(db: NetworkDb, ports: readonly Port[]): Promise<PortSpec[]> {
  if (ports.length === 0) return [];
  const { networks, subnets } = await context(db, ports);
  const security = await portSecurity(db, ports);
  return ports.flatMap((p) => {
    const n = networks.get(p.networkId);
    if (n === undefined) return [];
    return [
      {
        id: p.id,
        network: networkSpec(n),
        macAddress: p.macAddress,
        fixedIps: fixedIpSpecs(p, subnets),
        deviceOwner: p.deviceOwner,
        deviceId: p.deviceId,
        adminStateUp: p.adminStateUp,
        allowedAddressPairs: pairs(p),
        security: security.get(p.id)!,
        vifType: p.bindingVifType,
      },
    ];
  });
}

/** The spec of a port bound to `host`, or null when it is not bound there (or gone). */
export async function portSpecFor(db: NetworkDb, portId: string, host: string): Promise<PortSpec | null> {
  const p = (await loadPorts(db, { ids: [portId] }))[0];
  if (p === undefined || p.bindingHostId !== host || p.bindingVifType === 'binding_failed' || p.bindingVifType === 'unbound') return null;
  return (await portSpecs(db, [p]))[0] ?? null;
}

async function dhcpAgentNetworks(db: NetworkDb, host: string): Promise<string[]> {
  const agent = (await loadAgents(db, { types: ['DHCP agent'], hosts: [host] }))[0];
  if (agent === undefined) return [];
  return (await db.selectFrom('network_dhcp_agents').select('network_id').where('agent_id', '=', agent.id).execute()).map((r) => r.network_id);
}

/** DHCP specs of networks a host serves (all of them, or those in `only`). */
export async function dhcpSpecs(db: NetworkDb, host: string, only?: readonly string[]): Promise<DhcpSpec[]> {
  let netIds = await dhcpAgentNetworks(db, host);
  if (only !== undefined) netIds = netIds.filter((n) => only.includes(n));
  if (netIds.length === 0) return [];
  const ports = await loadPorts(db, { networkIds: netIds });
  const { networks, subnets } = await context(db, ports, netIds);
  const out: DhcpSpec[] = [];
  for (const id of netIds) {
    const n = networks.get(id);
    if (n === undefined) continue;
    const mine = ports.filter((p) => p.networkId === id);
    const dhcpPort = mine.find((p) => p.deviceOwner === 'network:dhcp' && p.deviceId === `dhcp-${host}-${id}`);
    const netSubnets = [...subnets.values()].filter((s) => s.networkId === id);
    out.push({
      network: networkSpec(n),
      dhcpPort: dhcpPort === undefined ? null : { id: dhcpPort.id, macAddress: dhcpPort.macAddress, fixedIps: fixedIpSpecs(dhcpPort, subnets) },
      subnets: netSubnets.map((s) => ({ id: s.id, cidr: s.cidr, ipVersion: s.ipVersion, gatewayIp: s.gatewayIp, enableDhcp: s.enableDhcp, ...ipv6Modes(s), dnsNameservers: [...s.dnsNameservers], hostRoutes: s.hostRoutes.map((r) => ({ ...r })) })),
      hosts: mine
        .filter((p) => p.deviceOwner !== 'network:dhcp')
        .flatMap((p) =>
          p.fixedIps
            .filter((f) => subnets.get(f.subnetId)?.enableDhcp === true)
            .map((f) => ({
              portId: p.id,
              macAddress: p.macAddress,
              ipAddress: f.ipAddress,
              subnetId: f.subnetId,
              hostname: `host-${f.ipAddress.replace(/[.:]/g, '-')}`,
              extraDhcpOpts: p.extraDhcpOpts.map((o) => ({ optName: o.optName, optValue: o.optValue, ipVersion: o.ipVersion })),
            })),
        ),
    });
  }
  return out;
}

/** Router specs for routers scheduled to `host` (all, or those in `only`). */
export async function routerSpecs(db: NetworkDb, host: string, only?: readonly string[]): Promise<RouterSpec[]> {
  const routers: Router[] = await loadRouters(db, { hosts: [host], ...(only !== undefined ? { ids: only } : {}) });
  if (routers.length === 0) return [];
  const ports = await loadPorts(db, { deviceIds: routers.map((r) => r.id) });
  const { networks, subnets } = await context(db, ports);
  const fips = await loadFloatingIps(db, { routerIds: routers.map((r) => r.id) });
  const rp = (p: Port): RouterPortSpec | undefined => {
    const n = networks.get(p.networkId);
    return n === undefined ? undefined : { portId: p.id, macAddress: p.macAddress, network: networkSpec(n), fixedIps: fixedIpSpecs(p, subnets) };
  };
  return routers.map((r) => {
    const mine = ports.filter((p) => p.deviceId === r.id);
    const gw = mine.find((p) => p.id === r.gwPortId);
    const gwSpec = gw === undefined ? undefined : rp(gw);
    return {
      id: r.id,
      adminStateUp: r.adminStateUp,
      gateway: gwSpec === undefined ? null : { ...gwSpec, enableSnat: r.enableSnat },
      interfaces: mine.filter((p) => p.id !== r.gwPortId && p.deviceOwner.startsWith('network:router_interface')).flatMap((p) => rp(p) ?? []),
      routes: r.routes.map((x) => ({ ...x })),
      floatingIps: fips
        .filter((f) => f.routerId === r.id && f.fixedPortId !== null && f.fixedIpAddress !== null)
        .map((f) => ({ id: f.id, floatingIpAddress: f.floatingIpAddress, fixedIpAddress: f.fixedIpAddress as string, portId: f.fixedPortId as string })),
    };
  });
}

/** Everything that should exist on `host`. */
export async function hostState(db: NetworkDb, host: string): Promise<DesiredHostState> {
  const ports = (await loadPorts(db, { hosts: [host] })).filter((p) => p.bindingVifType !== 'binding_failed' && p.bindingVifType !== 'unbound');
  return { ports: await portSpecs(db, ports), dhcp: await dhcpSpecs(db, host), routers: await routerSpecs(db, host) };
}
