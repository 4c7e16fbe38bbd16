/** JSON views of networks, subnets and subnet pools, as the Network v2.0 api-ref has them. */
import type { Network } from '../objects/network.js';
import type { Subnet } from '../objects/subnet.js';
import type { SubnetPool } from '../objects/subnet-pool.js';
import { standardView } from './view-helpers.js';

/** A network; provider attributes only for admins. */
export function networkView(n: Network, admin: boolean): Record<string, unknown> {
  const s = n.segments[0];
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.projectId,
    project_id: n.projectId,
    admin_state_up: n.adminStateUp,
    mtu: n.mtu,
    status: n.status,
    subnets: [...n.subnetIds],
    shared: n.shared,
    availability_zone_hints: [...n.availabilityZoneHints],
    availability_zones: [...n.availabilityZones],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    'router:external': n.external,
    port_security_enabled: n.portSecurityEnabled,
    l2_adjacency: true,
    ...(admin
      ? {
          'provider:network_type': s?.networkType ?? null,
          'provider:physical_network': s?.physicalNetwork ?? null,
          'provider:segmentation_id': s?.segmentationId ?? null,
        }
      : {}),
    ...standardView(n),
  };
}

/** A subnet. */
export function subnetView(s: Subnet): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    tenant_id: s.projectId,
    project_id: s.projectId,
    network_id: s.networkId,
    ip_version: s.ipVersion,
    subnetpool_id: s.subnetpoolId,
    enable_dhcp: s.enableDhcp,
    ipv6_ra_mode: s.ipv6RaMode,
    ipv6_address_mode: s.ipv6AddressMode,
    gateway_ip: s.gatewayIp,
    cidr: s.cidr,
    allocation_pools: s.allocationPools.map((p) => ({ start: p.start, end: p.end })),
    host_routes: s.hostRoutes.map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
    dns_nameservers: [...s.dnsNameservers],
    service_types: [],
    ...standardView(s),
  };
}

/** A subnet pool. */
export function subnetPoolView(p: SubnetPool): Record<string, unknown> {
  return {
    id: p.id,
    name: p.name,
    tenant_id: p.projectId,
    project_id: p.projectId,
    prefixes: [...p.prefixes],
    default_prefixlen: p.defaultPrefixlen,
    min_prefixlen: p.minPrefixlen,
    max_prefixlen: p.maxPrefixlen,
    shared: p.shared,
    is_default: p.isDefault,
    default_quota: p.defaultQuota,
    address_scope_id: p.addressScopeId,
    ip_version: p.ipVersion,
    ...standardView(p),
  };
}
