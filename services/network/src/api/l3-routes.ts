/** /v2.0/routers (with add/remove_router_interface) and /v2.0/floatingips. */
import type { FastifyInstance } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, filterValues, ownerOf } from './route-helpers.js';
import { registerResourceRoutes } from './resource-routes.js';
import { floatingIpView, routerView } from './l3-view.js';
import type { FloatingIpInput, RouterInput, RouterInterfaceInfo } from '../l3-api.js';
import type { FloatingIp, Router } from '../objects/router.js';

const ROUTER_ATTRS = ['name', 'description', 'admin_state_up', 'external_gateway_info', 'routes', 'distributed', 'ha', 'availability_zone_hints', 'tags', 'project_id', 'tenant_id', 'id', 'status'];
const FIP_ATTRS = ['floating_network_id', 'floating_ip_address', 'subnet_id', 'port_id', 'fixed_ip_address', 'description', 'tags', 'project_id', 'tenant_id', 'id', 'status'];

function routerInput(b: Record<string, unknown>): RouterInput {
  return {
    ...ownerOf(b),
    name: b.name,
    description: b.description,
    adminStateUp: b.admin_state_up,
    externalGatewayInfo: b.external_gateway_info,
    routes: b.routes,
    distributed: b.distributed,
    ha: b.ha,
    availabilityZoneHints: b.availability_zone_hints,
    tags: b.tags,
  };
}

function fipInput(b: Record<string, unknown>): FloatingIpInput {
  return {
    ...ownerOf(b),
    floatingNetworkId: b.floating_network_id,
    floatingIpAddress: b.floating_ip_address,
    subnetId: b.subnet_id,
    portId: b.port_id,
    fixedIpAddress: b.fixed_ip_address,
    description: b.description,
    tags: b.tags,
  };
}

function interfaceView(i: RouterInterfaceInfo): Record<string, unknown> {
  return { id: i.routerId, tenant_id: i.projectId, project_id: i.projectId, port_id: i.portId, network_id: i.networkId, subnet_id: i.subnetId, subnet_ids: [...i.subnetIds] };
}

/** Register the router and floating IP routes. */
export function registerL3Routes(app: FastifyInstance, apis: NetworkApis): void {
  const { l3, tracer } = apis;

  registerResourceRoutes<Router>(app, tracer, {
    path: 'routers',
    member: 'router',
    view: async (ctx, list) => {
      const gws = await l3.gatewayPorts(list);
      const admin = ctx.can('get_router:distributed');
      return list.map((r) => routerView(r, gws.get(r.id), admin));
    },
    list: (ctx, request) => {
      const ids = filterValues(request, 'id');
      const names = filterValues(request, 'name');
      const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
      return l3.list(ctx, { ...(ids ? { ids } : {}), ...(names ? { names } : {}), ...(projects ? { projectIds: projects } : {}) });
    },
    get: (ctx, id) => l3.get(ctx, id),
    create: { attrs: ROUTER_ATTRS, one: (ctx, b) => l3.create(ctx, routerInput(b)) },
    update: { attrs: ROUTER_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id'), run: (ctx, id, b) => l3.update(ctx, id, routerInput(b)) },
    delete: (ctx, id) => l3.delete(ctx, id),
  });

  app.put('/v2.0/routers/:id/add_router_interface', async (request) => {
    const ctx = callerOf(request, tracer);
    return interfaceView(await l3.addInterface(ctx, (request.params as { id: string }).id, request.body));
  });

  app.put('/v2.0/routers/:id/remove_router_interface', async (request) => {
    const ctx = callerOf(request, tracer);
    return interfaceView(await l3.removeInterface(ctx, (request.params as { id: string }).id, request.body));
  });

  registerResourceRoutes<FloatingIp>(app, tracer, {
    path: 'floatingips',
    member: 'floatingip',
    view: (_ctx, list) => list.map(floatingIpView),
    list: (ctx, request) => {
      const ids = filterValues(request, 'id');
      const ports = filterValues(request, 'port_id');
      const nets = filterValues(request, 'floating_network_id');
      const addrs = filterValues(request, 'floating_ip_address');
      const routers = filterValues(request, 'router_id');
      const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
      return l3.listFloatingIps(ctx, {
        ...(ids ? { ids } : {}),
        ...(ports ? { fixedPortIds: ports } : {}),
        ...(nets ? { floatingNetworkIds: nets } : {}),
        ...(addrs ? { floatingIpAddresses: addrs } : {}),
        ...(routers ? { routerIds: routers } : {}),
        ...(projects ? { projectIds: projects } : {}),
      });
    },
    get: (ctx, id) => l3.getFloatingIp(ctx, id),
    create: { attrs: FIP_ATTRS, one: (ctx, b) => l3.createFloatingIp(ctx, fipInput(b)) },
    update: {
      attrs: FIP_ATTRS.filter((a) => !['project_id', 'tenant_id', 'floating_network_id', 'floating_ip_address', 'subnet_id'].includes(a)),
      run: (ctx, id, b) => l3.updateFloatingIp(ctx, id, fipInput(b)),
    },
    delete: (ctx, id) => l3.deleteFloatingIp(ctx, id),
  });
}
