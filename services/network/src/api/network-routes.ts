/** /v2.0/networks, /v2.0/subnets, /v2.0/subnetpools and /v2.0/network-ip-availabilities. */
import type { FastifyInstance } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, checkAttributes, createItems, fieldsOf, filterValues, locationOf, projectOf, single } from './route-helpers.js';
import { asBool, listResponse, parseListQuery, project } from './list-query.js';
import { networkView, subnetPoolView, subnetView } from './networks-view.js';
import type { NetworkInput, SubnetInput, SubnetPoolInput } from '../network-api.js';

const NETWORK_ATTRS = ['name', 'description', 'admin_state_up', 'shared', 'router:external', 'mtu', 'port_security_enabled', 'availability_zone_hints', 'provider:network_type', 'provider:physical_network', 'provider:segmentation_id', 'tags', 'project_id', 'tenant_id', 'id', 'status', 'subnets'];
const SUBNET_ATTRS = ['name', 'description', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'dns_nameservers', 'host_routes', 'allocation_pools', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id', 'prefixlen', 'tags', 'project_id', 'tenant_id', 'id'];
const POOL_ATTRS = ['name', 'description', 'prefixes', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'shared', 'is_default', 'default_quota', 'address_scope_id', 'tags', 'project_id', 'tenant_id', 'id'];

function boolFilter(v: string[] | undefined): boolean | undefined {
  const last = v?.at(-1);
  return last === undefined ? undefined : asBool(last);
}

function networkInput(b: Record<string, unknown>): NetworkInput {
  const projectId = projectOf(b);
  return {
    ...(projectId !== undefined ? { projectId } : {}),
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
  const projectId = projectOf(b);
  return {
    ...(projectId !== undefined ? { projectId } : {}),
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
  const projectId = projectOf(b);
  return {
    ...(projectId !== undefined ? { projectId } : {}),
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

  app.get('/v2.0/networks', async (request) => {
    const ctx = callerOf(request, tracer);
    const ids = filterValues(request, 'id');
    const names = filterValues(request, 'name');
    const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
    const shared = boolFilter(filterValues(request, 'shared'));
    const external = boolFilter(filterValues(request, 'router:external'));
    const list = await networks.list(ctx, { ...(ids ? { ids } : {}), ...(names ? { names } : {}), ...(projects ? { projectIds: projects } : {}), ...(shared !== undefined ? { shared } : {}), ...(external !== undefined ? { external } : {}) });
    return listResponse(list.map((n) => networkView(n, ctx.can('get_network:provider'))), parseListQuery(request.query as never), locationOf(request, 'networks'));
  });

  app.get('/v2.0/networks/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const n = await networks.get(ctx, (request.params as { id: string }).id);
    return { network: project(networkView(n, ctx.can('get_network:provider')), fieldsOf(request)) };
  });

  app.post('/v2.0/networks', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const { items, bulk } = createItems(request, 'network', 'networks');
    for (const i of items) checkAttributes(i, NETWORK_ATTRS);
    const made = await networks.create(ctx, items.map(networkInput));
    const views = made.map((n) => networkView(n, ctx.can('get_network:provider')));
    return reply.code(201).send(bulk ? { networks: views } : { network: views[0] });
  });

  app.put('/v2.0/networks/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'network');
    checkAttributes(b, NETWORK_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id'));
    const n = await networks.update(ctx, (request.params as { id: string }).id, networkInput(b));
    return { network: networkView(n, ctx.can('get_network:provider')) };
  });

  app.delete('/v2.0/networks/:id', async (request, reply) => {
    await networks.delete(callerOf(request, tracer), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get('/v2.0/subnets', async (request) => {
    const ctx = callerOf(request, tracer);
    const ids = filterValues(request, 'id');
    const nets = filterValues(request, 'network_id');
    const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
    const list = await networks.listSubnets(ctx, { ...(ids ? { ids } : {}), ...(nets ? { networkIds: nets } : {}), ...(projects ? { projectIds: projects } : {}) });
    return listResponse(list.map(subnetView), parseListQuery(request.query as never), locationOf(request, 'subnets'));
  });

  app.get('/v2.0/subnets/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    return { subnet: project(subnetView(await networks.getSubnet(ctx, (request.params as { id: string }).id)), fieldsOf(request)) };
  });

  app.post('/v2.0/subnets', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const { items, bulk } = createItems(request, 'subnet', 'subnets');
    for (const i of items) checkAttributes(i, SUBNET_ATTRS);
    const made = await networks.createSubnets(ctx, items.map(subnetInput));
    return reply.code(201).send(bulk ? { subnets: made.map(subnetView) } : { subnet: subnetView(made[0]!) });
  });

  app.put('/v2.0/subnets/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'subnet');
    checkAttributes(b, SUBNET_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id' && a !== 'prefixlen'));
    return { subnet: subnetView(await networks.updateSubnet(ctx, (request.params as { id: string }).id, subnetInput(b))) };
  });

  app.delete('/v2.0/subnets/:id', async (request, reply) => {
    await networks.deleteSubnet(callerOf(request, tracer), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get('/v2.0/subnetpools', async (request) => {
    const ctx = callerOf(request, tracer);
    return listResponse((await networks.listPools(ctx)).map(subnetPoolView), parseListQuery(request.query as never), locationOf(request, 'subnetpools'));
  });

  app.get('/v2.0/subnetpools/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    return { subnetpool: project(subnetPoolView(await networks.getPool(ctx, (request.params as { id: string }).id)), fieldsOf(request)) };
  });

  app.post('/v2.0/subnetpools', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'subnetpool');
    checkAttributes(b, POOL_ATTRS);
    return reply.code(201).send({ subnetpool: subnetPoolView(await networks.createPool(ctx, poolInput(b))) });
  });

  app.put('/v2.0/subnetpools/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'subnetpool');
    checkAttributes(b, POOL_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id'));
    return { subnetpool: subnetPoolView(await networks.updatePool(ctx, (request.params as { id: string }).id, poolInput(b))) };
  });

  app.delete('/v2.0/subnetpools/:id', async (request, reply) => {
    await networks.deletePool(callerOf(request, tracer), (request.params as { id: string }).id);
    return reply.code(204).send();
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
