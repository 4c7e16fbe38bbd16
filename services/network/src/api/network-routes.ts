/** /v2.0/networks, /v2.0/subnets, /v2.0/subnetpools and /v2.0/network-ip-availabilities. */
import type { FastifyInstance } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, filterValues, locationOf, ownerOf } from './route-helpers.js';
import { registerResourceRoutes } from './resource-routes.js';
import { asBool, listResponse, parseListQuery } from './list-query.js';
import { networkView, subnetPoolView, subnetView } from './networks-view.js';
import type { NetworkInput, SubnetInput, SubnetPoolInput } from '../network-api.js';
import type { Network } from '../objects/network.js';
import type { Subnet } from '../objects/subnet.js';
import type { SubnetPool } from '../objects/subnet-pool.js';

const NETWORK_ATTRS = ['name', 'description', 'admin_state_up', 'shared', 'router:external', 'mtu', 'port_security_enabled', 'availability_zone_hints', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'tags', 'project_id', 'tenant_id', 'id', 'status', 'subnets'];
const SUBNET_ATTRS = ['name', 'description', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'dns_nameservers', 'host_routes', 'allocation_pools', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id', 'prefixlen', 'tags', 'project_id', 'tenant_id', 'id'];
const POOL_ATTRS = ['name', 'description', 'prefixes', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'shared', 'is_default', 'default_quota', 'address_scope_id', 'tags', 'project_id', 'tenant_id', 'id'];

function boolFilter(v: string[] | undefined): boolean | undefined {
  const last = v?.at(-1);
  return last === undefined ? undefined : asBool(last);
}

function networkInput(b: Record<string, unknown>): NetworkInput {
  return {
    ...ownerOf(b),
    name: b.name,
    description: b.description,
    adminStateUp: b.admin_state_up,
    shared: b.shared,
    external: b['router:external'],
    mtu: b.mtu,
    portSecurityEnabled: b.port_security_enabled,
    availabilityZoneHints: b.availability_zone_hints,
    providerNetworkType: b['provider:network_type'],
    providerPhysicalNetwork: b['provider:physical_network'],
    providerSegmentationId: b['provider:segmentation_id'],
    tags: b.tags,
  };
}

function subnetInput(b: Record<string, unknown>): SubnetInput {
  return {
    ...ownerOf(b),
    networkId: b.network_id,
    name: b.name,
    description: b.description,
    ipVersion: b.ip_version,
    cidr: b.cidr,
    gatewayIp: b.gateway_ip,
    enableDhcp: b.enable_dhcp,
    dnsNameservers: b.dns_nameservers,
    hostRoutes: b.host_routes,
    allocationPools: b.allocation_pools,
    ipv6RaMode: b.ipv6_ra_mode,
    ipv6AddressMode: b.ipv6_address_mode,
    subnetpoolId: b.subnetpool_id,
    prefixlen: b.prefixlen,
    tags: b.tags,
  };
}

function poolInput(b: Record<string, unknown>): SubnetPoolInput {
  return {
    ...ownerOf(b),
    name: b.name,
    description: b.description,
    prefixes: b.prefixes,
    defaultPrefixlen: b.default_prefixlen,
    minPrefixlen: b.min_prefixlen,
    maxPrefixlen: b.max_prefixlen,
    shared: b.shared,
    isDefault: b.is_default,
    defaultQuota: b.default_quota,
    addressScopeId: b.address_scope_id,
    tags: b.tags,
  };
}

/** Register the network, subnet, subnet pool and IP availability routes. */
export function registerNetworkRoutes(app: FastifyInstance, apis: NetworkApis): void {
  const { networks, tracer } = apis;

  registerResourceRoutes<Network>(app, tracer, {
    path: 'networks',
    member: 'network',
    view: (ctx, list) => list.map((n) => networkView(n, ctx.can('get_network:provider'))),
    list: (ctx, request) => {
      const ids = filterValues(request, 'id');
      const names = filterValues(request, 'name');
      const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
      const shared = boolFilter(filterValues(request, 'shared'));
      const external = boolFilter(filterValues(request, 'router:external'));
      return networks.list(ctx, { ...(ids ? { ids } : {}), ...(names ? { names } : {}), ...(projects ? { projectIds: projects } : {}), ...(shared !== undefined ? { shared } : {}), ...(external !== undefined ? { external } : {}) });
    },
    get: (ctx, id) => networks.get(ctx, id),
    create: { attrs: NETWORK_ATTRS, bulk: (ctx, bodies) => networks.create(ctx, bodies.map(networkInput)) },
    update: { attrs: NETWORK_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id'), run: (ctx, id, b) => networks.update(ctx, id, networkInput(b)) },
    delete: (ctx, id) => networks.delete(ctx, id),
  });

  registerResourceRoutes<Subnet>(app, tracer, {
    path: 'subnets',
    member: 'subnet',
    view: (_ctx, list) => list.map(subnetView),
    list: (ctx, request) => {
      const ids = filterValues(request, 'id');
      const nets = filterValues(request, 'network_id');
      const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
      return networks.listSubnets(ctx, { ...(ids ? { ids } : {}), ...(nets ? { networkIds: nets } : {}), ...(projects ? { projectIds: projects } : {}) });
    },
    get: (ctx, id) => networks.getSubnet(ctx, id),
    create: { attrs: SUBNET_ATTRS, bulk: (ctx, bodies) => networks.createSubnets(ctx, bodies.map(subnetInput)) },
    update: { attrs: SUBNET_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id' && a !== 'prefixlen'), run: (ctx, id, b) => networks.updateSubnet(ctx, id, subnetInput(b)) },
    delete: (ctx, id) => networks.deleteSubnet(ctx, id),
  });

  registerResourceRoutes<SubnetPool>(app, tracer, {
    path: 'subnetpools',
    member: 'subnetpool',
    view: (_ctx, list) => list.map(subnetPoolView),
    list: (ctx) => networks.listPools(ctx),
    get: (ctx, id) => networks.getPool(ctx, id),
    create: { attrs: POOL_ATTRS, one: (ctx, b) => networks.createPool(ctx, poolInput(b)) },
    update: { attrs: POOL_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id'), run: (ctx, id, b) => networks.updatePool(ctx, id, poolInput(b)) },
    delete: (ctx, id) => networks.deletePool(ctx, id),
  });

  app.get('/v2.0/network-ip-availabilities', async (request) => {
    const ctx = callerOf(request, tracer);
    return listResponse(await networks.ipAvailability(ctx), parseListQuery(request.query as never), locationOf(request, 'network_ip_availabilities'));
  });
  app.get('/v2.0/network-ip-availabilities/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const id = (request.params as { id: string }).id;
    await networks.get(ctx, id);
    const list = await networks.ipAvailability(ctx, [id]);
    return { network_ip_availability: list[0] };
  });
}
