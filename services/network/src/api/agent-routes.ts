/** /v2.0/agents with DHCP and L3 scheduling, /v2.0/availability_zones and /v2.0/service-providers. */
import type { FastifyInstance } from 'fastify';
import type { NetworkApis } from './apis.js';
import { callerOf, locationOf } from './route-helpers.js';
import { registerResourceRoutes } from './resource-routes.js';
import { listResponse, parseListQuery } from './list-query.js';
import { agentView, availabilityZoneView } from './agents-view.js';
import { networkView } from './networks-view.js';
import { routerView } from './l3-view.js';
import type { AgentWithState } from '../agent-api.js';

/** Register the agent, scheduler, availability zone and service provider routes. */
export function registerAgentRoutes(app: FastifyInstance, apis: NetworkApis): void {
  const { agents, l3, tracer } = apis;
  type P = { id: string; sub?: string };

  registerResourceRoutes<AgentWithState>(app, tracer, {
    path: 'agents',
    member: 'agent',
    view: (_ctx, list) => list.map(agentView),
    list: (ctx) => agents.list(ctx),
    get: (ctx, id) => agents.get(ctx, id),
    update: { attrs: ['admin_state_up', 'description'], run: (ctx, id, b) => agents.update(ctx, id, { adminStateUp: b.admin_state_up, description: b.description }) },
    delete: (ctx, id) => agents.delete(ctx, id),
  });

  app.get('/v2.0/agents/:id/dhcp-networks', async (request) => {
    const ctx = callerOf(request, tracer);
    const nets = await agents.networksOfDhcpAgent(ctx, (request.params as P).id);
    return { networks: nets.map((n) => networkView(n, true)) };
  });
  app.post('/v2.0/agents/:id/dhcp-networks', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    await agents.addNetworkToDhcpAgent(ctx, (request.params as P).id, (request.body as { network_id?: unknown } | undefined)?.network_id);
    return reply.code(201).send();
  });
  app.delete('/v2.0/agents/:id/dhcp-networks/:sub', async (request, reply) => {
    const p = request.params as Required<P>;
    await agents.removeNetworkFromDhcpAgent(callerOf(request, tracer), p.id, p.sub);
    return reply.code(204).send();
  });
  app.get('/v2.0/networks/:id/dhcp-agents', async (request) => {
    const ctx = callerOf(request, tracer);
    return { agents: (await agents.dhcpAgentsOfNetwork(ctx, (request.params as P).id)).map(agentView) };
  });

  app.get('/v2.0/agents/:id/l3-routers', async (request) => {
    const ctx = callerOf(request, tracer);
    const routers = await agents.routersOfL3Agent(ctx, (request.params as P).id);
    const gws = await l3.gatewayPorts(routers);
    return { routers: routers.map((r) => routerView(r, gws.get(r.id), true)) };
  });
  app.post('/v2.0/agents/:id/l3-routers', async (request, reply) => {
    const ctx = callerOf(request, tracer);
    await agents.addRouterToL3Agent(ctx, (request.params as P).id, (request.body as { router_id?: unknown } | undefined)?.router_id);
    return reply.code(201).send();
  });
  app.delete('/v2.0/agents/:id/l3-routers/:sub', async (request, reply) => {
    const p = request.params as Required<P>;
    await agents.removeRouterFromL3Agent(callerOf(request, tracer), p.id, p.sub);
    return reply.code(204).send();
  });
  app.get('/v2.0/routers/:id/l3-agents', async (request) => {
    const ctx = callerOf(request, tracer);
    return { agents: (await agents.l3AgentsOfRouter(ctx, (request.params as P).id)).map(agentView) };
  });

  app.get('/v2.0/availability_zones', async (request) => {
    const ctx = callerOf(request, tracer);
    return listResponse((await agents.availabilityZones(ctx)).map(availabilityZoneView), parseListQuery(request.query as never), locationOf(request, 'availability_zones'));
  });

  app.get('/v2.0/service-providers', async (request) => {
    const ctx = callerOf(request, tracer);
    ctx.authorize('get_service_provider');
    return listResponse([], parseListQuery(request.query as never), locationOf(request, 'service_providers'));
  });
}
