/** /v2.0/routers (with add/remove_router_interface) and /v2.0/floatingips. */
import type { FastifyInstance } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, checkAttributes, fieldsOf, filterValues, locationOf, projectOf, single } from './route-helpers.js';
import { listResponse, parseListQuery, project } from './list-query.js';
import { floatingIpView, routerView } from './l3-view.js';
import type { FloatingIpInput, RouterInput, RouterInterfaceInfo } from '../l3-api.js';

const ROUTER_ATTRS = ['name', 'description', 'admin_state_up', 'external_gateway_info', 'routes', 'distributed', 'ha', 'availability_zone_hints', 'tags', 'project_id', 'tenant_id', 'id', 'status'];
const FIP_ATTRS = ['floating_network_id', 'floating_ip_address', 'subnet_id', 'port_id', 'fixed_ip_address', 'description', 'tags', 'project_id', 'tenant_id', 'id', 'status'];

function routerInput(b: Record<string, unknown>): RouterInput {
  const projectId = projectOf(b);
  return {
    ...(projectId !== undefined ? { projectId } : {}),
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
  const projectId = projectOf(b);
  return {
    ...(projectId !== undefined ? { projectId } : {}),
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

  app.get('/v2.0/routers', async (request) => {
    const ctx = callerOf(request, tracer);
    const ids = filterValues(request, 'id');
    const names = filterValues(request, 'name');
    const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
    const list = await l3.list(ctx, { ...(ids ? { ids } : {}), ...(names ? { names } : {}), ...(projects ? { projectIds: projects } : {}) });
    const gws = await l3.gatewayPorts(list);
    const admin = ctx.can('get_router:distributed');
    return listResponse(list.map((r) => routerView(r, gws.get(r.id), admin)), parseListQuery(request.query as never), locationOf(request, 'routers'));
  });

  app.get('/v2.0/routers/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const r = await l3.get(ctx, (request.params as { id: string }).id);
    const gws = await l3.gatewayPorts([r]);
    return { router: project(routerView(r, gws.get(r.id), ctx.can('get_router:distributed')), fieldsOf(request)) };
  });

  app.post('/v2.0/routers', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'router');
    checkAttributes(b, ROUTER_ATTRS);
    const r = await l3.create(ctx, routerInput(b));
    const gws = await l3.gatewayPorts([r]);
    return reply.code(201).send({ router: routerView(r, gws.get(r.id), ctx.can('get_router:distributed')) });
  });

  app.put('/v2.0/routers/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'router');
    checkAttributes(b, ROUTER_ATTRS.filter((a) => a !== 'project_id' && a !== 'tenant_id'));
    const r = await l3.update(ctx, (request.params as { id: string }).id, routerInput(b));
    const gws = await l3.gatewayPorts([r]);
    return { router: routerView(r, gws.get(r.id), ctx.can('get_router:distributed')) };
  });

  app.delete('/v2.0/routers/:id', async (request, reply) => {
    await l3.delete(callerOf(request, tracer), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.put('/v2.0/routers/:id/add_router_interface', async (request) => {
    const ctx = callerOf(request, tracer);
    return interfaceView(await l3.addInterface(ctx, (request.params as { id: string }).id, request.body));
  });

  app.put('/v2.0/routers/:id/remove_router_interface', async (request) => {
    const ctx = callerOf(request, tracer);
    return interfaceView(await l3.removeInterface(ctx, (request.params as { id: string }).id, request.body));
  });

  app.get('/v2.0/floatingips', async (request) => {
    const ctx = callerOf(request, tracer);
    const ids = filterValues(request, 'id');
    const ports = filterValues(request, 'port_id');
    const nets = filterValues(request, 'floating_network_id');
    const addrs = filterValues(request, 'floating_ip_address');
    const routers = filterValues(request, 'router_id');
    const projects = filterValues(request, 'project_id') ?? filterValues(request, 'tenant_id');
    const list = await l3.listFloatingIps(ctx, {
      ...(ids ? { ids } : {}),
      ...(ports ? { fixedPortIds: ports } : {}),
      ...(nets ? { floatingNetworkIds: nets } : {}),
      ...(addrs ? { floatingIpAddresses: addrs } : {}),
      ...(routers ? { routerIds: routers } : {}),
      ...(projects ? { projectIds: projects } : {}),
    });
    return listResponse(list.map(floatingIpView), parseListQuery(request.query as never), locationOf(request, 'floatingips'));
  });

  app.get('/v2.0/floatingips/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    return { floatingip: project(floatingIpView(await l3.getFloatingIp(ctx, (request.params as { id: string }).id)), fieldsOf(request)) };
  });

  app.post('/v2.0/floatingips', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'floatingip');
    checkAttributes(b, FIP_ATTRS);
    return reply.code(201).send({ floatingip: floatingIpView(await l3.createFloatingIp(ctx, fipInput(b))) });
  });

  app.put('/v2.0/floatingips/:id', async (request) => {
    const ctx = callerOf(request, tracer);
    const b = single(request, 'floatingip');
    checkAttributes(b, FIP_ATTRS.filter((a) => !['project_id', 'tenant_id', 'floating_network_id', 'floating_ip_address', 'subnet_id'].includes(a)));
    return { floatingip: floatingIpView(await l3.updateFloatingIp(ctx, (request.params as { id: string }).id, fipInput(b))) };
  });

  app.delete('/v2.0/floatingips/:id', async (request, reply) => {
    await l3.deleteFloatingIp(callerOf(request, tracer), (request.params as { id: string }).id);
    return reply.code(204).send();
  });
}
